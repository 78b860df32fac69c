"""Mail through the outbox, against a real SMTP server on loopback (aiosmtpd)."""

import email
import email.policy
import socket
import threading
import time
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.notify.mail import BACKOFF_CAP, backoff, enqueue_mail, send_pending, send_soon
from survey_app.notify.models import Outbox
from survey_app.timeutil import LOCAL_TZ, utcnow
from tests.conftest import csrf_token_from


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every accepted message; refuses `refuse@...` recipients."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.logins: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


class SMTPServer:
    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port, MAIL_TIMEOUT=5)

    def start(self, **kwargs):
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.inbox.authenticate,
            auth_require_tls=False,
            **kwargs,
        )
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.inbox.messages


@pytest.fixture
def smtp(app):
    server = SMTPServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down(app):
    """The SMTP settings point at a port nobody listens on (start() brings it up)."""
    server = SMTPServer(app)
    yield server
    server.stop()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        db.session.expire_all()
        if predicate():
            return True
        time.sleep(0.05)
    return False


def outbox() -> list[Outbox]:
    db.session.expire_all()
    return db.session.scalars(select(Outbox).order_by(Outbox.id)).all()


def returned_dossier(make):
    now = datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    return make.dossier(received_at=now - timedelta(days=5), returned_at=now - timedelta(hours=1))


def answer(client, dossier, overall: str, **more):
    """Step 1 (timed: the parent waits for it), then step 2 with `more` when given."""
    page = client.get(f"/s/{dossier.token}")
    form = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "overall": overall}
    started = time.monotonic()
    response = client.post(f"/s/{dossier.token}", data=form)
    elapsed = time.monotonic() - started
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    if more:
        page = client.get(response.headers["Location"])
        more["csrf_token"] = csrf_token_from(page.get_data(as_text=True))
        response = client.post(response.headers["Location"], data=more)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return elapsed


def test_dissatisfied_answer_mails_the_principal_exactly_once(app, client, make, smtp):
    """Step 1 opens the case and mails at once; step 2's reasons and comment follow in a
    second mail. Each is delivered exactly once."""
    app.config["MAIL_SEND_AFTER_COMMIT"] = True
    make.user("principal", email="hieutruong@school.test")
    dossier = returned_dossier(make)
    answer(client, dossier, "dissatisfied")
    assert wait_for(lambda: len(smtp.messages) == 1 and outbox()[0].sent_at is not None)
    message = smtp.messages[0]
    assert message["To"] == "hieutruong@school.test"
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert dossier.code in message["Subject"] and "Phản ánh mới" in message["Subject"]
    body = message.get_content()
    assert dossier.code in body and dossier.procedure.name in body
    assert "Phụ huynh có thể bổ sung lý do và góp ý trong 60 phút" in body
    assert f"{app.config['PUBLIC_BASE_URL']}/cases/" in body
    # Step 2: the reasons and the comment reach the principal by a second mail.
    page = client.get(f"/s/{dossier.token}/more")
    more = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "reasons": ["long_wait", "impolite"],
        "comment": "Cán bộ hẹn ba lần <b>vẫn</b> chưa xong",
    }
    assert client.post(f"/s/{dossier.token}/more", data=more).status_code == 303
    assert wait_for(lambda: len(smtp.messages) == 2 and outbox()[1].sent_at is not None)
    second = smtp.messages[1]
    assert second["To"] == "hieutruong@school.test"
    assert dossier.code in second["Subject"] and "bổ sung ý kiến" in second["Subject"]
    body = second.get_content()
    assert "Cán bộ hẹn ba lần <b>vẫn</b> chưa xong" in body
    assert "Chờ đợi lâu" in body and "Thái độ thiếu lịch sự, thiếu tận tình" in body
    assert f"{app.config['PUBLIC_BASE_URL']}/cases/" in body
    assert send_pending() == (0, 0)
    time.sleep(0.2)
    assert len(smtp.messages) == 2


def test_satisfied_answer_mails_nobody(app, client, make, smtp):
    app.config["MAIL_SEND_AFTER_COMMIT"] = True
    make.user("principal", email="hieutruong@school.test")
    answer(client, returned_dossier(make), "very_satisfied", comment="Rất tốt")
    assert outbox() == []
    assert send_pending() == (0, 0)
    assert smtp.messages == []


def test_server_down_answer_kept_mail_waits_then_delivered_once(
    app, client, make, runner, smtp_down
):
    app.config["MAIL_SEND_AFTER_COMMIT"] = True
    smtp_down.start().stop()  # the school's mail server goes down
    make.user("principal", email="hieutruong@school.test")
    dossier = returned_dossier(make)
    assert answer(client, dossier, "dissatisfied") < 2.0
    assert wait_for(lambda: outbox()[0].attempts == 1)
    (mail,) = outbox()
    assert mail.sent_at is None and "Connection refused" in mail.last_error
    assert mail.next_attempt_at > utcnow()
    # A frequent cron job waits out the backoff; it never piles up attempts.
    result = runner.invoke(args=["notify", "send", "--due-only"])
    assert "sent 0, failed 0" in result.output
    smtp_down.start()  # ... and comes back on the same port
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output
    assert len(smtp_down.messages) == 1 and dossier.code in smtp_down.messages[0]["Subject"]
    assert outbox()[0].sent_at is not None and outbox()[0].last_error is None
    result = runner.invoke(args=["notify", "send"])
    assert "sent 0, failed 0" in result.output
    assert len(smtp_down.messages) == 1


def test_a_server_that_hangs_never_blocks_the_parent(app, client, make):
    # A socket that accepts connections but never greets: the sender waits for its timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        app.config.update(
            MAIL_SEND_AFTER_COMMIT=True,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=silent.getsockname()[1],
            MAIL_TIMEOUT=1,
        )
        make.user("principal", email="hieutruong@school.test")
        assert answer(client, returned_dossier(make), "dissatisfied") < 0.9
        assert wait_for(lambda: outbox()[0].attempts == 1, timeout=5)
        assert "timed out" in outbox()[0].last_error
    finally:
        silent.close()


def test_failures_back_off_exponentially_up_to_an_hour(app, smtp_down):
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30) == BACKOFF_CAP == timedelta(hours=1)
    enqueue_mail("a@school.test", "Thử", "Nội dung", school_id=None)
    db.session.commit()
    for attempt in (1, 2, 3):
        before = utcnow()
        assert send_pending(retry_now=True) == (0, 1)
        (mail,) = outbox()
        assert mail.attempts == attempt
        wait = mail.next_attempt_at - before
        assert backoff(attempt) <= wait <= backoff(attempt) + timedelta(seconds=5)
    assert send_pending() == (0, 0)  # still waiting: not due


def test_a_refused_recipient_does_not_hold_up_the_others(app, smtp):
    enqueue_mail("refuse@school.test", "Một", "1", school_id=None)
    enqueue_mail("ok@school.test", "Hai", "2", school_id=None)
    db.session.commit()
    assert send_pending() == (1, 1)
    refused, delivered = outbox()
    assert refused.sent_at is None and refused.attempts == 1 and "550" in refused.last_error
    assert delivered.sent_at is not None
    assert [m["To"] for m in smtp.messages] == ["ok@school.test"]


def test_login_when_configured_and_utf8_headers(app, smtp):
    app.config.update(MAIL_USERNAME="hailong", MAIL_PASSWORD="s3cret-pass")
    enqueue_mail("ht@school.test", "Phản ánh mới\r\nBcc: evil@x.test", "Đồng ý ✓", school_id=None)
    db.session.commit()
    assert send_pending() == (1, 0)
    assert smtp.inbox.logins == [("hailong", "s3cret-pass")]
    (message,) = smtp.messages
    assert message["Subject"] == "Phản ánh mới Bcc: evil@x.test"
    assert message["Bcc"] is None and smtp.inbox.envelopes[0].rcpt_tos == ["ht@school.test"]
    assert message.get_content().strip() == "Đồng ý ✓"


def test_two_senders_at_once_deliver_each_mail_once(app, smtp):
    for n in range(30):
        enqueue_mail(f"p{n}@school.test", f"Thư {n}", "x", school_id=None)
    db.session.commit()
    start = threading.Barrier(2)
    results = []

    def sender():
        with app.app_context():
            start.wait()
            results.append(send_pending())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(sent for sent, _failed in results) == 30
    assert sum(failed for _sent, failed in results) == 0
    recipients = [m["To"] for m in smtp.messages]
    assert len(recipients) == 30 and len(set(recipients)) == 30
    assert all(row.sent_at is not None for row in outbox())


def test_send_soon_runs_in_the_background(app, smtp):
    enqueue_mail("ht@school.test", "Nền", "x", school_id=None)
    db.session.commit()
    with app.test_request_context():
        thread = send_soon()
    assert thread is not None and thread.daemon
    thread.join(10)
    assert len(smtp.messages) == 1


def test_one_sender_thread_at_a_time(app):
    silent = socket.socket()  # accepts, never greets: the first pass waits for its timeout
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=1)
    enqueue_mail("ht@school.test", "Một", "x", school_id=None)
    db.session.commit()
    try:
        with app.test_request_context():
            first = send_soon()
            assert first is not None
            assert send_soon() is None  # coalesced into one more pass of the running thread
            first.join(10)
            assert not first.is_alive()
            (mail,) = outbox()
            assert mail.attempts == 1  # the extra pass found nothing due (backoff)
            again = send_soon()
            assert again is not None
            again.join(10)
    finally:
        silent.close()
