"""Row-level sheets (dossiers, responses, cases) of one school's period: the principal's only.

Each sheet stops at ROW_LIMIT rows (a school receives a few thousand dossiers a year; the
bound keeps an export of a mistaken "ten years" within memory and the worker's timeout).
Phone numbers are never exported; the office never receives these sheets. Cells carry
labels, never codes (procedure names, status and channel labels from their enums), and
times as local datetimes, which the writers format (dd/mm/yyyy hh:mm).
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from survey_app import questions
from survey_app.auth.models import User
from survey_app.cases.models import Case
from survey_app.dossiers.models import Apology, Dossier, DossierStatus, IntakeChannel, Procedure
from survey_app.extensions import db
from survey_app.reports.periods import Period
from survey_app.reports.summary_tables import DATE, DATETIME, INT, NUM, TEXT, Table
from survey_app.survey.models import Answer, Response, ResponseChannel
from survey_app.timeutil import to_local

ROW_LIMIT = 50_000


def local(value: datetime | None) -> datetime | None:
    """A stored naive-UTC time as naive local time (what a spreadsheet cell holds)."""
    return to_local(value).replace(tzinfo=None, microsecond=0) if value else None


def _limited(stmt):
    rows = db.session.execute(stmt.limit(ROW_LIMIT + 1)).all()
    return rows[:ROW_LIMIT], len(rows) > ROW_LIMIT


def _note(truncated: bool) -> str:
    return _("Chỉ xuất %(n)d dòng đầu.", n=ROW_LIMIT) if truncated else ""


def _received_in(period: Period, school_id: int):
    a, b = period.bounds_utc
    return (Dossier.school_id == school_id, Dossier.received_at >= a, Dossier.received_at < b)


def dossiers(school_id: int, period: Period) -> Table:
    clerk = aliased(User)
    stmt = (
        select(Dossier, Procedure.name, Apology.issued_at, clerk.full_name)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .outerjoin(Apology, Apology.dossier_id == Dossier.id)
        .outerjoin(clerk, clerk.id == Dossier.received_by_id)
        .where(*_received_in(period, school_id))
        .order_by(Dossier.received_at, Dossier.id)
    )
    found, truncated = _limited(stmt)
    rows = []
    for d, procedure, apology_at, clerk_name in found:
        timing = ""
        if d.is_late is not None:
            timing = _("Trễ hạn") if d.is_late else _("Đúng hạn")
        rows.append(
            [
                d.code,
                procedure,
                IntakeChannel.label_of(d.intake_channel),
                local(d.received_at),
                d.due_date,
                local(d.returned_at),
                DossierStatus.label_of(d.status),
                timing,
                local(apology_at),
                d.student_name,
                d.student_class or "",
                d.applicant_name or "",
                clerk_name or "",
            ]
        )
    return Table(
        "dossiers",
        _("Hồ sơ"),
        [
            _("Mã hồ sơ"),
            _("Thủ tục"),
            _("Kênh tiếp nhận"),
            _("Tiếp nhận lúc"),
            _("Hạn trả"),
            _("Trả kết quả lúc"),
            _("Trạng thái"),
            _("Đúng hạn?"),
            _("Thư xin lỗi lúc"),
            _("Học sinh"),
            _("Lớp"),
            _("Người nộp"),
            _("Cán bộ tiếp nhận"),
        ],
        rows,
        [TEXT, TEXT, TEXT, DATETIME, DATE, DATETIME, TEXT, TEXT, DATETIME, TEXT, TEXT, TEXT, TEXT],
        note=_note(truncated),
        sheet=_("Hồ sơ"),
    )


def responses(school_id: int, period: Period) -> Table:
    stmt = (
        select(
            Response.id,
            Dossier.code,
            Procedure.name,
            Response.submitted_at,
            Response.channel,
            Response.overall,
            Response.comment,
        )
        .join(Dossier, Dossier.id == Response.dossier_id)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(*_received_in(period, school_id))
        .order_by(Response.submitted_at, Response.id)
    )
    found, truncated = _limited(stmt)
    answers: dict[int, dict[str, list[str]]] = {}
    ids = [row[0] for row in found]
    for start in range(0, len(ids), 1000):  # bounded IN lists
        for rid, code, value in db.session.execute(
            select(Answer.response_id, Answer.question_code, Answer.value)
            .where(Answer.response_id.in_(ids[start : start + 1000]))
            .order_by(Answer.id)
        ):
            answers.setdefault(rid, {}).setdefault(code, []).append(value)
    reasons = dict(questions.REASONS)
    rows = []
    for rid, dossier_code, procedure, submitted_at, channel, overall, comment in found:
        got = answers.get(rid, {})
        details = []
        for q in questions.DETAILS:
            choices = dict(q.choices)
            value = (got.get(q.code) or [""])[0]
            details.append(str(choices.get(value, value)))
        ticked = "; ".join(str(reasons.get(v, v)) for v in got.get(questions.REASONS_CODE, []))
        rows.append(
            [
                dossier_code,
                procedure,
                local(submitted_at),
                ResponseChannel.label_of(channel),
                overall.label,
                *details,
                ticked,
                comment or "",
            ]
        )
    return Table(
        "responses",
        _("Phiếu trả lời"),
        [
            _("Mã hồ sơ"),
            _("Thủ tục"),
            _("Trả lời lúc"),
            _("Kênh"),
            _("Mức độ hài lòng chung"),
            *[str(q.short) for q in questions.DETAILS],
            _("Lý do"),
            _("Góp ý"),
        ],
        rows,
        [TEXT, TEXT, DATETIME, TEXT, TEXT] + [TEXT] * (len(questions.DETAILS) + 2),
        note=_note(truncated),
        sheet=_("Phiếu trả lời"),
    )


def cases(school_id: int, period: Period) -> Table:
    a, b = period.bounds_utc
    stmt = (
        select(Case, Dossier.code)
        .join(Response, Response.id == Case.response_id)
        .join(Dossier, Dossier.id == Response.dossier_id)
        .where(Case.school_id == school_id, Case.opened_at >= a, Case.opened_at < b)
        .order_by(Case.opened_at, Case.id)
    )
    found, truncated = _limited(stmt)
    rows = []
    for c, dossier_code in found:
        ended = c.resolved_at or c.closed_at
        days = round((ended - c.opened_at).total_seconds() / 86400, 1) if ended else None
        rows.append(
            [
                c.id,
                dossier_code,
                local(c.opened_at),
                c.due_date,
                c.status.label,
                _("Có") if c.serious else "",
                local(ended),
                days,
                c.root_cause.label if c.root_cause else "",
                c.resolution or "",
            ]
        )
    return Table(
        "case_list",
        _("Danh sách phản ánh"),
        [
            _("Số"),
            _("Mã hồ sơ"),
            _("Mở lúc"),
            _("Hạn xử lý"),
            _("Trạng thái"),
            _("Nghiêm trọng"),
            _("Giải quyết lúc"),
            _("Số ngày"),
            _("Nguyên nhân"),
            _("Kết quả xử lý"),
        ],
        rows,
        [INT, TEXT, DATETIME, DATE, TEXT, TEXT, DATETIME, NUM, TEXT, TEXT],
        note=_note(truncated),
        sheet=_("Phản ánh"),
    )
