"""The one-stop forms as the printer gets them: Chromium's PDF at A4 (the register A4
landscape), one page each, with the form's title and number on it."""

import re
import subprocess
from datetime import timedelta

import pytest
from pypdf import PdfReader

from survey_app.dossiers.intake import issue_apology, refuse_dossier, request_supplement
from survey_app.extensions import db
from survey_app.timeutil import local_to_utc, to_local, utcnow
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

MM = 96 / 25.4


def _papers(make):
    """A returned late dossier with a supplement request and an apology, and a refused one."""
    # every time a few hours back from now (never in the future, whatever the hour)
    today = to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0) - timedelta(hours=12)
    late = make.dossier(
        received_at=today - timedelta(days=20) + timedelta(hours=8),
        applicant_name="Nguyễn Thị Hoa",
        student_name="Nguyễn Minh Khôi",
        student_class="7A3",
    )
    supplement = request_supplement(
        late,
        papers="1. Bản sao giấy khai sinh của học sinh (có chứng thực).\n"
        "2. Học bạ cấp tiểu học (bản chính).\n3. Đơn đề nghị có chữ ký của cha, mẹ.",
    )
    supplement.issued_at = late.received_at + timedelta(hours=1)
    issue_apology(
        late,
        reason="Hồ sơ cần xác minh thêm với trường cũ của học sinh.",
        new_due_date=today.date() + timedelta(days=3),
        channel="counter",
        issued_at=local_to_utc(today + timedelta(hours=8)),
        backdate_reason="offline",
    )
    refused = make.dossier(
        received_at=today - timedelta(days=1) + timedelta(hours=9),
        applicant_name="Trần Văn Nam",
        student_name="Trần Gia Bảo",
    )
    refusal = refuse_dossier(
        refused,
        reason="Thủ tục này thuộc thẩm quyền của Ủy ban nhân dân phường, không thuộc "
        "thẩm quyền giải quyết của nhà trường.",
    )
    for i in range(3):  # this month's register: on time, one entered after the fact
        d = make.dossier(
            received_at=today + timedelta(hours=8, minutes=i),
            returned_at=today + timedelta(hours=10, minutes=i),
            applicant_name=f"Phụ huynh {i}",
            student_name=f"Học sinh {i}",
        )
        if i == 1:
            d.return_entered_at = local_to_utc(today + timedelta(hours=11))
            d.return_backdate_reason = "offline"
    db.session.commit()
    papers_month = f"{today:%Y-%m}"
    return {
        "supplement": (f"/dossiers/{late.code}/notices/{supplement.id}", "Mẫu số 02", (210, 297)),
        "refusal": (f"/dossiers/{refused.code}/notices/{refusal.id}", "Mẫu số 03", (210, 297)),
        "apology": (f"/dossiers/{late.code}/apology", "Mẫu số 04", (210, 297)),
        "control": (f"/dossiers/{late.code}/control-sheet", "Mẫu số 06", (210, 297)),
        "book": (f"/dossiers/book?month={papers_month}", "Mẫu số 07", (297, 210)),
    }


def test_forms_print_on_one_a4_page_each(browser, live_server, make, tmp_path):
    user = make.user("clerk")
    papers = _papers(make)
    context = browser.new_context(
        viewport={"width": round(297 * MM), "height": 900}, locale="vi-VN"
    )
    page = context.new_page()
    browser_login(page, live_server, user)
    page.emulate_media(media="print")
    try:
        for name, (url, mark, size_mm) in papers.items():
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, name
            # Every table's right border is whole: half of a collapsed outer border lies
            # outside the table, in the sheet's right padding where it has one, else in
            # room the table must leave inside the printed area (the register's).
            room = page.evaluate(
                """() => [...document.querySelectorAll('table.grid')].map(t => {
                  const s = t.closest('.sheet'), c = getComputedStyle(s);
                  const inner = s.getBoundingClientRect().right - parseFloat(c.paddingRight);
                  return inner - t.getBoundingClientRect().right
                    + (parseFloat(c.paddingRight) > 0 ? 1 : 0); })"""
            )
            assert all(r > 0.5 for r in room), (name, room)
            path = tmp_path / f"{name}.pdf"
            path.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
            reader = PdfReader(path)
            assert len(reader.pages) == 1, name
            box = reader.pages[0].mediabox
            got = (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4))
            assert got == size_mm, name
            text = reader.pages[0].extract_text()
            assert mark in text, name
            subprocess.run(
                ["pdftoppm", "-png", "-r", "80", "-singlefile", str(path), str(tmp_path / name)],
                check=True,
                timeout=60,
            )
            assert (tmp_path / f"{name}.png").stat().st_size > 0
    finally:
        context.close()


def test_a_paper_on_two_pages_has_its_top_margin_on_the_second(
    browser, live_server, make, tmp_path
):
    """The longest supplement request runs onto a second A4 page, whose text starts below
    a margin as the first page's does (it once began at the paper's edge)."""
    user = make.user("clerk")
    dossier = make.dossier(received_at=to_local(utcnow()).replace(tzinfo=None) - timedelta(hours=2))
    line = "Bản sao giấy khai sinh có chứng thực; học bạ bản chính; đơn đề nghị.\n"
    notice = request_supplement(dossier, papers=(line * 40)[:2000])  # the form's maximum
    db.session.commit()
    context = browser.new_context(viewport={"width": round(210 * MM), "height": 900})
    page = context.new_page()
    browser_login(page, live_server, user)
    page.emulate_media(media="print")
    try:
        page.goto(f"{live_server.url}/dossiers/{dossier.code}/notices/{notice.id}")
        path = tmp_path / "long.pdf"
        path.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
    finally:
        context.close()
    assert len(PdfReader(path).pages) == 2
    for number in (1, 2):
        words = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), "-bbox", str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        tops = [float(y) for y in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"', words)]
        lefts = [float(x) for x in re.findall(r'<word xMin="([\d.]+)"', words)]
        assert tops, number
        assert min(tops) / 72 * 25.4 >= 10, (number, min(tops))  # the form mark: 12 mm
        assert min(lefts) / 72 * 25.4 >= 25, (number, min(lefts))  # the left margin: 30 mm
