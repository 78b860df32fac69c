"""Storing one answer: response, answers, case and mail in ONE transaction.

The database's unique constraint on response.dossier_id is the one-answer rule: the loser
of a race gets IntegrityError on flush or commit, which becomes the 409 page.
"""

from flask import current_app
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from survey_app import questions
from survey_app.audit import audit
from survey_app.auth.models import User
from survey_app.cases.routing import open_case, plan_case
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.extensions import db
from survey_app.notify.mail import send_soon
from survey_app.sqlite_settings import begin_writes
from survey_app.survey import provenance
from survey_app.survey.forms import BaseSurveyForm
from survey_app.survey.models import SELF_SERVICE, Answer, Overall, Response, ResponseChannel
from survey_app.timeutil import utcnow

# Core statements on the session's connection: compiled once, no unit of work per answer.
# B1 on PostgreSQL measured the answer 21-38% slower through the ORM's db.session.add()
# (BENCHMARKS.md, "The request path, plain").
_INSERT_RESPONSE = insert(Response.__table__).returning(Response.__table__.c.id)
_INSERT_ANSWER = insert(Answer.__table__)
_ANSWER_OF = select(Response.id).where(Response.dossier_id == bindparam("dossier_id"))


def is_answered(dossier: Dossier) -> bool:
    return db.session.scalar(_ANSWER_OF, {"dossier_id": dossier.id}) is not None


def is_expired(dossier: Dossier) -> bool:
    return dossier.token_expires_at is not None and dossier.token_expires_at < utcnow()


def can_answer(dossier: Dossier) -> bool:
    return dossier.status is DossierStatus.RETURNED


def store_response(
    dossier: Dossier,
    form: BaseSurveyForm,
    channel: ResponseChannel,
    entered_by: User | None = None,
    *,
    kiosk_device_id: int | None = None,
    late_entry_reason: str | None = None,
) -> int | None:
    """Store a validated form: the response's id, or None when the dossier already has an
    answer (the race lost). The caller has asked survey.refusal.refusal() first.

    The parent's link sends step 1 here (the overall answer alone, a form without the other
    fields; step 2 is survey.details); staff channels send the whole form. The common answer
    is three INSERTs (response, its answers in one statement, the audit row) and the COMMIT;
    a response that needs follow-up also opens its case and mail, whose reads (due date,
    principals, the mail's text) come first.
    """
    details, reasons = form.details(), form.reasons_data()
    overall = Overall(form.overall.data)
    phone = form.value("phone") or None
    consent = bool(form.value("consent"))
    dossier_id, school_id = dossier.id, dossier.school_id
    now = utcnow()  # the answer's time, and its case's
    answers = [*details.items(), *((questions.REASONS_CODE, v) for v in reasons)]
    row = {
        "dossier_id": dossier_id,
        "school_id": school_id,
        "channel": channel,
        "overall": overall,
        "comment": form.value("comment") or None,
        "contact_consent": bool(phone and consent),
        "contact_phone": phone if consent else None,
        "entered_by_id": entered_by.id if entered_by else None,
        "kiosk_device_id": kiosk_device_id,
        "late_entry_reason": late_entry_reason,
        "questions_version": questions.VERSION,
        "submitted_at": now,
        **provenance.of_answer(dossier, channel, now),
    }
    # The parent's link asks the rest on step 2: the principal's mail says it may follow.
    case = plan_case(
        dossier,
        overall.value,
        details,
        row["comment"],
        now,
        reasons=reasons,
        details_may_follow=channel in SELF_SERVICE,
    )
    try:
        begin_writes()  # SQLite: the write lock from here, for a @reads_first view
        conn = db.session.connection()
        response_id = conn.execute(_INSERT_RESPONSE, row).scalar_one()
        if answers:
            conn.execute(
                _INSERT_ANSWER,
                [{"response_id": response_id, "question_code": c, "value": v} for c, v in answers],
            )
        if case is not None:
            open_case(case, response_id)
        audit(
            "survey_answered",
            "response",
            response_id,
            school_id=school_id,
            user_id=row["entered_by_id"],
            as_user=False,
            channel=channel.value,
            dossier_id=dossier_id,
            **({"kiosk_device_id": kiosk_device_id} if kiosk_device_id else {}),
            **({"late_entry": True} if late_entry_reason else {}),
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if is_answered(dossier):
            return None
        raise
    if case is not None and current_app.config.get("MAIL_SEND_AFTER_COMMIT"):
        send_soon()  # the case's mail, in a background thread
    return response_id
