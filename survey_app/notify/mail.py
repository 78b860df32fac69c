"""Mail through the outbox: written in the caller's transaction, delivered later."""

from flask import current_app

from survey_app.extensions import db
from survey_app.notify.models import Outbox


def enqueue_mail(recipient: str, subject: str, body: str, school_id: int | None) -> Outbox:
    """Add a mail to the outbox in the current transaction (the caller commits)."""
    # Header injection is impossible by construction: no CR/LF in a subject line.
    subject = " ".join(subject.split())
    row = Outbox(recipient=recipient, subject=subject[:300], body=body, school_id=school_id)
    db.session.add(row)
    return row


def public_url(path: str) -> str:
    """An absolute link, built only from PUBLIC_BASE_URL (never from the request's Host)."""
    return current_app.config["PUBLIC_BASE_URL"] + path
