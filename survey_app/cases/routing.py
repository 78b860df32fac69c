"""DESIGN's routing rule: a response that needs follow-up opens a case, in its transaction."""

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from survey_app.audit import audit
from survey_app.auth.models import Role, User
from survey_app.cases.labels import negative_details, overall_label
from survey_app.cases.models import Case
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.notify.mail import enqueue_mail, public_url
from survey_app.rules import get_rule
from survey_app.survey import questions
from survey_app.survey.models import Response
from survey_app.timeutil import to_local, utcnow


def route_response(
    response: Response, details: dict[str, str], now: datetime | None = None
) -> Case | None:
    """Open a case (and its mail to the principal) when the answers call for follow-up.

    Adds rows to the current session and flushes; the caller commits once.
    `now` (naive UTC) is for tests; it defaults to the current time.
    """
    if not questions.needs_follow_up(str(response.overall), details):
        return None
    opened_at = now or utcnow()
    case = Case(
        school_id=response.school_id,
        response=response,
        opened_at=opened_at,
        due_date=case_due_date(response.school_id, opened_at),
        serious=questions.is_serious(details),
    )
    principals = school_principals(response.school_id)
    case.assignee = principals[0] if principals else None
    db.session.add(case)
    db.session.flush()
    audit(
        "case_opened",
        "case",
        case.id,
        school_id=response.school_id,
        response_id=response.id,
        serious=case.serious,
    )
    subject, body = case_mail(case)
    for principal in principals:
        if principal.email:
            enqueue_mail(principal.email, subject, body, school_id=response.school_id)
    return case


def case_due_date(school_id: int, opened_at: datetime):
    """Opened day + the configured number of working days (the opening day not counted)."""
    today = to_local(opened_at).date()
    due_days = get_rule("case_due_working_days", school_id, today)
    return WorkCalendar(school_id).add_working_days(today, due_days)


def school_principals(school_id: int) -> list[User]:
    """The school's active principals, oldest account first."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.school_id == school_id,
                User.role == Role.PRINCIPAL,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def case_mail(case: Case) -> tuple[str, str]:
    """Subject and plain-text body of the mail announcing a case (always in Vietnamese)."""
    response = case.response
    dossier = response.dossier
    with force_locale("vi"):
        flag = _("[NGHIÊM TRỌNG] ") if case.serious else ""
        subject = flag + _("Phản ánh mới về hồ sơ %(code)s", code=dossier.code)
        lines = [
            _("Hồ sơ: %(code)s", code=dossier.code),
            _("Thủ tục: %(name)s", name=dossier.procedure.name),
            _("Đánh giá chung: %(label)s", label=overall_label(response.overall)),
        ]
        lines += [f"- {label}: {answer}" for label, answer in negative_details(response.answers)]
        lines += [
            _("Hạn xử lý phản ánh: %(date)s", date=case.due_date.strftime("%d/%m/%Y")),
            "",
            _("Góp ý của phụ huynh:"),
            response.comment or _("(không có)"),
            "",
            _("Xem và xử lý: %(url)s", url=public_url(f"/cases/{case.id}")),
        ]
    return subject, "\n".join(lines)
