"""DESIGN's routing rule: a response that needs follow-up opens a case, in its transaction.

Opening a case is split in two so that SQLite's write lock is held for the writes only:
`plan_case` reads what the case needs (its due date, the principals, the mail's text) before
the write transaction begins; `open_case` inserts the case, its audit row and its mail.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select

from survey_app.audit import audit
from survey_app.auth.models import Role, User
from survey_app.cases.labels import negative_given
from survey_app.cases.models import Case
from survey_app.dossiers.models import Dossier
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.notify.mail import enqueue_mail, public_url
from survey_app.rules import get_rule
from survey_app.survey import questions
from survey_app.survey.models import Overall, Response
from survey_app.timeutil import to_local, utcnow

_INSERT_CASE = insert(Case.__table__).returning(Case.__table__.c.id)
_CASE_ID = "{case_id}"  # where the case's id goes in the mail's link (known after INSERT)


@dataclass(frozen=True)
class CasePlan:
    """A case about to be opened: everything but its id and its response's id."""

    school_id: int
    opened_at: datetime
    due_date: date
    serious: bool
    assignee_id: int | None
    recipients: tuple[str, ...]
    subject: str
    body: str  # the last line, the link, holds _CASE_ID

    def mail_body(self, case_id: int) -> str:
        head, _sep, link = self.body.rpartition("\n")
        return f"{head}\n{link.replace(_CASE_ID, str(case_id))}"


def plan_case(
    dossier: Dossier,
    overall: str,
    details: dict[str, str],
    comment: str | None,
    now: datetime | None = None,
) -> CasePlan | None:
    """The case these answers call for, or None; only reads (`now`, naive UTC, for tests)."""
    if not questions.needs_follow_up(str(overall), details):
        return None
    opened_at = now or utcnow()
    serious = questions.is_serious(details)
    due = case_due_date(dossier.school_id, opened_at)
    principals = school_principals(dossier.school_id)
    subject, body = case_mail(dossier, overall, details, comment, serious, due)
    return CasePlan(
        school_id=dossier.school_id,
        opened_at=opened_at,
        due_date=due,
        serious=serious,
        assignee_id=principals[0].id if principals else None,
        recipients=tuple(p.email for p in principals if p.email),
        subject=subject,
        body=body,
    )


def open_case(plan: CasePlan, response_id: int) -> int:
    """Insert the planned case, its audit row and its mail (the caller commits); its id."""
    case_id = (
        db.session.connection()
        .execute(
            _INSERT_CASE,
            {
                "school_id": plan.school_id,
                "response_id": response_id,
                "opened_at": plan.opened_at,
                "due_date": plan.due_date,
                "serious": plan.serious,
                "assignee_id": plan.assignee_id,
            },
        )
        .scalar_one()
    )
    audit(
        "case_opened",
        "case",
        case_id,
        school_id=plan.school_id,
        response_id=response_id,
        serious=plan.serious,
    )
    body = plan.mail_body(case_id)
    for recipient in plan.recipients:
        enqueue_mail(recipient, plan.subject, body, school_id=plan.school_id)
    return case_id


def route_response(
    response: Response, details: dict[str, str], now: datetime | None = None
) -> Case | None:
    """Open a case (and its mail to the principal) for a stored response, when its answers
    call for follow-up. Flushes; the caller commits once."""
    plan = plan_case(response.dossier, response.overall, details, response.comment, now)
    if plan is None:
        return None
    db.session.flush()
    return db.session.get(Case, open_case(plan, response.id))


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


def case_mail(
    dossier: Dossier,
    overall: str,
    details: dict[str, str],
    comment: str | None,
    serious: bool,
    due: date,
) -> tuple[str, str]:
    """Subject and plain-text body of the mail announcing a case (always in Vietnamese);
    the body's last line links to the case, with _CASE_ID for its id."""
    with force_locale("vi"):
        flag = _("[NGHIÊM TRỌNG] ") if serious else ""
        subject = flag + _("Phản ánh mới về hồ sơ %(code)s", code=dossier.code)
        lines = [
            _("Hồ sơ: %(code)s", code=dossier.code),
            _("Thủ tục: %(name)s", name=dossier.procedure.name),
            _("Đánh giá chung: %(label)s", label=Overall.label_of(overall)),
        ]
        lines += [f"- {label}: {answer}" for label, answer in negative_given(details)]
        lines += [
            _("Hạn xử lý phản ánh: %(date)s", date=due.strftime("%d/%m/%Y")),
            "",
            _("Góp ý của phụ huynh:"),
            comment or _("(không có)"),
            "",
            _("Xem và xử lý: %(url)s", url=public_url(f"/cases/{_CASE_ID}")),
        ]
    return subject, "\n".join(lines)
