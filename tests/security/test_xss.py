"""Row 9: markup and template syntax in every free-text field, shown escaped everywhere.

Every text column a person can fill (school, procedure, staff names, dossier names, reasons,
the parent's comment, notes, calls, resolution, calendar note, report number) holds a
payload; every page of every role, the parent's pages and the outbox mail are read back.
The PDF is row 12 (test_exports_injection.py), CSV/XLSX rows 10-11.
"""

from datetime import timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from survey_app.cases.models import CaseEvent, EventKind
from survey_app.dossiers.models import DossierStatus
from survey_app.extensions import db
from survey_app.notify.mail import _message
from survey_app.notify.models import Outbox
from survey_app.survey.models import Response
from survey_app.timeutil import local_today, utcnow
from tests.security.conftest import args_for, build_url, login, rules

SSTI = "{{7*7777}}{% raw %}"  # 54439 must never appear; {% raw %} must not break a page


def long_payload(n: int) -> str:
    return (
        f'<script>alert("F{n}")</script><img src=x onerror=alert({n})>'
        f'"><svg onload=alert({n})> javascript:alert({n}) {SSTI}'
    )


def short_payload(n: int) -> str:
    return f"<b id=F{n}>"  # fits a 20-character column


RAW_MARKERS = ("<script>alert(", "<img src=x", "<svg onload", "<b id=F", "54439")


class _Elements(HTMLParser):
    """Collects event-handler attributes, scripts and javascript: URLs of a page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append((tag, name, value))
        if tag == "script":
            self.found.append((tag, "", ""))


def _handlers_and_scripts(html: str) -> list:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def filed_month() -> str:
    return (local_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _poison(world, poster) -> dict[int, str]:
    """Put a numbered payload into every free-text column of school A; {n: payload}."""
    a = world.a
    payloads = {}

    def put(n, obj, attr, short=False):
        payloads[n] = short_payload(n) if short else long_payload(n)
        setattr(obj, attr, payloads[n])

    put(1, a.school, "name")
    put(2, a.school, "address")
    put(3, a.procedure, "name")
    put(4, a.principal, "full_name", short=True)
    put(5, a.clerk, "full_name", short=True)
    for dossier in (a.case_dossier, a.late_dossier, a.fresh_dossier):
        put(6, dossier, "applicant_name")
        put(7, dossier, "student_name")
        put(8, dossier, "student_class", short=True)
    put(9, a.late_dossier.apology, "reason")
    put(10, a.late_dossier.apology, "channel", short=True)
    put(11, a.day, "note")
    response = db.session.scalars(
        select(Response).where(Response.dossier_id == a.case_dossier.id)
    ).one()
    put(12, response, "comment")
    put(13, a.resolved_case, "resolution")
    for kind, n in ((EventKind.NOTE, 14), (EventKind.CALL, 15)):
        payloads[n] = long_payload(n)
        db.session.add(CaseEvent(case=a.case, kind=kind, author=a.principal, text=payloads[n]))
    withdrawn = a.open_dossier
    withdrawn.status = DossierStatus.WITHDRAWN
    withdrawn.withdrawn_at = utcnow()
    put(16, withdrawn, "withdraw_reason")
    suggestion = db.session.scalars(
        select(Response).where(Response.school_id == a.school.id, Response.overall == "satisfied")
    ).first()
    put(17, suggestion, "comment")
    db.session.commit()
    payloads[18] = short_payload(18)
    filed = poster.post("reports.file_report", {"period": filed_month(), "number": payloads[18]})
    assert filed.status_code == 303
    return payloads


def _pages(app, world) -> dict[str, str]:
    a = world.a
    codes = [a.case_dossier, a.late_dossier, a.fresh_dossier, a.open_dossier]
    bodies = {}
    for user in (a.principal, a.clerk, world.office):
        client, _token = login(app, user)
        for rule, view in rules(app, "GET"):
            allowed = getattr(view, "allowed_roles", None)
            if rule.endpoint == "static" or (allowed and user.role.value not in allowed):
                continue
            for dossier in codes if "code" in rule.arguments else codes[:1]:
                values = {**args_for(world, rule.endpoint), "code": dossier.code}
                for query in ("", "?school=AAA") if user is world.office else ("",):
                    url = build_url(rule, values) + query
                    response = client.get(url, follow_redirects=True)
                    assert response.status_code < 500, url
                    if response.mimetype.startswith(("text/html", "image/svg")):
                        bodies[f"{user.username} {url}"] = response.get_data(as_text=True)
        for url in ("/calendar?year=2031", f"/reports?period={filed_month()}"):
            bodies[f"{user.username} {url}"] = client.get(url).get_data(as_text=True)
    parent = app.test_client()
    for dossier in (a.case_dossier, a.resolved_dossier, a.fresh_dossier, a.late_dossier):
        for suffix in ("", "/thanks", "/loop"):
            url = f"/s/{dossier.token}{suffix}"
            bodies[f"parent {url}"] = parent.get(url, follow_redirects=True).get_data(as_text=True)
    return bodies


def test_every_free_text_field_is_escaped_on_every_page(app, world, poster):
    payloads = _poison(world, poster)
    bodies = _pages(app, world)
    assert len(bodies) > 60
    for where, html in bodies.items():
        for marker in RAW_MARKERS:
            assert marker not in html, (where, marker)
        assert _handlers_and_scripts(html) == [], where
    # Each payload was shown somewhere (escaped), so the check above really read it.
    everything = "\n".join(bodies.values())
    for n, payload in payloads.items():
        shown = f"alert(&#34;F{n}&#34;)" if payload.startswith("<script>") else f"&lt;b id=F{n}&gt;"
        assert shown in everything, (n, payload)
    assert "{{7*7777}}" in everything  # the template syntax, printed as typed


def test_the_case_mail_is_plain_text_with_the_comment_as_typed(app, world, poster):
    payload = long_payload(99)
    response = poster.post("survey.more", {"comment": payload, "phone": ""})
    assert response.status_code == 303
    mail = db.session.scalars(select(Outbox).order_by(Outbox.id.desc())).first()
    assert payload in mail.body and "54439" not in mail.body
    with app.test_request_context():
        message = _message(mail)
    assert message.get_content_type() == "text/plain"
    assert not message.is_multipart()  # no HTML part a mail client would render
