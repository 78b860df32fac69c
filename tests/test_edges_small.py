"""The smaller findings of issue 16 (7): token redaction in access logs, a failed login's
audit row, `users create --email`, the CSV Content-Type, and `data purge` scrubbing free
text past its retention. (The IPv6 /64 limit is in test_edges_proxy.py.) Both databases.
"""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey_app.accesslog import fingerprint, redact, redact_query
from survey_app.audit import Audit
from survey_app.auth.models import User
from survey_app.cases.models import Case, CaseEvent, CaseStatus, EventKind
from survey_app.dated_rules import set_rule
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.retention import PURGED_TEXT
from survey_app.survey.models import Response
from survey_app.timeutil import utcnow
from tests.conftest import csrf_token_from

TOKEN = "Zq3v9TtJm0Lk2Xw8RbYc1NdPe7HsGaUf"


@pytest.mark.parametrize(
    "logged",
    [
        "GET //s/TOKEN HTTP/1.1",
        "GET /s//TOKEN HTTP/1.1",
        "GET ///s///TOKEN/thanks HTTP/1.1",
        "GET /%73/TOKEN HTTP/1.1",
        "GET /s?token=TOKEN HTTP/1.1",
        "GET /login?next=/s/TOKEN HTTP/1.1",
        "GET /login?next=%2Fs%2FTOKEN HTTP/1.1",
        "GET /dossiers?q=TOKEN&page=2 HTTP/1.1",
        "https://school.test//s/TOKEN",
    ],
)
def test_access_log_redacts_every_spelling_of_a_token(logged):
    out = redact(logged.replace("TOKEN", TOKEN))
    assert TOKEN not in out and "~" in out, out


def test_the_tablets_codes_are_redacted_but_not_its_own_pages():
    """/kiosk/<short_code> is the parent's code (it opens their survey at /s too);
    /kiosk/enrol/<code> turns a browser into an enrolled tablet while it lasts."""
    for line in (
        "GET /kiosk/ABCD2345 HTTP/1.1",
        "POST //kiosk/ABCD2345 HTTP/1.1",
        f"GET /kiosk/enrol/{TOKEN} HTTP/1.1",
        "https://school.test/kiosk/ABCD2345",
    ):
        out = redact(line)
        assert "ABCD2345" not in out and TOKEN not in out and "/~" in out, out
    assert redact("GET /kiosk/done HTTP/1.1") == "GET /kiosk/done HTTP/1.1"
    assert redact("GET /kiosk?lang=en HTTP/1.1") == "GET /kiosk?lang=en HTTP/1.1"
    assert redact("GET /kiosks/3/link HTTP/1.1") == "GET /kiosks/3/link HTTP/1.1"


def test_short_codes_in_query_strings_are_redacted():
    assert redact("GET /s?code=ABCD2345&lang=vi HTTP/1.1") == (
        f"GET /s?code=~{fingerprint('ABCD2345')}&lang=vi HTTP/1.1"
    )
    assert redact_query(f"lang=en&token={TOKEN}") == f"lang=en&token=~{fingerprint(TOKEN)}"
    assert redact_query("month=2026-01&page=2") == "month=2026-01&page=2"
    assert redact("GET /dossiers/HS-0001/slip HTTP/1.1") == "GET /dossiers/HS-0001/slip HTTP/1.1"


def _failed_login(client, username):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": "wrong", "csrf_token": token}
    )


def test_failed_login_keeps_no_typed_text_of_an_unknown_name(client, make, caplog):
    make.user(role="clerk", username="vanthu")
    typed_password = "Mat-Khau-Bi-Mat-2026"
    assert _failed_login(client, typed_password).status_code == 401
    assert _failed_login(client, "VanThu").status_code == 401
    rows = db.session.scalars(
        select(Audit).where(Audit.action == "login_failed").order_by(Audit.id)
    ).all()
    names = [json.loads(r.detail)["username"] for r in rows]
    assert names[0].startswith("unknown:") and typed_password.lower() not in names[0]
    assert names[1] == "vanthu"  # an account's name is kept as is
    assert typed_password.lower() not in caplog.text and typed_password not in caplog.text
    # The same unknown text gets the same marker (tries can still be grouped).
    _failed_login(client, typed_password)
    again = db.session.scalars(select(Audit).order_by(Audit.id.desc())).first()
    assert json.loads(again.detail)["username"] == names[0]


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("hieutruong@school.edu.vn", True),
        ("hieutruong@localhost", False),
        ("not-an-address", False),
        ("a@b", False),
        ("x@@school.edu.vn", False),
        ("hieu truong@school.edu.vn", False),
        ("a@school.edu.vn\nBcc: evil@example.com", False),
    ],
)
def test_users_create_validates_the_email(runner, make, email, ok):
    make.school()
    result = runner.invoke(
        args=["users", "create", "hieutruong", "--role", "principal", "--email", email],
        input="correct horse battery\ncorrect horse battery\n",
    )
    user = db.session.scalars(select(User).where(User.username == "hieutruong")).first()
    if ok:
        assert result.exit_code == 0, result.output
        assert user.email == email
    else:
        assert result.exit_code == 2 and "--email" in result.output, result.output
        assert user is None


def test_csv_export_has_one_charset(client, auth):
    auth.login("principal")
    month = utcnow().strftime("%Y-%m")
    response = client.get(f"/reports/export?period={month}&format=csv")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_purge_scrubs_free_text_past_retention_keeping_counts(app, make, runner):
    school = make.school()
    long_ago = utcnow() - timedelta(days=800)
    old = make.dossier(
        received_at=datetime(2024, 9, 2, 9, 0), returned_at=datetime(2024, 9, 5, 9, 0)
    )
    old_answer = make.response(old, overall="dissatisfied", comment="Cô văn thư tên Hoa cáu gắt")
    old_answer.submitted_at = long_ago
    case = Case(
        school_id=school.id,
        response_id=old_answer.id,
        opened_at=long_ago,
        due_date=long_ago.date(),
        status=CaseStatus.RESOLVED,
        resolution="Đã gọi cho bà Lan, 0912345678",
        root_cause="other",
        resolved_at=long_ago,
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(CaseEvent(case_id=case.id, at=long_ago, kind=EventKind.NOTE, text="Ghi chú"))
    db.session.add(
        Outbox(
            school_id=school.id,
            recipient="p@school.test",
            subject="Phản ánh mới",
            body="Góp ý: Cô văn thư tên Hoa",
            created_at=long_ago,
            sent_at=long_ago,
        )
    )
    recent = make.dossier(received_at=datetime(2026, 9, 2, 9, 0))
    fresh = make.response(recent, overall="satisfied", comment="Rất tốt")
    db.session.commit()
    responses_before = db.session.scalar(select(func.count(Response.id)))

    result = runner.invoke(args=["data", "purge", "--before", "2000-01-01", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Scrubbed 4 comments, case notes and mail bodies" in result.output
    db.session.expire_all()
    assert db.session.get(Response, old_answer.id).comment == PURGED_TEXT
    assert db.session.get(Response, old_answer.id).overall == "dissatisfied"  # figures stay
    assert db.session.get(Case, case.id).resolution == PURGED_TEXT
    assert db.session.scalars(select(CaseEvent.text)).all() == [PURGED_TEXT]
    assert db.session.scalars(select(Outbox.body)).all() == [PURGED_TEXT]
    assert db.session.get(Response, fresh.id).comment == "Rất tốt"  # within retention
    assert db.session.scalar(select(func.count(Response.id))) == responses_before
    (row,) = db.session.scalars(select(Audit).where(Audit.action == "purge_personal_data"))
    assert json.loads(row.detail)["texts"] == 4

    # The retention is a dated rule: a school may keep text longer.
    fresh_answer = db.session.get(Response, fresh.id)
    fresh_answer.submitted_at = utcnow() - timedelta(days=40)
    set_rule("free_text_retention_days", 30, datetime(2020, 1, 1).date(), school.id)
    db.session.commit()
    again = runner.invoke(args=["data", "purge", "--before", "2000-01-01", "--yes"])
    assert "Scrubbed 1 comments" in again.output
    nothing = runner.invoke(args=["data", "purge", "--before", "2000-01-01", "--yes"])
    assert "Nothing to purge" in nothing.output
