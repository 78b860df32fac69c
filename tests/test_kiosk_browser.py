"""The A5 paper questionnaire as the printer gets it, and the kiosk at tablet size, in
Debian's Chromium (screenshots are written under tmp_path)."""

import subprocess

import pytest
from pypdf import PdfReader

from survey_app import questions
from survey_app.extensions import db
from survey_app.kiosk.device import digest, new_secret
from survey_app.kiosk.models import KioskDevice
from tests.conftest import browser_login
from tests.test_survey import returned_dossier, stored

pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS pixels per millimetre


def test_paper_questionnaire_prints_on_one_a5_page(browser, live_server, make, tmp_path):
    clerk = make.user("clerk")
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    db.session.commit()
    context = browser.new_context(
        viewport={"width": round(148 * MM), "height": 900}, device_scale_factor=2, locale="vi-VN"
    )
    page = context.new_page()
    try:
        browser_login(page, live_server, clerk)
        page.emulate_media(media="print")
        response = page.goto(f"{live_server.url}/dossiers/{dossier.code}/questionnaire")
        assert response.status == 200
        sheet = page.eval_on_selector(
            ".sheet", "e => [e.getBoundingClientRect().width, e.scrollHeight, e.scrollWidth]"
        )
        page.screenshot(path=tmp_path / "questionnaire-screen.png", full_page=True)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    width, height, scroll_width = sheet
    assert width <= 148 * MM + 1 and scroll_width <= width + 1  # nothing wider than A5
    assert height <= 210 * MM + 1, height / MM  # the questions fit on the one page
    path = tmp_path / "questionnaire.pdf"
    path.write_bytes(pdf)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    size_mm = (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4))
    assert size_mm == (148, 210)
    text = " ".join(reader.pages[0].extract_text().split())
    assert "K7QM-3XPA" in text
    for label in (questions.OVERALL_LABEL, *(q.label for q in questions.DETAILS)):
        assert " ".join(str(label).split())[:30] in text, label
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "a5")],
        check=True,
        timeout=60,
    )


def test_paper_entry_page_types_the_form_in_one_pass(desktop, live_server, make, tmp_path):
    """The clerk's page in the paper's order: keyboard only, top to bottom, then saved."""
    clerk = make.user("clerk")
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    db.session.commit()
    browser_login(desktop, live_server, clerk)
    desktop.goto(f"{live_server.url}/survey-entry/{dossier.code}")
    desktop.screenshot(path=tmp_path / "paper-entry.png", full_page=True)
    desktop.check("input[name=overall][value=dissatisfied]")
    desktop.check("input[name=visits][value='2+']")
    desktop.check("input[name=reasons][value=long_wait]")
    desktop.fill("textarea[name=comment]", "Chờ lâu ở quầy")
    desktop.click("form.paper-entry button[type=submit]")
    desktop.wait_for_url("**/survey-entry?saved=*")
    db.session.rollback()  # end the test's read snapshot (SQLite)
    row = stored(dossier)
    assert row.channel.value == "paper" and row.entered_by_id == clerk.id
    assert {(a.question_code, a.value) for a in row.answers} == {
        ("visits", "2+"),
        ("reasons", "long_wait"),
    }


def test_kiosk_at_tablet_size(browser, live_server, make, tmp_path):
    """A 800×1280 tablet, JavaScript off, only the device cookie: type the code, answer."""
    principal = make.user("principal")
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    secret = new_secret()
    device = KioskDevice(
        school=dossier.school, name="Quầy 1", created_by=principal, secret_hash=digest(secret)
    )
    db.session.add(device)
    db.session.commit()
    context = browser.new_context(
        viewport={"width": 800, "height": 1280},
        java_script_enabled=False,
        locale="vi-VN",
        is_mobile=True,
        has_touch=True,
    )
    context.add_cookies(
        [{"name": "hl_kiosk", "value": f"{device.id}.{secret}", "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/kiosk")
        page.screenshot(path=tmp_path / "kiosk-start.png")
        button = page.locator("button[type=submit]").bounding_box()
        assert button["y"] + button["height"] <= 1280  # no scrolling to the button
        page.fill("input[name=code]", "k7qm 3xpa")
        page.click("button[type=submit]")
        page.wait_for_url("**/kiosk/K7QM3XPA")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        page.screenshot(path=tmp_path / "kiosk-form.png", full_page=True)
        page.check("input[name=overall][value=very_satisfied]")
        page.click("button.submit")
        page.wait_for_url("**/kiosk/done")
        page.screenshot(path=tmp_path / "kiosk-done.png")
    finally:
        context.close()
    db.session.rollback()  # end the test's read snapshot (SQLite)
    row = stored(dossier)
    assert row.channel.value == "kiosk" and row.kiosk_device_id == device.id
