"""A parent's phone (360×740, JavaScript off) scans the printed slip and answers."""

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from survey_app.extensions import db
from tests.conftest import browser_login
from tests.test_survey import returned_dossier, stored

pytestmark = pytest.mark.browser
SHOTS = Path("/work/notes/shots/survey")


def _url_from_slip(desktop, live_server, make, dossier) -> str:
    """Log in as staff, open the printable slip, decode its QR code like a phone camera."""
    user = make.user("principal", username="hieutruong")
    db.session.commit()
    browser_login(desktop, live_server, user)
    desktop.goto(f"{live_server.url}/dossiers/{dossier.code}/slip")
    png = desktop.locator("svg.qr").first.screenshot()
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(results) == 1, "no QR code found on the slip"
    return results[0].text


def _tap_targets_are_big(page) -> None:
    for selector in ("label.opt", "button", "textarea", "input[type=tel]"):
        for box in (el.bounding_box() for el in page.locator(selector).all()):
            assert box["height"] >= 44 and box["width"] >= 44, (selector, box)


def test_scan_slip_answer_and_second_visit_is_409(live_server, desktop, phone, make):
    SHOTS.mkdir(parents=True, exist_ok=True)
    dossier = returned_dossier(make)
    token = dossier.token
    url = _url_from_slip(desktop, live_server, make, dossier)
    assert url == f"{live_server.url}/s/{token}"

    first = phone.goto(url)
    assert first.status == 200
    assert phone.locator("h1").inner_text().startswith("Ý kiến của Ông/Bà")
    # Nothing is cut off at 360 px: no horizontal scrolling.
    assert phone.locator("main").bounding_box()["width"] <= 360
    _tap_targets_are_big(phone)
    phone.screenshot(path=str(SHOTS / "form_phone_top.png"))
    phone.screenshot(path=str(SHOTS / "form_phone_full.png"), full_page=True)

    # Submitting without the required question: 400, in Vietnamese, answers kept.
    phone.get_by_label("Góp ý của Ông/Bà").fill("Cán bộ nhiệt tình, nhưng chờ hơi lâu.")
    phone.get_by_label("Chờ đợi lâu").check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Gửi ý kiến").click()
    assert "Vui lòng chọn mức độ hài lòng chung" in phone.content()
    assert phone.get_by_label("Chờ đợi lâu").is_checked()
    phone.screenshot(path=str(SHOTS / "form_phone_error.png"))

    phone.locator("label[for=overall-1]").click()
    phone.locator("label[for=visits-1]").click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Gửi ý kiến").click()
    assert phone.url == f"{live_server.url}/s/{token}/thanks"
    assert "Cảm ơn Ông/Bà đã góp ý!" in phone.content()
    phone.screenshot(path=str(SHOTS / "thanks_phone.png"))

    db.session.rollback()
    db.session.expire_all()
    row = stored(dossier)
    assert row.overall.value == "satisfied" and row.channel.value == "qr"
    assert row.comment == "Cán bộ nhiệt tình, nhưng chờ hơi lâu."

    again = phone.goto(url)
    assert again.status == 409
    assert "Ông/Bà đã gửi ý kiến cho hồ sơ này" in phone.content()
    phone.screenshot(path=str(SHOTS / "answered_phone.png"))


def test_type_the_short_code_on_a_phone(live_server, phone, make):
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    db.session.commit()
    phone.goto(f"{live_server.url}/s")
    phone.get_by_label("Mã khảo sát trên phiếu").fill("k7qm-3xpa")
    phone.screenshot(path=str(SHOTS / "enter_code_phone.png"))
    with phone.expect_navigation():
        phone.get_by_role("button", name="Mở phiếu khảo sát").click()
    assert phone.url == f"{live_server.url}/s/{dossier.token}?via=code"
    phone.locator("label[for=overall-0]").click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Gửi ý kiến").click()
    assert "Cảm ơn" in phone.content()
    db.session.rollback()
    assert stored(dossier).channel.value == "code"
