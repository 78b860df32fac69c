"""Step 2 of the parent's link: details, reasons, comment and call-back, taken once.

Step 1 stored the response (it counts at once). Step 2 updates that row (comment,
call-back phone) and adds its answers, only for a self-service answer, only within
`survey_step2_minutes` of step 1, and only once, sent or skipped: one
`UPDATE response SET details_at = now WHERE id = ? AND details_at IS NULL AND submitted_at
> window start` claims it. On SQLite it runs under the write lock; on PostgreSQL a second
UPDATE waits for the first one's row lock and then re-reads `details_at`, so it finds no
row. Negative answers open a case, or add to the one step 1 opened, in the same transaction.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from survey_app import questions
from survey_app.audit import audit
from survey_app.cases.models import Case
from survey_app.cases.routing import (
    open_case,
    plan_case,
    plan_case_update,
    step_two_minutes,
    update_case,
)
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db
from survey_app.notify.mail import send_soon
from survey_app.survey.forms import BaseSurveyForm
from survey_app.survey.models import SELF_SERVICE, Answer, Response, ResponseChannel
from survey_app.timeutil import utcnow

_RESPONSE = Response.__table__


@dataclass(frozen=True)
class StepOne:
    """The stored step-1 answer, as step 2 needs it."""

    response_id: int
    overall: str
    channel: ResponseChannel
    submitted_at: datetime
    details_at: datetime | None
    case_id: int | None
    case_serious: bool


def step_one(dossier: Dossier) -> StepOne | None:
    """The dossier's answer and its case, if any; None before step 1."""
    row = db.session.execute(
        select(
            Response.id,
            Response.overall,
            Response.channel,
            Response.submitted_at,
            Response.details_at,
            Case.id,
            Case.serious,
        )
        .outerjoin(Case, Case.response_id == Response.id)
        .where(Response.dossier_id == dossier.id)
    ).first()
    if row is None:
        return None
    rid, overall, channel, submitted_at, details_at, case_id, serious = row
    return StepOne(rid, str(overall), channel, submitted_at, details_at, case_id, bool(serious))


def window_start(dossier: Dossier, now: datetime) -> datetime:
    """Step-1 answers submitted after this moment may still send step 2."""
    return now - timedelta(minutes=step_two_minutes(dossier.school_id, now))


def is_open(dossier: Dossier, answer: StepOne, now: datetime | None = None) -> bool:
    """Whether step 2 can still be sent for this answer."""
    now = now or utcnow()
    return (
        answer.channel in SELF_SERVICE
        and answer.details_at is None
        and answer.submitted_at > window_start(dossier, now)
    )


def store_details(dossier: Dossier, answer: StepOne, form: BaseSurveyForm | None) -> bool:
    """Take step 2 once: store the validated form's answers, or nothing (`None`: skipped).

    False, with nothing written, when step 2 was already taken or its window has passed.
    """
    now = utcnow()
    details = form.details() if form else {}
    reasons = form.reasons_data() if form else []
    comment = form.value("comment") if form else None
    phone = form.value("phone") if form else None
    called_back = bool(form and phone and form.value("consent"))
    # Reads first (due date, principals, the mail's text), then the writes.
    new_case = update_plan = None
    if answer.case_id is None:
        new_case = plan_case(dossier, answer.overall, details, comment, now, reasons=reasons)
    else:
        update_plan = plan_case_update(
            dossier, answer.case_id, answer.case_serious, details, reasons, comment, called_back
        )
    values: dict[str, object] = {"details_at": now}
    if comment:
        values["comment"] = comment
    if called_back:
        values.update(contact_consent=True, contact_phone=phone)
    conn = db.session.connection()
    claimed = conn.execute(
        update(_RESPONSE)
        .where(
            _RESPONSE.c.id == answer.response_id,
            _RESPONSE.c.details_at.is_(None),
            _RESPONSE.c.channel.in_([c.value for c in SELF_SERVICE]),
            _RESPONSE.c.submitted_at > window_start(dossier, now),
        )
        .values(**values)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return False
    answers = [*details.items(), *((questions.REASONS_CODE, v) for v in reasons)]
    db.session.add_all(
        Answer(response_id=answer.response_id, question_code=code, value=value)
        for code, value in answers
    )
    if new_case is not None:
        open_case(new_case, answer.response_id)
    if update_plan is not None:
        update_case(update_plan, answer.response_id, now)
    audit(
        "survey_details" if form else "survey_details_skipped",
        "response",
        answer.response_id,
        school_id=dossier.school_id,
        as_user=False,
        answers=len(answers),
    )
    db.session.commit()
    mailed = new_case is not None or (update_plan is not None and update_plan.recipients)
    if mailed and current_app.config.get("MAIL_SEND_AFTER_COMMIT"):
        send_soon()
    return True
