"""Accessibility pass: axe-core on every page type, in Debian's Chromium.

The parent's flow at phone size (360×740), the principal's and the clerk's screens at
desktop size. axe-core comes from the npm registry (package.json, pinned by
package-lock.json; `make install` runs `npm ci`) and is injected into each page after it
loaded; a page fails on any violation axe rates serious or critical.
"""

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from survey_app.cases.models import CaseStatus, RootCause
from survey_app.cases.routing import route_response
from survey_app.extensions import db
from survey_app.timeutil import LOCAL_TZ, utcnow
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = json.loads((AXE.parent.parent.parent / "package.json").read_text())[
    "devDependencies"
]["axe-core"]
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm ci).")
    return AXE.read_text()


def _context(browser, **options):
    # axe is a script: JavaScript on, and the page's CSP (script-src 'self') set aside for
    # the injected copy only. The pages themselves run no script.
    return browser.new_context(locale="vi-VN", bypass_csp=True, **options)


@pytest.fixture
def phone_js(browser):
    context = _context(
        browser, viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop_js(browser):
    context = _context(browser, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def check(page, name: str, axe_source: str, seen: list[str]) -> None:
    """Run axe on the page as it stands; fail on serious or critical violations."""
    page.add_script_tag(content=axe_source)
    assert page.evaluate("axe.version") == AXE_VERSION  # the pinned copy really runs
    violations = page.evaluate(RUN_AXE)
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name} ({page.url}): " + "; ".join(
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in bad
    )
    seen.append(name)


def goto(page, url: str, status: int = 200):
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response and response.status)
    return response


def test_the_parents_pages_at_phone_size(app, live_server, phone_js, make, axe_source):
    from tests.test_survey import returned_dossier

    page, seen = phone_js, []
    base = live_server.url
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    pending = make.dossier()  # received, not returned yet: the status page
    db.session.commit()

    goto(page, f"{base}/s")
    check(page, "code entry", axe_source, seen)
    page.fill("input[name=code]", "WWWWWWWW")
    page.click("button[type=submit]")
    check(page, "code not found", axe_source, seen)
    page.fill("input[name=code]", "K7QM-3XPA")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/s/{dossier.token}**")
    check(page, "survey form", axe_source, seen)
    page.click("button[type=submit]")  # nothing chosen: the error summary
    assert page.locator("[role=alert], .error-summary").count() > 0
    check(page, "survey form with errors", axe_source, seen)
    page.check("input[name=overall][value=dissatisfied]")
    page.click("button[type=submit]")
    page.wait_for_url("**/more**")
    check(page, "survey step 2", axe_source, seen)
    page.fill("input[name=phone]", "0901234567")  # no consent: the error summary
    page.get_by_role("button", name="Gửi", exact=True).click()
    assert page.locator("[role=alert]").count() > 0
    check(page, "survey step 2 with errors", axe_source, seen)
    page.get_by_role("button", name="Bỏ qua").first.click()
    page.wait_for_url("**/thanks**")
    check(page, "thanks", axe_source, seen)
    goto(page, f"{base}/s/{dossier.token}", 409)
    check(page, "already answered", axe_source, seen)
    goto(page, f"{base}/s/{'Z' * 32}", 404)
    check(page, "unknown link", axe_source, seen)
    goto(page, f"{base}/s/{pending.token}")
    check(page, "not returned yet", axe_source, seen)

    # Closing the loop: the case is resolved, the parent is asked whether it was handled well.
    db.session.rollback()  # end the test's read snapshot (SQLite) before writing again
    later = returned_dossier(make)
    response = make.response(later, overall="dissatisfied", comment="Chờ lâu quá")
    case = route_response(response, {})
    case.status = CaseStatus.RESOLVED
    case.resolution = "Nhà trường đã rà soát quy trình."
    case.root_cause = RootCause.DELAY
    case.resolved_at = utcnow()
    db.session.commit()
    goto(page, f"{base}/s/{later.token}")
    assert page.locator("input[name=answer]").count() == 2
    check(page, "loop question", axe_source, seen)

    app.config["SURVEY_LOOKUP_LIMIT"] = "1 per minute"
    goto(page, f"{base}/s/{'Y' * 32}", 404)
    goto(page, f"{base}/s/{'X' * 32}", 429)
    check(page, "too many tries", axe_source, seen)
    assert len(seen) == 12


def test_the_staff_pages_at_desktop_size(live_server, desktop_js, make, axe_source):
    page, seen = desktop_js, []
    base = live_server.url
    principal = make.user("principal", username="hieutruong", email="ht@school.test")
    clerk = make.user("clerk", username="motcua")
    now = datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    dossier = make.dossier(
        received_at=now - timedelta(days=9), returned_at=now - timedelta(days=1), received_by=clerk
    )
    open_dossier = make.dossier(received_at=now - timedelta(days=2), received_by=clerk)
    # Received by someone else: a clerk never enters answers about their own dossiers.
    paper = make.dossier(received_at=now - timedelta(days=8), returned_at=now - timedelta(days=2))
    details = {"visits": "2+", "staff_attitude": "dissatisfied"}
    response = make.response(
        dossier, overall="dissatisfied", details=details, comment="Cán bộ hướng dẫn chưa rõ."
    )
    case = route_response(response, details)
    db.session.commit()

    goto(page, f"{base}/login")
    check(page, "login", axe_source, seen)
    browser_login(page, live_server, principal)
    for name, path in [
        ("dashboard", "/dashboard"),
        ("case inbox", "/cases"),
        ("case page", f"/cases/{case.id}"),
        ("case summary", "/cases/summary"),
        ("suggestions", "/suggestions"),
        ("reports", "/reports"),
        ("targets", "/settings/targets"),
        ("calendar", "/calendar"),
        ("procedures", "/procedures"),
        ("dossier register", "/dossiers"),
        ("dossier page", f"/dossiers/{dossier.code}"),
        ("import dossiers", "/dossiers/import"),
        ("kiosk devices", "/kiosks"),
    ]:
        goto(page, base + path)
        check(page, name, axe_source, seen)
    page.fill("input[name=name]", "Quầy 1")
    page.click("form[action='/kiosks'] button[type=submit]")
    page.wait_for_url("**/kiosks/*/link")
    check(page, "kiosk enrolment link", axe_source, seen)
    enrol_link = page.locator(".enrol-url").inner_text()

    page.context.clear_cookies()
    browser_login(page, live_server, clerk)
    for name, path in [
        ("new dossier", "/dossiers/new"),
        ("return a dossier", f"/dossiers/{open_dossier.code}/return"),
        ("paper answers", "/survey-entry"),
        ("paper answer form", f"/survey-entry/{paper.code}"),
        ("paper questionnaire", f"/dossiers/{paper.code}/questionnaire"),
    ]:
        goto(page, base + path)
        check(page, name, axe_source, seen)

    # The kiosk tablet: a signed-out browser opens the principal's one-time link.
    page.context.clear_cookies()
    goto(page, enrol_link)
    check(page, "kiosk enrolment", axe_source, seen)
    page.click("button[type=submit]")
    page.wait_for_url("**/kiosk")
    check(page, "kiosk start", axe_source, seen)
    page.fill("input[name=code]", paper.short_code_display)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/kiosk/{paper.short_code}")
    check(page, "kiosk survey", axe_source, seen)
    assert len(seen) == 23
