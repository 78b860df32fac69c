"""Rows 17-21 and 24: CSRF on every state-changing route, GET never writes, login throttling,
generic message and timing, cookie replay after logout, session fixation, open redirects.

Also in tests/test_auth.py: 6th failure -> 429, the per-user limit across addresses, the
unknown-user hash cost, replay and fixation for the principal, five `next=` shapes.
"""

import logging
import re
import statistics
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from survey_app.audit import Audit
from survey_app.extensions import db
from survey_app.timeutil import to_local
from tests.conftest import PASSWORD, csrf_token_from
from tests.security.conftest import (
    PUBLIC_POSTS,
    args_for,
    audit_actions_since,
    build_url,
    last_audit_id,
    login,
    rules,
    snapshot,
    valid_payloads,
)


def test_every_post_route_refuses_a_request_without_its_csrf_token(app, world, poster):
    """Row 17: 400 and nothing changes, on every POST route (staff: session CSRF; the
    parent's forms: a token bound to the survey link). /s only looks a code up (exempt)."""
    payloads = valid_payloads(world)
    for side in (world.a,):
        for role in ("principal", "clerk"):
            poster.client_for(getattr(side, role))
    poster.client_for(world.office)
    before, first_audit = snapshot(exclude=()), last_audit_id()
    seen = set()
    for rule, _view in rules(app, "POST"):
        endpoint = rule.endpoint
        response = poster.post(endpoint, payloads[endpoint], csrf=False)
        if endpoint == "survey.enter_code":
            assert response.status_code in (303, 404)  # a look-up: nothing to forge
        else:
            assert response.status_code == 400, (endpoint, response.status_code)
        seen.add(endpoint)
    assert len(seen) == len(payloads)  # every POST route has a payload and was attacked
    assert snapshot(exclude=("audit",)) == {k: v for k, v in before.items() if k != "audit"}
    assert audit_actions_since(first_audit) == []
    assert seen >= PUBLIC_POSTS


def test_foreign_origin_over_https_is_refused_even_with_a_token(app, world):
    """Row 17/18: over HTTPS Flask-WTF also checks the Referer; ours says same-origin, so a
    real browser sends one; a foreign or missing Referer is refused."""
    base = "https://localhost"
    client = app.test_client()
    page = client.get("/login", base_url=base)
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = csrf_token_from(page.get_data(as_text=True))
    data = {"username": world.a.principal.username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data, base_url=base).status_code == 400  # no Referer
    evil = {"Referer": "https://evil.example/login"}
    assert client.post("/login", data=data, base_url=base, headers=evil).status_code == 400
    same = {"Referer": f"{base}/login"}
    assert client.post("/login", data=data, base_url=base, headers=same).status_code == 303
    home = client.get("/dashboard", base_url=base)
    token = csrf_token_from(home.get_data(as_text=True))
    for headers in ({}, evil, {"Referer": "http://localhost/dashboard"}):
        response = client.post(
            "/logout", data={"csrf_token": token}, base_url=base, headers=headers
        )
        assert response.status_code == 400, headers
    assert client.get("/dashboard", base_url=base).status_code == 200  # still logged in


def test_get_never_changes_state(app, world):
    """Row 17 (ASVS 5.0 3.5.3): every GET route, as every role and as a parent, writes
    nothing but the audit line of an export."""
    clients = [login(app, user)[0] for user in (world.a.principal, world.a.clerk, world.office)]
    clients.append(app.test_client())
    before, first_audit = snapshot(), last_audit_id()
    month = to_local(world.a.case_dossier.returned_at).strftime("%Y-%m")
    extra = [
        f"/reports/export?period={month}&format=csv",
        f"/reports?period={month}",
        f"/dossiers/slips?date={to_local(world.a.case_dossier.returned_at).date().isoformat()}",
        "/cases?f=overdue",
        "/logout",
        "/reports/file",
        "/calendar/days",
    ]
    for client in clients:
        for rule, _view in rules(app, "GET"):
            tokens = ("case_dossier", "link_dossier", "resolved_dossier")
            for token_of in tokens if "token" in rule.arguments else tokens[:1]:
                values = args_for(world, rule.endpoint)
                values["token"] = getattr(world.a, token_of).token
                client.get(build_url(rule, values))
        for url in extra:
            client.get(url)
    assert snapshot() == before
    assert set(audit_actions_since(first_audit)) <= {"export"}


def _login(client, username, password, addr):
    env = {"REMOTE_ADDR": addr}
    token = csrf_token_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=env,
    )


def _shape(html: str) -> str:
    html = re.sub(r'nonce="[^"]+"', "", html)
    html = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)
    return re.sub(r'value="[^"]*"', "", html)  # the user name typed, echoed back


def test_twenty_wrong_passwords_then_twenty_unknown_users(app, world, caplog):
    """Row 19: throttled after 5, same status and page for unknown vs wrong, all logged."""
    client = app.test_client()
    first_audit = last_audit_id()
    pages = {}
    with caplog.at_level(logging.WARNING, logger="survey_app"):
        for username, addr in ((world.a.principal.username, "10.1.0.1"), ("khongco", "10.1.0.2")):
            statuses = []
            for _ in range(20):
                response = _login(client, username, "sai mật khẩu", addr)
                statuses.append(response.status_code)
                if response.status_code == 401:
                    pages[username] = _shape(response.get_data(as_text=True))
            assert statuses == [401] * 5 + [429] * 15, (username, statuses)
    wrong, unknown = pages.values()
    assert wrong == unknown
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong
    db.session.commit()
    failed = db.session.scalar(
        select(func.count(Audit.id)).where(Audit.id > first_audit, Audit.action == "login_failed")
    )
    assert failed == 10  # every attempt that reached the password check
    assert caplog.text.count("failed login") == 10
    assert caplog.text.count("login throttled") == 30  # the refused ones are logged too
    # The right password is refused while throttled; other addresses and users are not.
    assert _login(client, world.a.principal.username, PASSWORD, "10.1.0.9").status_code == 429
    assert _login(client, world.b.principal.username, PASSWORD, "10.1.0.9").status_code == 303


def test_unknown_user_and_wrong_password_take_similar_time(app, world):
    """Row 19 timing, with the production Argon2id parameters."""
    app.config["ARGON2_FAST"] = False
    app.config["LOGIN_LIMIT"] = "100 per minute"
    from survey_app.auth.models import User
    from survey_app.auth.passwords import hash_password

    user = db.session.get(User, world.a.principal.id)
    user.password_hash = hash_password(PASSWORD)  # a real-cost hash
    db.session.commit()
    client = app.test_client()
    _login(client, "khongco", "x", "10.2.0.1")  # warm the dummy hash

    def median_s(username):
        samples = []
        for i in range(4):
            start = time.perf_counter()
            _login(client, username, "sai mật khẩu", f"10.2.{len(username)}.{i}")
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    wrong, unknown = median_s(user.username), median_s("khongco")
    assert 0.5 < unknown / wrong < 2.0, (wrong, unknown)


@pytest.mark.parametrize("role", ["principal", "clerk", "office"])
def test_a_copied_cookie_dies_at_logout(app, world, role):
    """Row 20 for every role: the server-side session version makes the old cookie void."""
    user = {"principal": world.a.principal, "clerk": world.a.clerk, "office": world.office}[role]
    client, token = login(app, user)
    page = {"principal": "/cases", "clerk": "/dossiers", "office": "/dashboard"}[role]
    assert client.get(page).status_code == 200
    stolen = client.get_cookie("hl_session").value
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("hl_session", stolen)
    response = thief.get(page)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # Logging in again does not revive the stolen cookie either.
    login(app, user)
    assert thief.get(page).status_code == 302


def test_a_planted_pre_login_cookie_never_becomes_a_session(app, world):
    """Row 21: the attacker's own pre-login cookie, planted in the victim's browser, is not
    authenticated by the victim's login; the victim's cookie value changes at login."""
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("hl_session").value
    victim = app.test_client()
    victim.set_cookie("hl_session", planted)
    token = csrf_token_from(victim.get("/login").get_data(as_text=True))
    response = victim.post(
        "/login",
        data={"username": world.a.principal.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert victim.get_cookie("hl_session").value != planted
    assert victim.get("/cases").status_code == 200
    attacker.set_cookie("hl_session", planted)
    assert attacker.get("/cases").status_code == 302


OPEN_REDIRECTS = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "///evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https:evil.example",
    "http:/\\/evil.example",
    "/%5Cevil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/login\r\nLocation: https://evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_never_leaves_the_site(app, make, target):
    """Row 24: redirect only to internal paths, whatever the spelling."""
    user = make.user("principal")
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": user.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert urlsplit(location).netloc == "" and not any(c < " " for c in location)
    again = client.get("/login", query_string={"next": target}).headers.get("Location", "/")
    assert urlsplit(again).netloc == "" and again.startswith("/")
