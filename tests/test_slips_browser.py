"""The printed slip as the printer gets it: Chromium with print media, a real QR decoder."""

import io
import subprocess
from datetime import datetime, timedelta

import pytest
import zxingcpp
from PIL import Image

from survey_app.dossiers.intake import issue_apology
from survey_app.extensions import db
from survey_app.timeutil import local_today
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS pixels per millimetre
PAPER_WIDTH_MM = {"a6": 105, "80mm": 80, "a4": 210}


def _returned_dossiers(make, n: int):
    """`n` dossiers returned today (local), each with its own token."""
    now = datetime.combine(local_today(), datetime.min.time()) + timedelta(hours=8)
    received = now - timedelta(days=7)
    return [
        make.dossier(
            received_at=received, returned_at=now + timedelta(minutes=i), student_name=f"HS {i}"
        )
        for i in range(n)
    ]


def _print_page(browser, live_server, user, width_mm: int):
    """A logged-in page with print media, as wide as the paper at 96 dpi (scale 2 for ink)."""
    context = browser.new_context(
        viewport={"width": round(width_mm * MM), "height": 900},
        device_scale_factor=2,
        locale="vi-VN",
    )
    page = context.new_page()
    browser_login(page, live_server, user)
    page.emulate_media(media="print")
    return context, page


def _decode(png: bytes) -> list[str]:
    return sorted(b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


@pytest.mark.parametrize("layout", ["a6", "80mm"])
def test_slip_qr_decodes_to_the_survey_url(browser, live_server, make, layout):
    user = make.user("clerk")
    (dossier,) = _returned_dossiers(make, 1)
    db.session.commit()
    context, page = _print_page(browser, live_server, user, PAPER_WIDTH_MM[layout])
    try:
        response = page.goto(f"{live_server.url}/dossiers/{dossier.code}/slip?layout={layout}")
        assert response.status == 200
        width_px = page.eval_on_selector("svg.qr", "e => e.getBoundingClientRect().width")
        assert width_px / MM >= 25 * 45 / 37  # symbol >= 25 mm for a QR up to version 5
        sheet = page.eval_on_selector(".sheet", "e => e.getBoundingClientRect().width")
        assert sheet <= PAPER_WIDTH_MM[layout] * MM + 1  # nothing wider than the paper
        png = page.screenshot(full_page=True)
        text = page.inner_text("body")
    finally:
        context.close()
    url = f"{live_server.url}/s/{dossier.token}"
    assert _decode(png) == [url]
    assert dossier.short_code_display in text and f"{live_server.url}/s và nhập mã" in text
    assert dossier.token not in text  # the link is in the QR; the desk's hours take its place
    assert "Bộ phận một cửa" in text and "Thứ Hai – Thứ Sáu" in text
    assert "Mời Ông/Bà quét mã để đánh giá mức độ hài lòng" in text


def test_a4_sheet_of_eight_slips_decodes_every_code(browser, live_server, make):
    user = make.user("clerk")
    dossiers = _returned_dossiers(make, 8)
    db.session.commit()
    context, page = _print_page(browser, live_server, user, PAPER_WIDTH_MM["a4"])
    try:
        response = page.goto(f"{live_server.url}/dossiers/slips?date={local_today().isoformat()}")
        assert response.status == 200
        assert page.locator("svg.qr").count() == 8
        png = page.screenshot(full_page=True)
    finally:
        context.close()
    assert _decode(png) == sorted(f"{live_server.url}/s/{d.token}" for d in dossiers)


def test_slip_pdf_keeps_a6_page_and_a_readable_qr(browser, live_server, make, tmp_path):
    user = make.user("clerk")
    (dossier,) = _returned_dossiers(make, 1)
    db.session.commit()
    context, page = _print_page(browser, live_server, user, PAPER_WIDTH_MM["a6"])
    try:
        page.goto(f"{live_server.url}/dossiers/{dossier.code}/slip?layout=a6")
        css_width = page.eval_on_selector("svg.qr", "e => getComputedStyle(e).width")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    assert float(css_width.removesuffix("px")) / MM >= 25  # the CSS width on paper
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    from pypdf import PdfReader

    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
        105,
        148,
    )
    dpi = 300
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(path), str(tmp_path / "slip")],
        check=True,
        timeout=60,
    )
    barcodes = zxingcpp.read_barcodes(Image.open(tmp_path / "slip.png"))
    assert [b.text for b in barcodes] == [f"{live_server.url}/s/{dossier.token}"]
    corners = barcodes[0].position
    symbol_mm = abs(corners.top_right.x - corners.top_left.x) / dpi * 25.4
    assert symbol_mm >= 25, symbol_mm


@pytest.mark.parametrize(("layout", "size_mm"), [("a5", (148, 210)), ("a4", (210, 297))])
def test_receipt_prints_on_one_page_with_the_office_hours_note(
    browser, live_server, make, tmp_path, layout, size_mm
):
    """The receipt of a dossier received after closing: one page of the paper, its QR
    readable, the note saying it counts from the next opening. The longest usual procedure
    name, an applicant's name and phone: the most a receipt holds (on A5 the signatures
    once went to a second page)."""
    user = make.user("clerk")
    dossier = make.dossier(
        received_at=datetime(2026, 1, 9, 17, 30),  # Friday after closing; Sat 10/1 is worked
        procedure=make.procedure(code="BAN-SAO-VB"),
        received_by_id=user.id,
    )
    assert dossier.applicant_name and dossier.applicant_phone
    db.session.commit()
    context, page = _print_page(browser, live_server, user, size_mm[0])
    try:
        page.goto(f"{live_server.url}/dossiers/{dossier.code}/receipt?layout={layout}")
        text = page.inner_text("body")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    assert "được tính là nhận lúc 07 giờ 30 phút, ngày 10/01/2026" in text
    assert "ngày 12/01/2026" in text  # Saturday 10/1 not counted, then one working day
    path = tmp_path / f"receipt-{layout}.pdf"
    path.write_bytes(pdf)
    from pypdf import PdfReader

    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == size_mm
    png = tmp_path / f"receipt-{layout}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(png)],
        check=True,
        timeout=60,
    )
    assert _decode((tmp_path / f"receipt-{layout}.png").read_bytes()) == [
        f"{live_server.url}/s/{dossier.token}"
    ]


def _fonts_used(page, selector: str) -> dict[str, int]:
    """{font family Chromium drew with: glyphs} over the text inside `selector`."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    found: dict[str, int] = {}
    for sel in (selector, selector + " *"):
        for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": sel})["nodeIds"]:
            for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                found[font["familyName"]] = found.get(font["familyName"], 0) + font["glyphCount"]
    return found


def test_every_printed_paper_is_set_in_one_serif_with_every_vietnamese_letter(
    browser, live_server, make
):
    """Receipt, slip, day sheet and apology letter: a single font family draws every glyph,
    headings included (no fallback font for a missing letter such as "Ư" or "Ộ")."""
    user = make.user("principal")
    (dossier,) = _returned_dossiers(make, 1)
    late = make.dossier(
        received_at=datetime.combine(local_today(), datetime.min.time()) - timedelta(days=30),
        due_date=local_today() - timedelta(days=20),
        returned_at=datetime.combine(local_today(), datetime.min.time()) + timedelta(hours=7),
        student_name="Nguyễn Thị Ửng Ộ",
    )
    issue_apology(
        late,
        reason="Chờ xác minh hồ sơ gốc",
        new_due_date=local_today(),
        channel="phone",
        issued_at=datetime.combine(local_today(), datetime.min.time()) - timedelta(days=21),
        backdate_reason="offline",
    )
    db.session.commit()
    context, page = _print_page(browser, live_server, user, 210)
    try:
        for path in (
            f"/dossiers/{dossier.code}/receipt",
            f"/dossiers/{dossier.code}/slip",
            f"/dossiers/{dossier.code}/slip?layout=80mm",
            "/dossiers/slips",
            f"/dossiers/{late.code}/apology",
        ):
            assert page.goto(live_server.url + path).status == 200, path
            fonts = _fonts_used(page, ".sheet")
            assert len(fonts) == 1 and sum(fonts.values()) > 50, (path, fonts)
            (family,) = fonts
            assert family in ("Times New Roman", "Liberation Serif"), (path, fonts)
            heading = _fonts_used(page, ".sheet .doc-title, .sheet .slip-title")
            assert set(heading) == {family}, (path, heading)
    finally:
        context.close()


def test_a_day_without_returns_prints_a_sentence_not_a_blank_page(
    browser, live_server, make, tmp_path
):
    """The slips of a day with no returns: one A4 page that says there are none."""
    user = make.user("clerk")
    db.session.commit()
    context, page = _print_page(browser, live_server, user, 210)
    try:
        page.goto(f"{live_server.url}/dossiers/slips?date=2020-01-06")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    assert "Không có hồ sơ nào trả kết quả trong ngày 06/01/2020" in reader.pages[0].extract_text()
