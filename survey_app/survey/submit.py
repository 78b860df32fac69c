"""Storing one answer: response, answers, case and mail in ONE transaction.

The database's unique constraint on response.dossier_id is the one-answer rule: the loser
of a race gets IntegrityError on flush or commit, which becomes the 409 page.
"""

import os
import signal
import time

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.audit import audit
from survey_app.auth.models import User
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.extensions import db
from survey_app.notify.mail import send_soon
from survey_app.survey import questions
from survey_app.survey.forms import BaseSurveyForm
from survey_app.survey.models import Answer, Overall, Response, ResponseChannel
from survey_app.timeutil import utcnow


def is_answered(dossier: Dossier) -> bool:
    return (
        db.session.scalar(select(Response.id).where(Response.dossier_id == dossier.id)) is not None
    )


def is_expired(dossier: Dossier) -> bool:
    return dossier.token_expires_at is not None and dossier.token_expires_at < utcnow()


def can_answer(dossier: Dossier) -> bool:
    return dossier.status is DossierStatus.RETURNED


def store_response(
    dossier: Dossier,
    form: BaseSurveyForm,
    channel: ResponseChannel,
    entered_by: User | None = None,
) -> Response | None:
    """Store a validated form; None when the dossier already has an answer (the race lost)."""
    from survey_app.cases.routing import route_response  # cases imports survey models

    details = form.details()
    phone = form.phone.data or None
    response = Response(
        dossier=dossier,
        school_id=dossier.school_id,
        channel=channel,
        overall=Overall(form.overall.data),
        comment=form.comment.data or None,
        contact_consent=bool(phone and form.consent.data),
        contact_phone=phone if form.consent.data else None,
        entered_by=entered_by,
        questions_version=questions.VERSION,
    )
    for code, value in details.items():
        response.answers.append(Answer(question_code=code, value=value))
    for value in form.reasons_data():
        response.answers.append(Answer(question_code=questions.REASONS_CODE, value=value))
    try:
        db.session.add(response)
        db.session.flush()
        case = route_response(response, details)
        audit(
            "survey_answered",
            "response",
            response.id,
            school_id=dossier.school_id,
            user_id=entered_by.id if entered_by else None,
            channel=channel.value,
            dossier_id=dossier.id,
        )
        _fault_sleep_before_commit()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if is_answered(dossier):
            return None
        raise
    _fault_kill_after_commit()
    if case is not None and current_app.config.get("MAIL_SEND_AFTER_COMMIT"):
        send_soon()  # the case's mail, in a background thread
    return response


def _fault_sleep_before_commit() -> None:
    """Test-only: widen the window before COMMIT (fault-injection tests kill the worker)."""
    seconds = os.environ.get("HL_FAULT_SUBMIT_SLEEP")
    if current_app.config.get("FAULT_HOOKS") and seconds:
        time.sleep(float(seconds))


def _fault_kill_after_commit() -> None:
    """Test-only: die right after COMMIT, before the response is sent."""
    if (
        current_app.config.get("FAULT_HOOKS")
        and os.environ.get("HL_FAULT_KILL_AFTER_COMMIT") == "1"
    ):
        os.kill(os.getpid(), signal.SIGKILL)
