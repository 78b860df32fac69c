"""Rows 25, 28, 29 in the production configuration: Host header injection and the links the
app generates, error pages without internals, weak secret keys refused, cookies that do
not crack with a wordlist.
"""

import hashlib
import logging
import re
import secrets

import pytest
from flask import render_template
from flask.sessions import TaggedJSONSerializer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from survey_app import create_app
from survey_app.accesslog import fingerprint
from survey_app.config import DEV_SECRET, TestingConfig
from survey_app.dossiers.qr import qr_svg
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.timeutil import to_local
from tests.conftest import PASSWORD, csrf_token_from

HOST = "school.test"
BASE = f"https://{HOST}"


def production_app(database_url: str, **overrides):
    config = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "TRUSTED_HOSTS": [HOST],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": BASE,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SEND_AFTER_COMMIT": False,
        **overrides,
    }
    return create_app(config)


def https_login(client, username: str) -> str:
    """Log in over HTTPS (same-origin Referer, as a browser sends it); the CSRF token."""
    page = client.get("/login", base_url=BASE)
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        "/login",
        base_url=BASE,
        headers={"Referer": f"{BASE}/login"},
        data={"username": username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303, response.status_code
    return token


# --- Row 25: Host header ---------------------------------------------------------------


def test_foreign_host_headers_are_refused_in_production(app, world):
    prod = production_app(app.config["SQLALCHEMY_DATABASE_URI"])
    client = prod.test_client()
    token = world.a.link_dossier.token
    for path in ("/login", f"/s/{token}", "/s", "/healthz"):
        assert client.get(path, base_url=BASE).status_code in (200, 302), path
        evil = client.get(path, base_url="https://evil.example")
        assert evil.status_code == 400, path
        assert "evil.example" not in evil.get_data(as_text=True)
    # X-Forwarded-Host from the (one trusted) proxy is not trusted for the host name.
    page = client.get(f"/s/{token}", base_url=BASE, headers={"X-Forwarded-Host": "evil.example"})
    assert page.status_code == 200 and "evil.example" not in page.get_data(as_text=True)
    redirect = client.get("/", base_url=BASE, headers={"X-Forwarded-Host": "evil.example"})
    assert "evil" not in redirect.headers.get("Location", "")


def test_generated_links_use_the_public_base_url_whatever_the_host(app, world, poster):
    """Slip, receipt, slip sheet and case mail: PUBLIC_BASE_URL, never the request's Host."""
    base = app.config["PUBLIC_BASE_URL"]
    assert "evil" not in base
    a = world.a
    with app.test_request_context():
        expected_qr = str(qr_svg(f"{base}/s/{a.case_dossier.token}"))
    client, _token = poster.client_for(a.principal)
    session = client.get_cookie("hl_session")
    client.set_cookie("hl_session", session.value, domain="evil.example")
    evil = {"base_url": "http://evil.example", "headers": {"X-Forwarded-Host": "evil.example"}}
    for url in (
        f"/dossiers/{a.case_dossier.code}/slip",
        f"/dossiers/{a.case_dossier.code}/receipt",
        f"/dossiers/slips?date={to_local(a.case_dossier.returned_at).date().isoformat()}",
    ):
        html = client.get(url, **evil).get_data(as_text=True)
        assert f"{base}/s" in html and "evil.example" not in html, url
        assert _qr_path(expected_qr) in html, url  # the QR itself encodes the public URL
    page = app.test_client().get(f"/s/{a.link_dossier.token}", **evil)
    token = csrf_token_from(page.get_data(as_text=True))
    answered = app.test_client().post(
        f"/s/{a.link_dossier.token}",
        data={"overall": "dissatisfied", "comment": "Host giả", "csrf_token": token},
        **evil,
    )
    assert answered.status_code == 303
    assert answered.headers["Location"].startswith("/")  # relative: no host at all
    mail = db.session.scalars(select(Outbox).order_by(Outbox.id.desc())).first()
    assert f"{base}/cases/" in mail.body and "evil.example" not in mail.body


def _qr_path(svg: str) -> str:
    return re.search(r' d="([^"]+)"', svg).group(1)


# --- Row 28: errors in production -------------------------------------------------------


def test_unexpected_errors_show_a_generic_page_with_an_error_id(app, caplog):
    prod = production_app(app.config["SQLALCHEMY_DATABASE_URI"])

    @prod.route("/__boom/<rest>")
    def boom(rest):
        raise RuntimeError("SELECT password_hash FROM app_user -- secret detail")

    @prod.route("/__template")
    def bad_template():
        return render_template("does/not/exist.html")

    assert not prod.debug and not prod.testing
    client = prod.test_client()
    with caplog.at_level(logging.ERROR, logger="survey_app"):
        for path in ("/__boom/x%0d%0aINFO%20forged", "/__template"):
            response = client.get(path, base_url=BASE)
            body = response.get_data(as_text=True)
            assert response.status_code == 500, path
            match = re.search(r"Mã lỗi: ([0-9a-f]{12})", body)
            assert match, body
            for leak in (
                "Traceback",
                "RuntimeError",
                "SELECT",
                "password_hash",
                "Werkzeug",
                "does/not/exist",
                "jinja2",
                'File "',
            ):
                assert leak not in body, (path, leak)
            assert response.headers["Cache-Control"] == "no-store"
            assert match.group(1) in caplog.text  # the id ties the page to the log
    assert "Traceback" in caplog.text  # the log has the details
    for record in caplog.records:
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
    assert client.get("/console", base_url=BASE).status_code == 404  # no debugger


def test_error_logs_name_no_survey_token_and_no_sql_parameter(app, caplog):
    prod = production_app(app.config["SQLALCHEMY_DATABASE_URI"])
    secret = "Zq3v9TtJm0Lk2Xw8RbYc1NdPe7HsGaUf"

    @prod.route("/s/<token>/__boom")
    def boom(token):
        raise RuntimeError("unexpected")

    with caplog.at_level(logging.ERROR, logger="survey_app"):
        response = prod.test_client().get(f"/s/{secret}/__boom", base_url=BASE)
    assert response.status_code == 500
    assert f"/s/~{fingerprint(secret)}/__boom" in caplog.text and secret not in caplog.text
    # A failed statement's message (what the 500 log prints) lists no parameter values.
    # (PostgreSQL's own message may quote the line of the statement it points at, with
    # psycopg2's values inlined: here the value sits on another line.)
    with prod.app_context():
        with pytest.raises(DBAPIError) as failed:
            db.session.execute(
                text("SELECT id FROM no_such_table\nWHERE comment = :comment"),
                {"comment": "Nguyễn Văn A 0901234567"},
            )
        db.session.rollback()
    assert "0901234567" not in str(failed.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(failed.value)


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg2://nobody@127.0.0.1:1/x", "sqlite:////nonexistent-dir/hai-long.db"],
)
def test_database_down_gives_the_503_page_not_a_traceback(url):
    prod = production_app(url)
    client = prod.test_client()
    for path, method in (
        ("/s/" + "A" * 32, "GET"),
        ("/healthz", "GET"),
        ("/s", "POST"),
    ):
        response = client.open(path, method=method, base_url=BASE, data={"code": "ABCD2345"})
        body = response.get_data(as_text=True)
        assert response.status_code == 503, (path, response.status_code)
        for leak in ("Traceback", "OperationalError", "psycopg2", "sqlite3", "SELECT", "127.0.0.1"):
            assert leak not in body, (path, leak)
    page = client.get("/s/" + "A" * 32, base_url=BASE)
    assert "Mã lỗi" in page.get_data(as_text=True) and page.headers["Retry-After"]
    # A login attempt against a dead database: 503, not a 500 nor a crash.
    login_page = client.get("/login", base_url=BASE)
    assert login_page.status_code in (200, 503)
    if login_page.status_code == 200:
        token = csrf_token_from(login_page.get_data(as_text=True))
        response = client.post(
            "/login",
            base_url=BASE,
            headers={"Referer": f"{BASE}/login"},
            data={"username": "hieutruong", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 503


# --- Row 29: the secret key -------------------------------------------------------------

WORDLIST = [
    "",
    "dev",
    "changeme",
    "change-me",
    "secret",
    "secret-key",
    "secret_key",
    "SECRET_KEY",
    "supersecret",
    "password",
    "flask",
    "development",
    "production",
    "default",
    "key",
    "test",
    "testing",
    "hai-long",
    "hailong",
    "please-change-me",
    "CHANGE_ME",
    "your-secret-key",
    "mysecretkey",
    "s3cr3t",
    "0" * 32,
    "a" * 32,
    DEV_SECRET,
    TestingConfig.SECRET_KEY,  # a literal in the repository: anyone can read it
]


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "dev",
        "changeme",
        "secret",
        "x" * 31,
        "é" * 15,
        DEV_SECRET,
        TestingConfig.SECRET_KEY,
        " " * 32,
        "a" * 34,
        "changeme" * 4,
        "abcdefgh" * 4,
    ],
)
def test_production_refuses_weak_or_published_keys(key):
    """Unset, a default, shorter than 32 bytes (UTF-8), patterned (few distinct characters,
    or a piece repeated), or a key printed in this repository."""
    config = {
        "APP_ENV": "production",
        "TRUSTED_HOSTS": [HOST],
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SECRET_KEY": key,
    }
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def _serializer(key: str) -> URLSafeTimedSerializer:
    """Flask's session cookie signer, as flask-unsign rebuilds it."""
    return URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def test_a_real_session_cookie_does_not_crack_with_a_wordlist(app, world):
    key = secrets.token_hex(32)
    prod = production_app(app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY=key)
    client = prod.test_client()
    https_login(client, world.a.principal.username)
    cookie = client.get_cookie("__Host-hl_session", domain=HOST)
    assert cookie is not None
    assert "_user_id" in _serializer(key).loads(cookie.value)  # the method is right...
    for word in WORDLIST:
        with pytest.raises(BadSignature):
            _serializer(word).loads(cookie.value)  # ...and no common key opens it
