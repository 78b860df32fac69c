"""Printed papers: the receipt, the survey slip (one, or a day's A4 sheet of 8), the A5
paper questionnaire, the apology, the control sheet and the month's register (forms:
survey_app.dossiers.official_forms)."""

from datetime import timedelta

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from survey_app import questions
from survey_app.auth.decorators import role_required
from survey_app.auth.models import Role, User
from survey_app.dated_rules import get_rule
from survey_app.dossiers import bp, official_forms
from survey_app.dossiers.intake import resolution_timing
from survey_app.dossiers.models import Dossier, DossierStatus, NoticeKind
from survey_app.dossiers.qr import code_entry_url, qr_svg, survey_url
from survey_app.dossiers.register import month_bounds
from survey_app.dossiers.views import STAFF, load_dossier
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.letterhead import in_vietnamese
from survey_app.parsing import ParseError, parse_date, parse_month
from survey_app.schools import School
from survey_app.timeutil import local_today, period_bounds_utc, to_local

RECEIPT_LAYOUTS = ("a5", "a4", "80mm")
BOOK_ROWS = 2000  # a school's month is a few hundred dossiers
SLIP_LAYOUTS = ("a6", "80mm")
SLIPS_PER_SHEET = 8
# A day's slips come 80 to a page (10 A4 sheets): a day of 4,000 returns is 50 pages of a
# fraction of a second each, never one response that outlasts the worker timeout.
SLIPS_PER_PAGE = 10 * SLIPS_PER_SHEET


def _layout(allowed: tuple[str, ...]) -> str:
    layout = request.args.get("layout", allowed[0])
    if layout not in allowed:
        abort(400)
    return layout


def principal_of(school: School) -> User | None:
    """Who signs for the school: its active principal (the first one, if several)."""
    return db.session.scalars(
        select(User)
        .where(User.school_id == school.id, User.role == Role.PRINCIPAL, User.active.is_(True))
        .order_by(User.id)
    ).first()


def desk_contact(school_id: int) -> dict:
    """How a parent reaches the desk, as the slips print it: phone (a dated rule) and hours."""
    today = local_today()
    return {
        "desk_phone": get_rule("desk_phone", school_id, today),
        "desk_hours": WorkCalendar(school_id).hours_text(today),
    }


def slip_context(dossier: Dossier, desk: dict | None = None) -> dict:
    """What a slip prints: the QR of the survey link (a 32-character token nobody types), the
    short code and the `/s` address to type it into, and how to reach the desk."""
    url = survey_url(dossier)
    return {
        "dossier": dossier,
        "url": url,
        "qr": qr_svg(url),
        "entry_url": code_entry_url(),
        **(desk or desk_contact(dossier.school_id)),
    }


@bp.route("/dossiers/<code>/receipt")
@role_required(*STAFF)
@in_vietnamese
def receipt(code):
    """Print the receipt, A5 (A4, 80 mm): "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", Mẫu số
    01 (official_forms.RECEIPT)."""
    dossier = load_dossier(code)
    layout = _layout(RECEIPT_LAYOUTS)
    received_by = db.session.get(User, dossier.received_by_id) if dossier.received_by_id else None
    calendar = WorkCalendar(dossier.school_id)
    received_local = to_local(dossier.received_at)
    opening = calendar.next_opening(dossier.received_at)
    return render_template(
        "dossiers/receipt.html",
        form=official_forms.RECEIPT,
        layout=layout,
        layouts=RECEIPT_LAYOUTS,
        received_local=received_local,
        received_by=received_by,
        # Outside the opening hours: the instant the dossier counts from (the next opening).
        counts_from=None if opening == dossier.received_at else to_local(opening),
        **slip_context(dossier),
        hours=calendar.hours_text(received_local.date()),
    )


@bp.route("/dossiers/<code>/slip")
@role_required(*STAFF)
@in_vietnamese
def slip(code):
    dossier = load_dossier(code)
    layout = _layout(SLIP_LAYOUTS)
    return render_template(
        "dossiers/slip.html", layout=layout, layouts=SLIP_LAYOUTS, **slip_context(dossier)
    )


@bp.route("/dossiers/<code>/questionnaire")
@role_required(*STAFF)
@in_vietnamese
def questionnaire(code):
    """The survey on A5 paper, for a parent without a smartphone; typed in on the
    paper-entry page, which has the same order and numbering."""
    return render_template(
        "survey/questionnaire.html", dossier=load_dossier(code), questions=questions, layout="a5"
    )


@bp.route("/dossiers/slips")
@role_required(*STAFF)
@in_vietnamese
def slips():
    raw = request.args.get("date") or local_today().isoformat()
    try:
        day = parse_date(raw)
    except ParseError as error:
        abort(400, str(error))
    start, end = period_bounds_utc(day, day + timedelta(days=1))
    query = (
        select(Dossier)
        .options(joinedload(Dossier.school))
        .where(
            Dossier.school_id == current_user.school_id,
            Dossier.status == DossierStatus.RETURNED,
            Dossier.returned_at >= start,
            Dossier.returned_at < end,
        )
        .order_by(Dossier.returned_at, Dossier.code, Dossier.id)
    )
    page = db.paginate(query, per_page=SLIPS_PER_PAGE, max_per_page=SLIPS_PER_PAGE, error_out=False)
    desk = desk_contact(current_user.school_id)
    slips = [slip_context(d, desk) for d in page.items]
    sheets = [slips[i : i + SLIPS_PER_SHEET] for i in range(0, len(slips), SLIPS_PER_SHEET)]
    return render_template(
        "dossiers/slips.html",
        day=day,
        sheets=sheets,
        school=current_user.school,
        count=page.total,
        page=page,
        layout="sheet8",
    )


@bp.route("/dossiers/<code>/apology")
@role_required(*STAFF)
@in_vietnamese
def apology_letter(code):
    """Print the apology letter, A4: "Phiếu xin lỗi và hẹn lại ngày trả kết quả", Mẫu số 04
    (title of Circular 01/2018/TT-VPCP; the 2025 circular's form 04 title is unverified:
    docs/forms.md)."""
    dossier = load_dossier(code)
    if dossier.apology is None:
        abort(404, _("Hồ sơ này chưa có thư xin lỗi."))
    return render_template(
        "dossiers/apology_letter.html",
        dossier=dossier,
        apology=dossier.apology,
        issued_local=to_local(dossier.apology.issued_at),
        received_local=to_local(dossier.received_at),
        principal=principal_of(dossier.school),
        form=official_forms.APOLOGY,
        layout="a4",
    )


def _control_steps(dossier: Dossier) -> list[dict]:
    """The dossier's hand-overs in time order, for the control sheet."""
    who: dict[int | None, str] = {
        u.id: u.full_name or u.username
        for u in db.session.scalars(select(User).where(User.school_id == dossier.school_id))
    }
    desk = _("Bộ phận một cửa")
    steps = [
        {
            "what": _("Tiếp nhận hồ sơ"),
            "giver": dossier.applicant_name or _("Người nộp hồ sơ"),
            "taker": who.get(dossier.received_by_id) or desk,
            "at": dossier.received_at,
            "note": "",
        }
    ]
    for n in dossier.notices:
        if n.kind is NoticeKind.SUPPLEMENT:
            steps.append(
                {
                    "what": _("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
                    "giver": who.get(n.issued_by_id) or desk,
                    "taker": dossier.applicant_name or _("Người nộp hồ sơ"),
                    "at": n.issued_at,
                    "note": n.reason,
                }
            )
            if n.completed_at:
                assert n.due_date_after is not None  # completing a supplement sets it
                steps.append(
                    {
                        "what": _("Nhận đủ hồ sơ bổ sung"),
                        "giver": dossier.applicant_name or _("Người nộp hồ sơ"),
                        "taker": who.get(n.completed_by_id) or desk,
                        "at": n.completed_at,
                        "note": _("Hẹn trả mới: %(d)s", d=n.due_date_after.strftime("%d/%m/%Y")),
                    }
                )
        else:
            steps.append(
                {
                    "what": _("Từ chối tiếp nhận, giải quyết"),
                    "giver": who.get(n.issued_by_id) or desk,
                    "taker": dossier.applicant_name or _("Người nộp hồ sơ"),
                    "at": n.issued_at,
                    "note": n.reason,
                }
            )
    if dossier.apology:
        steps.append(
            {
                "what": _("Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
                "giver": who.get(dossier.apology.issued_by_id) or desk,
                "taker": dossier.applicant_name or _("Người nộp hồ sơ"),
                "at": dossier.apology.issued_at,
                "note": _("Hẹn trả mới: %(d)s", d=dossier.apology.new_due_date.strftime("%d/%m/%Y"))
                + ("; " + _("Nhập bù") if dossier.apology.entered_at else ""),
            }
        )
    if dossier.ready_at:
        steps.append(
            {
                "what": _("Có kết quả giải quyết"),
                "giver": _("Người giải quyết"),
                "taker": desk,
                "at": dossier.ready_at,
                "note": "",
            }
        )
    if dossier.returned_at:
        steps.append(
            {
                "what": _("Trả kết quả"),
                "giver": who.get(dossier.returned_by_id) or desk,
                "taker": dossier.applicant_name or _("Người nộp hồ sơ"),
                "at": dossier.returned_at,
                "note": _("Nhập bù") if dossier.return_entered_at else "",
            }
        )
    return sorted(steps, key=lambda s: s["at"])


@bp.route("/dossiers/<code>/control-sheet")
@role_required(*STAFF)
@in_vietnamese
def control_sheet(code):
    """Print the dossier's control sheet, A4: "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    Mẫu số 06, Phụ lục I, Thông tư 03/2025/TT-VPCP implementing Decree 118/2025/NĐ-CP
    (Mẫu số 05 of Circular 01/2018/TT-VPCP; numbering from a secondary source:
    docs/forms.md)."""
    dossier = load_dossier(code)
    return render_template(
        "dossiers/control_sheet.html",
        dossier=dossier,
        steps=_control_steps(dossier),
        timing=resolution_timing(dossier),
        form=official_forms.CONTROL,
        received_local=to_local(dossier.received_at),
        layout="a4",
    )


@bp.route("/dossiers/book")
@role_required(*STAFF)
@in_vietnamese
def book():
    """Print the month's register, A4 landscape: "Sổ theo dõi hồ sơ", Mẫu số 07, Phụ lục I,
    Thông tư 03/2025/TT-VPCP implementing Decree 118/2025/NĐ-CP (Mẫu số 06 of Circular
    01/2018/TT-VPCP; numbering from a secondary source: docs/forms.md)."""
    month = request.args.get("month") or local_today().strftime("%Y-%m")
    try:
        start, end = month_bounds(month)
    except ValueError as error:  # parsing.ParseError: a Vietnamese message
        abort(400, str(error))
    dossiers = db.session.scalars(
        select(Dossier)
        .options(
            joinedload(Dossier.procedure),
            selectinload(Dossier.notices),
            selectinload(Dossier.apology),
        )
        .where(
            Dossier.school_id == current_user.school_id,
            Dossier.received_at >= start,
            Dossier.received_at < end,
        )
        .order_by(Dossier.received_at, Dossier.id)
        .limit(BOOK_ROWS + 1)
    ).all()
    return render_template(
        "dossiers/book.html",
        dossiers=dossiers[:BOOK_ROWS],
        truncated=len(dossiers) > BOOK_ROWS,
        timings={d.id: resolution_timing(d) for d in dossiers},
        month=parse_month(month),
        school=current_user.school,
        form=official_forms.BOOK,
        layout="a4land",
    )
