"""Mail through the outbox: written in the caller's transaction, delivered later.

Delivery claims each row with one atomic UPDATE before sending it, so two senders (the web
process's thread and `flask notify send`) never both send the same mail. A claim pushes
`next_attempt_at` beyond the backoff cap; a row whose next attempt lies that far ahead is
being sent right now (or its sender died, and it is retried once the claim lapses).
Every write here is a transaction that begins with a write (no SQLite lock upgrades).
"""

import smtplib
import ssl
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import insert, select, update

from survey_app.extensions import db, rowcount
from survey_app.notify.models import Outbox
from survey_app.timeutil import utcnow

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
CLAIM = BACKOFF_CAP + timedelta(minutes=15)
# Refusals of one message; any other error (smtplib's are OSErrors too: refused connection,
# timeout, lost connection, failed login) ends the batch, as the rest would fail the same way.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    ValueError,
)


# Core, not the ORM: on the answer's path (a case's mail), see survey/submit.py.
_INSERT_OUTBOX = insert(Outbox.__table__)


def enqueue_mail(recipient: str, subject: str, body: str, school_id: int | None) -> None:
    """Add a mail to the outbox in the current transaction (the caller commits)."""
    # Header injection is impossible by construction: no CR/LF in a subject line.
    subject = " ".join(subject.split())
    db.session.connection().execute(
        _INSERT_OUTBOX,
        {"recipient": recipient, "subject": subject[:300], "body": body, "school_id": school_id},
    )


def public_url(path: str) -> str:
    """An absolute link, built only from PUBLIC_BASE_URL (never from the request's Host)."""
    return current_app.config["PUBLIC_BASE_URL"] + path


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 1, 2, 4... minutes, at most an hour."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def send_pending(limit: int = 100, retry_now: bool = False) -> tuple[int, int]:
    """Deliver pending outbox mail; returns (sent, failed).

    `retry_now` also takes mail still waiting out its backoff (an operator's
    `flask notify send` after fixing the server), never one another sender has claimed.
    """
    now = utcnow()
    horizon = now + BACKOFF_CAP if retry_now else now
    ids = db.session.scalars(
        select(Outbox.id)
        .where(Outbox.sent_at.is_(None), Outbox.next_attempt_at <= horizon)
        .order_by(Outbox.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    smtp = None
    try:
        for outbox_id in ids:
            row = _claim(outbox_id, horizon)
            if row is None:
                continue
            try:
                smtp = smtp or _connect()
                smtp.send_message(_message(row))
            except (OSError, ValueError) as exc:
                _record_failure(outbox_id, row.attempts + 1, exc)
                failed += 1
                if not isinstance(exc, MESSAGE_ERRORS):
                    if smtp is not None:
                        smtp.close()
                    smtp = None
                    break
            else:
                _record_sent(outbox_id)
                sent += 1
    finally:
        if smtp is not None:
            _quit(smtp)
    return sent, failed


def _claim(outbox_id: int, horizon: datetime):
    """Take the row for this sender, atomically; its columns, or None if someone else has it."""
    claimed = db.session.execute(
        update(Outbox)
        .where(
            Outbox.id == outbox_id,
            Outbox.sent_at.is_(None),
            Outbox.next_attempt_at <= horizon,
        )
        .values(next_attempt_at=utcnow() + CLAIM)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        db.session.rollback()
        return None
    row = db.session.execute(
        select(Outbox.recipient, Outbox.subject, Outbox.body, Outbox.attempts).where(
            Outbox.id == outbox_id
        )
    ).one()
    db.session.commit()
    return row


def _record_sent(outbox_id: int) -> None:
    db.session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id)
        .values(sent_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record_failure(outbox_id: int, attempts: int, exc: Exception) -> None:
    current_app.logger.warning("mail %s not sent (attempt %s): %r", outbox_id, attempts, exc)
    db.session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id)
        .values(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:1000],
            next_attempt_at=utcnow() + backoff(attempts),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _message(row) -> EmailMessage:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body, charset="utf-8")
    return message


def send_soon() -> threading.Thread | None:
    """Deliver pending mail in a background thread; never blocks or fails the caller.

    One sender thread per process: a call while it runs only asks it for one more pass
    (so a burst of answers does not start a burst of SMTP connections).
    """
    try:
        # Flask types current_app as the app itself, not the proxy it is.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        state = app.extensions.setdefault(
            "outbox_sender", {"lock": threading.Lock(), "running": False, "again": False}
        )
        with state["lock"]:
            if state["running"]:
                state["again"] = True
                return None
            state["running"] = True
        thread = threading.Thread(target=_send_in_thread, args=(app, state), daemon=True)
        thread.name = "outbox-sender"
        try:
            thread.start()
        except BaseException:
            with state["lock"]:
                state["running"] = False
            raise
        return thread
    except Exception:  # noqa: BLE001  (mail must never fail the parent's request)
        current_app.logger.exception("could not start the mail thread")
        return None


def _send_in_thread(app, state: dict) -> None:
    while True:
        with app.app_context():
            try:
                send_pending()
            except Exception:  # noqa: BLE001  (the outbox keeps the mail for the next try)
                app.logger.exception("background mail delivery failed")
                db.session.rollback()
            finally:
                db.session.remove()
        with state["lock"]:
            if not state["again"]:
                state["running"] = False
                return
            state["again"] = False
