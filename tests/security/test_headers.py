"""Row 30 (and 18): the header audit on every response type, cookies in production, and no
third-party resource on any page (so no survey token leaves in a Referer).
"""

import re
from html.parser import HTMLParser

from survey_app.timeutil import to_local
from tests.conftest import PASSWORD, csrf_token_from
from tests.security.conftest import args_for, build_url, login, rules
from tests.security.test_production import BASE, HOST, production_app

CSP_PARTS = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
)


def assert_safe_headers(response, where: str, static: bool = False) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for part in CSP_PARTS:
        assert part in csp, (where, part)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert "script-src" not in csp or "'self'" in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where  # row 18
    assert headers.get("X-Frame-Options") == "DENY", where
    if not static:
        assert headers.get("Cache-Control") == "no-store", where
    assert "Server" not in headers or "Werkzeug" not in headers.get("Server", ""), where


def _responses(app, world, poster):
    """One response of every kind the app sends, by name."""
    a = world.a
    parent = app.test_client()
    out = {}
    out["200 page"] = parent.get("/login")
    out["200 survey"] = parent.get(f"/s/{a.link_dossier.token}")
    out["200 json"] = parent.get("/healthz")
    out["200 static"] = parent.get("/static/app.css")
    out["302 to login"] = parent.get("/cases")
    out["303 after post"] = poster.post("cases.add_note", {"text": "Ghi chú"})
    out["400 csrf"] = parent.post("/login", data={"username": "x", "password": "y"})
    out["400 form"] = poster.post("survey.survey", {"overall": "6"})
    out["401 login"] = poster.post("auth.login", {"username": "khongco", "password": "sai"})
    clerk, _token = login(app, a.clerk)
    out["403 role"] = clerk.get("/cases")
    out["404 page"] = parent.get("/khong-co")
    out["404 survey"] = parent.get("/s/" + "Z" * 32)
    out["405"] = parent.get("/logout")
    out["409 answered"] = parent.get(f"/s/{a.case_dossier.token}")
    a.late_bare.token_expires_at = a.late_bare.returned_at  # long past
    from survey_app.extensions import db

    db.session.commit()
    out["410 expired"] = parent.get(f"/s/{a.late_bare.token}")
    out["413"] = parent.post("/login", data={"username": "x" * (2 * 1024 * 1024)})
    app.config["SURVEY_LOOKUP_LIMIT"] = "1 per minute"
    parent.get("/s/" + "Y" * 32)
    out["429 survey"] = parent.get("/s/" + "X" * 32)
    app.config["LOGIN_LIMIT"] = "1 per minute"
    poster.post("auth.login", {"username": "khongco", "password": "sai"})
    out["429 login"] = poster.post("auth.login", {"username": "khongco", "password": "sai"})
    principal, _token = poster.client_for(a.principal)
    month = to_local(a.case_dossier.returned_at).strftime("%Y-%m")
    for fmt in ("csv", "xlsx", "pdf"):
        out[f"200 {fmt}"] = principal.get(f"/reports/export?period={month}&format={fmt}")
    out["200 svg"] = principal.get(f"/reports/charts/trend.svg?period={month}")
    out["200 slip"] = principal.get(f"/dossiers/{a.case_dossier.code}/slip")
    return out


def test_every_response_type_carries_the_security_headers(app, world, poster):
    responses = _responses(app, world, poster)
    for name, response in responses.items():
        expected = int(name.split()[0])
        assert response.status_code == expected, (name, response.status_code)
        assert_safe_headers(response, name, static=name == "200 static")
        if name.startswith("429"):
            assert int(response.headers["Retry-After"]) > 0
    for fmt in ("csv", "xlsx", "pdf"):
        assert responses[f"200 {fmt}"].headers["Content-Disposition"].startswith("attachment;")


def test_500_and_503_in_production_carry_them_too_with_hsts(app):
    prod = production_app(app.config["SQLALCHEMY_DATABASE_URI"])

    @prod.route("/__boom")
    def boom():
        raise RuntimeError("boom")

    client = prod.test_client()
    down = production_app("postgresql+psycopg2://nobody@127.0.0.1:1/x").test_client()
    for name, response in (
        ("200", client.get("/login", base_url=BASE)),
        ("404", client.get("/nowhere", base_url=BASE)),
        ("500", client.get("/__boom", base_url=BASE)),
        ("503", down.get("/s/" + "A" * 32, base_url=BASE)),
        ("400 host", client.get("/login", base_url="https://evil.example")),
    ):
        assert response.status_code == int(name.split()[0]), name
        assert_safe_headers(response, name)
        hsts = response.headers["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= 31536000 and "includeSubDomains" in hsts, name


def test_production_cookies_are_host_prefixed_secure_httponly_lax(app, world):
    prod = production_app(app.config["SQLALCHEMY_DATABASE_URI"])
    client = prod.test_client()
    first = client.get("/login", base_url=BASE)
    cookies = first.headers.getlist("Set-Cookie")
    token = csrf_token_from(first.get_data(as_text=True))
    logged = client.post(
        "/login",
        base_url=BASE,
        headers={"Referer": f"{BASE}/login"},
        data={"username": world.a.principal.username, "password": PASSWORD, "csrf_token": token},
    )
    assert logged.status_code == 303
    cookies += logged.headers.getlist("Set-Cookie")
    cookies += client.get("/dashboard?lang=en", base_url=BASE).headers.getlist("Set-Cookie")
    names = {header.split("=", 1)[0] for header in cookies}
    assert names == {"__Host-hl_session", "lang"}, names
    for header in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert {"secure", "httponly"} <= attributes, header
        assert "samesite=lax" in header.lower().replace(" ", ""), header
        if header.startswith("__Host-"):
            assert "domain" not in attributes and "path=/" in header.lower(), header
    assert HOST in BASE


class _Resources(HTMLParser):
    """Every URL a page makes the browser fetch or post to."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data", "formaction"):
                self.urls.append((tag, name, value or ""))


def _third_party(html: str, base: str) -> list:
    parser = _Resources()
    parser.feed(html)
    found = [
        u
        for u in parser.urls
        if re.match(r"^\s*(https?:)?//", u[2], re.I) and not u[2].startswith(base)
    ]
    found += [
        ("css", "url", m) for m in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", html)
    ]
    found += [("css", "@import", m) for m in re.findall(r"@import\s+['\"]?([^;'\"]+)", html)]
    return found


def test_no_page_loads_a_third_party_resource(app, world, poster):
    """Referrer-Policy same-origin and nothing fetched from elsewhere: a survey token in the
    URL never reaches another site. Every parent's page and every staff page."""
    base = app.config["PUBLIC_BASE_URL"]
    a = world.a
    parent = app.test_client()
    pages = {}
    for dossier in (a.link_dossier, a.case_dossier, a.resolved_dossier, a.open_dossier):
        for suffix in ("", "/thanks", "/loop", "?lang=en"):
            url = f"/s/{dossier.token}{suffix}"
            pages[url] = parent.get(url, follow_redirects=True)
    for url in ("/s", "/s/" + "Q" * 32, "/login", "/khong-co"):
        pages[url] = parent.get(url)
    app.config["SURVEY_LOOKUP_LIMIT"] = "1 per minute"
    pages["429"] = parent.get("/s/" + "W" * 32)
    for user in (a.principal, a.clerk, world.office):
        client, _token = login(app, user)
        for rule, view in rules(app, "GET"):
            allowed = getattr(view, "allowed_roles", None)
            if not allowed or user.role.value not in allowed:
                continue
            url = build_url(rule, args_for(world, rule.endpoint))
            response = client.get(url)
            if response.mimetype == "text/html":
                pages[f"{user.username} {url}"] = response
    assert len(pages) > 40
    for where, response in pages.items():
        html = response.get_data(as_text=True)
        assert _third_party(html, base) == [], where
        assert "<script src" not in html, where  # no script at all from anywhere
        assert response.headers["Referrer-Policy"] == "same-origin", where
