"""The routing rule: a response that needs follow-up opens a case, in its transaction.

Opening a case is split in two: `plan_case` reads what the case needs (its due date, the
principals, the mail's text); `open_case` inserts the case, its audit row and its mail.

The parent's own link asks in two steps. A dissatisfied step 1 opens the case at once, in
the response's transaction, and its mail says that details may follow: nothing waits for a
step 2 that most parents skip, and no timer is needed to send a delayed mail. When step 2
then brings reasons, details or a comment, `plan_case_update` / `update_case` add them to
that case (a timeline note, "serious" when they say so) and mail the principal again, in
step 2's transaction. Negative details sent after a satisfied step 1 open a case as usual.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, update

from survey_app import questions
from survey_app.audit import audit
from survey_app.auth.accounts import school_principals
from survey_app.cases.labels import negative_given
from survey_app.cases.models import Case, CaseEvent, EventKind
from survey_app.dated_rules import get_rule
from survey_app.dossiers.models import Dossier
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.notify.mail import enqueue_mail, public_url
from survey_app.survey.models import Overall, Response
from survey_app.timeutil import to_local, utcnow

# The submit's case as a Core INSERT, not the ORM's unit of work: B1 on PostgreSQL measured
# the answer's path 21-38% slower through the ORM (BENCHMARKS.md, "The request path, plain").
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
    reasons: tuple[str, ...] | list[str] = (),
    details_may_follow: bool = False,
) -> CasePlan | None:
    """The case these answers call for, or None; only reads (`now`, naive UTC, for tests).

    `details_may_follow`: step 1 of the parent's link, whose mail says that step 2 may add
    reasons and a comment within the window."""
    if not questions.needs_follow_up(str(overall), details):
        return None
    opened_at = now or utcnow()
    serious = questions.is_serious(details, reasons)
    due = case_due_date(dossier.school_id, opened_at)
    principals = school_principals(dossier.school_id)
    may_follow = step_two_minutes(dossier.school_id, opened_at) if details_may_follow else None
    subject, body = case_mail(dossier, overall, details, comment, serious, due, reasons, may_follow)
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


@dataclass(frozen=True)
class CaseUpdate:
    """Step-2 answers for a case that step 1 opened: the serious flag and the mail."""

    case_id: int
    school_id: int
    make_serious: bool
    recipients: tuple[str, ...]
    subject: str
    body: str


def plan_case_update(
    dossier: Dossier,
    case_id: int,
    serious: bool,
    details: dict[str, str],
    reasons: tuple[str, ...] | list[str],
    comment: str | None,
    called_back: bool,
) -> CaseUpdate | None:
    """What step 2 adds to the case step 1 opened, or None when it adds nothing; reads only."""
    if not (details or reasons or comment or called_back):
        return None
    now_serious = serious or questions.is_serious(details, reasons)
    with force_locale("vi"):
        flag = _("[NGHIÊM TRỌNG] ") if now_serious else ""
        subject = flag + _("Phụ huynh bổ sung ý kiến về hồ sơ %(code)s", code=dossier.code)
        added = [_("lý do chưa hài lòng")] if reasons else []
        added += [_("chi tiết đánh giá")] if details else []
        added += [_("góp ý")] if comment else []
        added += [_("số điện thoại để gọi lại")] if called_back else []
        note = _("Phụ huynh bổ sung: %(items)s.", items=", ".join(added))
        lines = [
            _("Hồ sơ: %(code)s", code=dossier.code),
            _("Thủ tục: %(name)s", name=dossier.procedure.name),
            note,
            *_answer_lines(details, reasons, comment),
        ]
        if called_back:
            lines.append(
                _("Phụ huynh để lại số điện thoại để nhà trường gọi lại (xem trên trang phản ánh).")
            )
        lines += ["", _("Xem và xử lý: %(url)s", url=public_url(f"/cases/{case_id}"))]
    principals = school_principals(dossier.school_id)
    return CaseUpdate(
        case_id=case_id,
        school_id=dossier.school_id,
        make_serious=now_serious and not serious,
        recipients=tuple(p.email for p in principals if p.email),
        subject=subject,
        body="\n".join(lines),
    )


def update_case(plan: CaseUpdate, response_id: int, now: datetime) -> None:
    """Write the planned update: timeline note, the serious flag, audit row, mail."""
    # The parent's note (no author): the case page shows what was added, translated.
    db.session.add(CaseEvent(case_id=plan.case_id, at=now, kind=EventKind.NOTE, text=""))
    if plan.make_serious:
        db.session.execute(update(Case).where(Case.id == plan.case_id).values(serious=True))
    audit(
        "case_details_added",
        "case",
        plan.case_id,
        school_id=plan.school_id,
        as_user=False,  # the parent's step 2, even if a staff browser sent it
        response_id=response_id,
        serious=plan.make_serious,
    )
    for recipient in plan.recipients:
        enqueue_mail(recipient, plan.subject, plan.body, school_id=plan.school_id)


def step_two_minutes(school_id: int, answered_at: datetime) -> int:
    """How long after step 1 the parent's link takes step 2 (a dated rule)."""
    return int(get_rule("survey_step2_minutes", school_id, to_local(answered_at).date()))


def case_due_date(school_id: int, opened_at: datetime):
    """Opened day + the configured number of working days (the opening day not counted)."""
    today = to_local(opened_at).date()
    due_days = get_rule("case_due_working_days", school_id, today)
    return WorkCalendar(school_id).add_working_days(today, due_days)


def case_mail(
    dossier: Dossier,
    overall: str,
    details: dict[str, str],
    comment: str | None,
    serious: bool,
    due: date,
    reasons: tuple[str, ...] | list[str] = (),
    details_may_follow: int | None = None,
) -> tuple[str, str]:
    """Subject and plain-text body of the mail announcing a case (always in Vietnamese);
    the body's last line links to the case, with _CASE_ID for its id. `details_may_follow`:
    the minutes the parent still has to add reasons and a comment (step 1 of the link)."""
    with force_locale("vi"):
        flag = _("[NGHIÊM TRỌNG] ") if serious else ""
        subject = flag + _("Phản ánh mới về hồ sơ %(code)s", code=dossier.code)
        lines = [
            _("Hồ sơ: %(code)s", code=dossier.code),
            _("Thủ tục: %(name)s", name=dossier.procedure.name),
            _("Đánh giá chung: %(label)s", label=Overall.label_of(overall)),
            _("Hạn xử lý phản ánh: %(date)s", date=due.strftime("%d/%m/%Y")),
            *_answer_lines(details, reasons, comment),
        ]
        if details_may_follow and not comment:
            lines.append(
                _(
                    "Phụ huynh có thể bổ sung lý do và góp ý trong %(minutes)s phút; nếu có, "
                    "nhà trường sẽ nhận thêm một thư.",
                    minutes=details_may_follow,
                )
            )
        lines += ["", _("Xem và xử lý: %(url)s", url=public_url(f"/cases/{_CASE_ID}"))]
    return subject, "\n".join(lines)


def _answer_lines(details: dict[str, str], reasons, comment: str | None) -> list[str]:
    """The mail lines for negative details, ticked reasons and the comment (locale set)."""
    lines = [f"- {label}: {answer}" for label, answer in negative_given(details)]
    ticked = [str(label) for code, label in questions.REASONS if code in set(reasons)]
    if ticked:
        lines += [_("Lý do chưa hài lòng:"), *(f"- {label}" for label in ticked)]
    lines += ["", _("Góp ý của phụ huynh:"), comment or _("(không có)")]
    return lines
