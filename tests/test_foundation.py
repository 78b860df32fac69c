"""The app shell: route walk, security headers, limits, production refusals, migrations."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from survey_app import create_app
from tests.conftest import csrf_token_from, scratch_database

ROOT = Path(__file__).resolve().parent.parent
# Routes anyone may open; every other route must carry role_required (checked below).
PUBLIC_ENDPOINTS = {
    "static",
    "main.index",
    "main.healthz",
    "auth.login",
    "survey.enter_code",
    "survey.survey",
    "survey.more",
    "survey.thanks",
    "survey.loop",
    "kiosk.enrol",  # the principal's one-time enrolment link, opened on the tablet
}
ROLES = ("principal", "clerk", "office")


def _url_for_rule(rule) -> str:
    values = {
        arg: ("1" if isinstance(rule._converters[arg], IntegerConverter) else "X1")
        for arg in rule.arguments
    }
    return rule.build(values)[1]


def _staff_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        yield rule, app.view_functions[rule.endpoint]


def test_every_non_public_route_has_a_role_check(app):
    missing = [r.rule for r, view in _staff_rules(app) if not hasattr(view, "allowed_roles")]
    assert missing == []


def test_route_walk_without_session(app, client):
    seen = 0
    for rule, _view in _staff_rules(app):
        url = _url_for_rule(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method != "GET":
                continue  # state-changing methods are refused by CSRF first (tested apart)
            response = client.open(url, method=method)
            assert response.status_code in (302, 401, 403), (url, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login")
            seen += 1
    assert seen >= 2


def test_route_walk_wrong_role_gets_403(app, client, auth, make):
    school = make.school()
    checked = 0
    for role in ROLES:
        auth.login(role, username=f"walk-{role}", school=None if role == "office" else school)
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        token = csrf_token_from(home)  # a valid token: the role check must refuse, not CSRF
        for rule, view in _staff_rules(app):
            if role in view.allowed_roles:
                continue
            url = _url_for_rule(rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                data = {} if method == "GET" else {"csrf_token": token}
                response = client.open(url, method=method, data=data)
                assert response.status_code == 403, (role, method, url, response.status_code)
                checked += 1
        auth.logout()
    assert checked >= 2


def test_security_headers_on_pages_and_errors(client):
    for url, code in (("/login", 200), ("/nowhere", 404)):
        response = client.get(url)
        assert response.status_code == code
        csp = response.headers["Content-Security-Policy"]
        for part in (
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ):
            assert part in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, auth):
    auth.login("principal")
    cookie = client.get_cookie("hl_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_production_config_hardening(monkeypatch):
    good = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "TRUSTED_HOSTS": ["school.test"],
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
    }
    app = create_app(good)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    response = app.test_client().get("/login", base_url="https://school.test")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    evil = app.test_client().get("/login", base_url="https://evil.example")
    assert evil.status_code == 400


@pytest.mark.parametrize("key", [None, "", "dev", "changeme", "short-key"])
def test_production_refuses_weak_secret(key):
    config = {
        "APP_ENV": "production",
        "TRUSTED_HOSTS": ["school.test"],
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SECRET_KEY": key,
    }
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_oversize_body_is_413(client):
    response = client.post("/login", data={"username": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_too_many_form_parts_is_413(client):
    data = {f"f{i}": "1" for i in range(1000)}
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "up"


def test_healthz_and_error_page_without_database(tmp_path):
    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://nobody@127.0.0.1:1/x",
        }
    )
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    page = client.get("/login")
    assert page.status_code in (200, 503)
    assert "Traceback" not in page.get_data(as_text=True)


def test_migrations_upgrade_and_match_models(tmp_path):
    with scratch_database(tmp_path, "mig") as url:
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development"}
        flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db"]
        upgrade = subprocess.run(
            [*flask, "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert upgrade.returncode == 0, upgrade.stderr
        check = subprocess.run(
            [*flask, "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No new upgrade operations detected" in check.stdout + check.stderr


def test_production_accepts_a_strong_key_from_the_environment(tmp_path):
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "TRUSTED_HOSTS": "school.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
    }
    code = "from survey_app import create_app; create_app(); print('started')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "started", result.stderr


def test_error_page_shows_our_description_escaped(app):
    from flask import abort

    @app.route("/_boom")
    def boom():
        abort(400, description="Tháng không hợp lệ <b>")

    response = app.test_client().get("/_boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tháng không hợp lệ &lt;b&gt;" in body


def test_staff_page_without_database_is_503_not_a_logout():
    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://nobody@127.0.0.1:1/x",
        }
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"
    response = client.get("/cases")
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)


def test_db_check_on_a_new_empty_database(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "APP_ENV": "development",
    }
    check = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
