"""A parent's phone (360×740, JavaScript off) scans the printed slip and answers both steps."""

import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from survey_app.cases.models import Case
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from tests.conftest import browser_login
from tests.test_survey import returned_dossier, stored

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 360, "height": 740}


def _url_from_slip(desktop, live_server, user, dossier) -> str:
    """Log in as staff, open the printable slip, decode its QR code like a phone camera."""
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


def _on_screen(page, locator) -> dict:
    """The element's box, asserted wholly inside the first screen (nothing scrolled)."""
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], box
    return box


def _tap(page, locator) -> None:
    """A tap where the element is on the first screen: no scrolling to reach it."""
    box = _on_screen(page, locator)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_scan_slip_two_taps_then_skip(live_server, desktop, phone, make):
    dossier = returned_dossier(make)
    token = dossier.token
    user = make.user("principal", username="hieutruong")
    db.session.commit()
    url = _url_from_slip(desktop, live_server, user, dossier)
    assert url == f"{live_server.url}/s/{token}"

    first = phone.goto(url)
    assert first.status == 200
    assert phone.locator("h1").inner_text().startswith("Ý kiến của Ông/Bà")
    assert phone.locator("main").bounding_box()["width"] <= 360  # no horizontal scrolling
    _tap_targets_are_big(phone)
    # The question, its three answers and the button are all on the first screen.
    for label in ("overall-0", "overall-1", "overall-2"):
        _on_screen(phone, phone.locator(f"label[for={label}]"))
    submit = phone.get_by_role("button", name="Gửi ý kiến")
    _on_screen(phone, submit)

    # Submitting without a choice: 400, in Vietnamese.
    with phone.expect_navigation():
        _tap(phone, submit)
    assert "Vui lòng chọn mức độ hài lòng chung" in phone.content()
    _on_screen(phone, phone.get_by_role("button", name="Gửi ý kiến"))  # still no scrolling

    phone.goto(url)  # first load again: two taps, choice and button
    _tap(phone, phone.locator("label[for=overall-1]"))
    assert phone.locator("#overall-1").is_checked()
    with phone.expect_navigation():
        _tap(phone, phone.get_by_role("button", name="Gửi ý kiến"))
    assert phone.url == f"{live_server.url}/s/{token}/more"
    db.session.rollback()
    row = stored(dossier)
    assert row.overall.value == "satisfied" and row.channel.value == "qr"  # counted already

    # Step 2 is optional: "Bỏ qua" is on the first screen too.
    assert phone.locator("main").bounding_box()["width"] <= 360
    _tap_targets_are_big(phone)
    skip = phone.get_by_role("button", name="Bỏ qua").first
    with phone.expect_navigation():
        _tap(phone, skip)
    assert phone.url == f"{live_server.url}/s/{token}/thanks"
    assert "Cảm ơn Ông/Bà đã góp ý!" in phone.content()

    db.session.rollback()
    row = stored(dossier)
    assert row.details_at is not None and row.answers == [] and row.comment is None
    again = phone.goto(url)
    assert again.status == 409
    assert "Ông/Bà đã gửi ý kiến cho hồ sơ này" in phone.content()


def test_dissatisfied_reasons_and_comment_reach_the_inbox_and_the_mail(
    live_server, desktop, phone, make
):
    principal = make.user("principal", username="hieutruong", email="ht@school.test")
    dossier = returned_dossier(make)
    db.session.commit()
    phone.goto(f"{live_server.url}/s/{dossier.token}")
    _tap(phone, phone.locator("label", has_text="Không hài lòng"))
    with phone.expect_navigation():
        _tap(phone, phone.get_by_role("button", name="Gửi ý kiến"))
    assert phone.url.endswith(f"/s/{dossier.token}/more")
    assert "Vì sao Ông/Bà chưa hài lòng?" in phone.content()
    _tap_targets_are_big(phone)
    phone.get_by_label("Chờ đợi lâu").check()
    phone.get_by_label("Thái độ thiếu lịch sự, thiếu tận tình").check()
    phone.get_by_label("Góp ý của Ông/Bà").fill("Phải chờ ba buổi mới được gặp cán bộ.")
    phone.locator("#phone").fill("0912 345 678")
    phone.locator("label[for=consent]").click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Gửi", exact=True).click()
    assert phone.url.endswith(f"/s/{dossier.token}/thanks")
    assert "Cảm ơn" in phone.content()
    assert "chính đường dẫn này" in phone.content()

    # The principal's inbox shows the reasons and the comment.
    browser_login(desktop, live_server, principal)
    desktop.goto(f"{live_server.url}/cases")
    row = desktop.locator("table.cases tbody tr", has_text=dossier.code)
    assert row.count() == 1
    text = row.inner_text()
    assert "Chờ đợi lâu" in text and "Thái độ thiếu lịch sự" in text
    assert "Phải chờ ba buổi mới được gặp cán bộ." in text
    # And the mail to the principal: the case's at step 1, the details' at step 2.
    db.session.rollback()
    db.session.expire_all()
    case = db.session.scalars(select(Case)).one()
    mails = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert [m.recipient for m in mails] == ["ht@school.test", "ht@school.test"]
    assert "Phản ánh mới" in mails[0].subject and "bổ sung" in mails[0].body
    assert "bổ sung ý kiến" in mails[1].subject
    for text in ("Chờ đợi lâu", "Thái độ thiếu lịch sự", "Phải chờ ba buổi", f"/cases/{case.id}"):
        assert text in mails[1].body


def test_type_the_short_code_on_a_phone(live_server, phone, make):
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    db.session.commit()
    phone.goto(f"{live_server.url}/s")
    phone.get_by_label("Mã khảo sát trên phiếu").fill("k7qm-3xpa")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Mở phiếu khảo sát").click()
    assert phone.url == f"{live_server.url}/s/{dossier.token}?via=code"
    phone.locator("label[for=overall-0]").click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Gửi ý kiến").click()
    phone.locator("label[for=visits-0]").click()
    phone.get_by_label("Góp ý của Ông/Bà").fill("Rất nhanh.")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Gửi", exact=True).click()
    assert "Cảm ơn" in phone.content()
    db.session.rollback()
    row = stored(dossier)
    assert row.channel.value == "code" and row.comment == "Rất nhanh."
    assert [(a.question_code, a.value) for a in row.answers] == [("visits", "0")]
