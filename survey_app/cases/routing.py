"""DESIGN's routing rule: a response that needs follow-up opens a case, in its transaction."""

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from survey_app.auth.models import Role, User
from survey_app.cases.models import Case
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.notify.mail import enqueue_mail, public_url
from survey_app.rules import get_rule
from survey_app.survey import questions
from survey_app.survey.models import Response
from survey_app.timeutil import to_local, utcnow


def route_response(response: Response, details: dict[str, str]) -> Case | None:
    """Open a case (and its mail to the principal) when the answers call for follow-up.

    Adds rows to the current session and flushes; the caller commits once.
    """
    if not questions.needs_follow_up(response.overall.value, details):
        return None
    opened_at = utcnow()
    today = to_local(opened_at).date()
    due_days = get_rule("case_due_working_days", response.school_id, today)
    case = Case(
        school_id=response.school_id,
        response=response,
        opened_at=opened_at,
        due_date=WorkCalendar(response.school_id).add_working_days(today, due_days),
        serious=questions.is_serious(details),
    )
    db.session.add(case)
    db.session.flush()
    principals = db.session.scalars(
        select(User).where(
            User.school_id == response.school_id,
            User.role == Role.PRINCIPAL,
            User.active.is_(True),
            User.email.is_not(None),
        )
    ).all()
    for principal in principals:
        enqueue_mail(principal.email, *case_mail(case), school_id=response.school_id)
    return case


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
            _("Hạn xử lý phản ánh: %(date)s", date=case.due_date.strftime("%d/%m/%Y")),
            "",
            _("Góp ý của phụ huynh:"),
            response.comment or _("(không có)"),
            "",
            _("Xem và xử lý: %(url)s", url=public_url(f"/cases/{case.id}")),
        ]
    return subject, "\n".join(lines)
