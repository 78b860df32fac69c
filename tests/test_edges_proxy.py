"""Forged client addresses (issue 16, finding 2; and the IPv6 /64 of finding 7).

X-Forwarded-For names the client only when the TCP peer is a configured trusted proxy;
per-address limits count an IPv6 /64 as one address; gunicorn binds loopback by default
and its access log writes the address the app believed.
"""

import logging
import re
import secrets
from pathlib import Path

from survey_app.clientaddr import address_key, in_networks, parse_networks
from survey_app.dossiers.models import SHORT_CODE_ALPHABET
from tests.conftest import PASSWORD, csrf_token_from
from tests.security.test_production import BASE, production_app

ROOT = Path(__file__).resolve().parent.parent
OUTSIDER = "203.0.113.9"  # reaches gunicorn directly, not a proxy


def _code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))


def _app(app, **overrides):
    return production_app(app.config["SQLALCHEMY_DATABASE_URI"], **overrides)


def _login(client, username, password, peer, forwarded=None):
    headers = {"Referer": f"{BASE}/login"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    env = {"REMOTE_ADDR": peer}
    page = client.get("/login", base_url=BASE, environ_base=env, headers=headers)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        "/login",
        base_url=BASE,
        environ_base=env,
        headers=headers,
        data={"username": username, "password": password, "csrf_token": token},
    )


def test_forged_forwarded_for_does_not_spread_code_guesses(app):
    client = _app(app).test_client()
    statuses = []
    for i in range(25):
        response = client.post(
            "/s",
            base_url=BASE,
            data={"code": _code()},
            environ_base={"REMOTE_ADDR": OUTSIDER},
            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [404] * 20 and statuses[-1] == 429


def test_forged_forwarded_for_does_not_spread_logins(app, make, caplog):
    client = _app(app).test_client()
    for i in range(6):
        make.user(role="clerk", username=f"clerk{i}")
    caplog.set_level(logging.WARNING)
    statuses = [
        _login(client, f"clerk{i}", "wrong", OUTSIDER, f"198.51.100.{i + 1}").status_code
        for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    logged = caplog.text
    assert OUTSIDER in logged and "198.51.100." not in logged  # the log holds the real peer


def test_trusted_proxy_names_the_client(app, make, caplog):
    client = _app(app).test_client()
    make.user(role="clerk", username="vanthu")
    caplog.set_level(logging.WARNING)
    assert _login(client, "vanthu", "wrong", "127.0.0.1", "198.51.100.7").status_code == 401
    assert "from 198.51.100.7" in caplog.text
    # Two clients behind the same nginx have their own limits.
    for _ in range(4):
        _login(client, "vanthu", "wrong", "127.0.0.1", "198.51.100.7")
    assert _login(client, "vanthu", PASSWORD, "127.0.0.1", "198.51.100.8").status_code == 429
    # (the username's own limit is used up too; a fresh user from a fresh address passes)
    make.user(role="clerk", username="thuquy")
    assert _login(client, "thuquy", PASSWORD, "127.0.0.1", "198.51.100.8").status_code == 303


def test_no_trusted_proxy_configured_means_no_forwarded_for(app, make, caplog):
    client = _app(app, TRUSTED_PROXIES="").test_client()
    make.user(role="clerk", username="vanthu")
    caplog.set_level(logging.WARNING)
    _login(client, "vanthu", "wrong", "127.0.0.1", "198.51.100.7")
    assert "from 127.0.0.1" in caplog.text and "198.51.100.7" not in caplog.text


def test_ipv6_limits_count_the_whole_64(app, make):
    client = _app(app).test_client()
    for i in range(6):
        make.user(role="clerk", username=f"clerk{i}")
    statuses = [
        _login(client, f"clerk{i}", "wrong", f"2001:db8:1:2::{i + 1:x}").status_code
        for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    # Another /64 is another address.
    make.user(role="clerk", username="other")
    assert _login(client, "other", PASSWORD, "2001:db8:1:3::1").status_code == 303


def test_address_keys_and_networks():
    assert address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("192.0.2.1") == "192.0.2.1"
    trusted = parse_networks("127.0.0.1, ::1, 10.0.0.0/8")
    assert in_networks("10.1.2.3", trusted) and in_networks("::ffff:127.0.0.1", trusted)
    assert not in_networks("203.0.113.9", trusted) and not in_networks("junk", trusted)


def test_gunicorn_binds_loopback_and_logs_the_believed_address():
    conf = (ROOT / "gunicorn.conf.py").read_text()
    assert 'os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")' in conf
    log_format = re.search(r"^access_log_format = (.*)$", conf, re.M).group(1)
    assert "forwarded" not in log_format.lower() and log_format.startswith("'%(h)s")
    entrypoint = (ROOT / "deploy/entrypoint.sh").read_text()
    assert ': "${GUNICORN_BIND:=127.0.0.1:8000}"' in entrypoint
    nginx = (ROOT / "deploy/nginx-hai-long.conf").read_text()
    assert "client_body_timeout" in nginx and "proxy_request_buffering on" in nginx
