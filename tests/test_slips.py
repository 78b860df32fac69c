"""The printed papers' content: slip, day sheet, receipt (the browser test decodes the QR)."""

import re
from datetime import date, datetime, timedelta

import pytest

from survey_app.dated_rules import set_rule
from survey_app.dossiers.qr import qr_svg
from survey_app.extensions import db
from survey_app.timeutil import local_today, to_local, utcnow


def _html(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _no_inline_styles(html: str) -> None:
    assert "style=" not in html and "<style" not in html and "<script" not in html


def test_qr_svg_is_inline_css_sized_and_csp_safe(app):
    svg = str(qr_svg("http://localhost/s/abc"))
    assert svg.startswith('<svg class="qr"') and "viewBox=" in svg
    assert " width=" not in svg.split(">", 1)[0]  # print.css sets the size
    assert "style" not in svg and " id=" not in svg
    assert qr_svg("http://localhost/s/abc") == qr_svg("http://localhost/s/abc")


def test_slip_shows_code_short_code_qr_desk_phone_and_hours(client, auth, make):
    clerk = auth.login("clerk")
    now = to_local(utcnow()).replace(tzinfo=None)
    dossier = make.dossier(received_at=now - timedelta(days=1), returned_at=now)
    set_rule("desk_phone", "028 3855 1234", date(2020, 1, 1), clerk.school_id)
    db.session.commit()
    url = f"http://localhost/s/{dossier.token}"
    for layout in ("", "?layout=a6", "?layout=80mm"):
        html = _html(client, f"/dossiers/{dossier.code}/slip{layout}")
        assert dossier.school.name.upper() in html and dossier.code in html
        assert dossier.short_code_display in html and re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", html)
        assert "hoặc vào http://localhost/s và nhập mã" in html
        # the link is in the QR only: its 32-character token is no use typed by hand
        assert dossier.token not in html.replace(str(qr_svg(url)), "")
        assert 'ĐT <strong class="phone">028 3855 1234</strong>' in html
        assert "Thứ Hai – Thứ Sáu: 07:30–11:30, 13:30–17:00" in html
        assert "Mời Ông/Bà quét mã để đánh giá mức độ hài lòng — chỉ mất 1 phút" in html
        assert html.count('<svg class="qr"') == 1
        assert str(qr_svg(url)) in html
        _no_inline_styles(html)
    response = client.get(f"/dossiers/{dossier.code}/slip")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    _html(client, f"/dossiers/{dossier.code}/slip?layout=a5", status=400)


def test_receipt_carries_the_header_the_dates_and_the_same_qr(client, auth, make):
    clerk = auth.login("clerk")
    dossier = make.dossier(
        received_at=datetime(2020, 1, 22, 16, 45),  # inside office hours, eve of Tết
        procedure=make.procedure(code="CHUYEN-TRUONG"),
        received_by_id=clerk.id,
    )
    for layout in ("", "?layout=a4", "?layout=80mm"):
        html = _html(client, f"/dossiers/{dossier.code}/receipt{layout}")
        for text in (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            dossier.code,
            "Chuyển trường đối với học sinh trung học cơ sở",
            "Trần Văn Cha",
            "3 ngày làm việc",
            "16 giờ 45 phút, ngày 22/01/2020",
            "ngày 03/02/2020",  # 22/01 not counted, then Tết: 30/01, 31/01, 03/02
            "Hồ sơ nhận trong giờ tiếp nhận (07:30–11:30, 13:30–17:00): không tính ngày tiếp"
            " nhận vào thời hạn giải quyết.",
            "NGƯỜI NỘP HỒ SƠ",
            "NGƯỜI TIẾP NHẬN HỒ SƠ",
            clerk.full_name,
            dossier.short_code_display,
        ):
            assert text in html, (layout, text)
        assert str(qr_svg(f"http://localhost/s/{dossier.token}")) in html
        _no_inline_styles(html)
    _html(client, f"/dossiers/{dossier.code}/receipt?layout=a3", status=400)


@pytest.mark.parametrize(
    ("received_at", "counts_from", "due"),
    [
        # After closing: counted from the next opening, Tuesday 07:30; due 3 days after it.
        (datetime(2020, 3, 2, 17, 30), "07 giờ 30 phút, ngày 03/03/2020", "ngày 06/03/2020"),
        # The lunch break: 13:30 the same day, so the same count as inside the hours.
        (datetime(2020, 3, 2, 12, 0), "13 giờ 30 phút, ngày 02/03/2020", "ngày 05/03/2020"),
        # Online on a Saturday: Monday 07:30.
        (datetime(2020, 3, 7, 21, 5), "07 giờ 30 phút, ngày 09/03/2020", "ngày 12/03/2020"),
    ],
)
def test_receipt_outside_office_hours_says_when_it_counts_from(
    client, auth, make, received_at, counts_from, due
):
    auth.login("clerk")
    dossier = make.dossier(received_at=received_at, procedure=make.procedure(code="CHUYEN-TRUONG"))
    html = _html(client, f"/dossiers/{dossier.code}/receipt")
    assert (
        "Hồ sơ nhận ngoài giờ tiếp nhận (07:30–11:30, 13:30–17:00, các ngày làm việc) được tính"
        f" là nhận lúc {counts_from} (giờ mở cửa kế tiếp); không tính ngày đó vào thời hạn"
        " giải quyết." in html
    )
    assert due in html and "nhận trong giờ tiếp nhận" not in html


def test_day_sheet_holds_eight_slips_per_a4_page(client, auth, make):
    auth.login("clerk")
    today = local_today()
    morning = datetime.combine(today, datetime.min.time()) + timedelta(minutes=30)
    received = morning - timedelta(days=5)
    mine = [
        make.dossier(received_at=received, returned_at=morning + timedelta(minutes=i))
        for i in range(9)
    ]
    make.dossier(received_at=received, returned_at=morning - timedelta(days=1))  # yesterday
    make.dossier(received_at=received)  # not returned
    other = make.school(code="OTHER", name="Trường khác")
    make.dossier(school=other, received_at=received, returned_at=morning)
    html = _html(client, f"/dossiers/slips?date={today.isoformat()}")
    assert html.count('class="sheet a4-sheet"') == 2
    assert html.count('<svg class="qr"') == 9
    assert re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}", html) == [d.short_code_display for d in mine]
    assert not [d for d in mine if d.token in html]  # links in the QR codes only
    _no_inline_styles(html)
    assert _html(client, "/dossiers/slips").count('<svg class="qr"') == 9  # default: today


@pytest.mark.parametrize("value", ["2020-13-01", "yesterday", "2020-02-30"])
def test_day_sheet_rejects_bad_dates(client, auth, value):
    auth.login("clerk")
    _html(client, f"/dossiers/slips?date={value}", status=400)


def test_day_sheet_without_returns_says_so(client, auth):
    auth.login("clerk")
    html = _html(client, "/dossiers/slips?date=2020-01-25")
    assert "Không có hồ sơ nào trả kết quả trong ngày 25/01/2020." in html


def test_apology_letter_needs_an_apology(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier()
    _html(client, f"/dossiers/{dossier.code}/apology", status=404)
