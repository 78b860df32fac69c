"""The desk in Chromium: the register's search, Vietnamese errors on staff forms, a clerk
created on the web, and every staff page at 390 px without horizontal scrolling."""

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from survey_app.cases.routing import route_response
from survey_app.dossiers.intake import request_supplement
from survey_app.extensions import db
from survey_app.forms import MESSAGES
from survey_app.kiosk.device import digest, new_secret
from survey_app.kiosk.models import KioskDevice
from survey_app.timeutil import LOCAL_TZ
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

ENGLISH = sorted(
    {m.split("%")[0].strip(" '") for m in MESSAGES if len(m.split("%")[0]) > 8}
    | {"This field", "Not a valid", "Invalid", "CSRF", "characters long"}
)


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go for a person to look at: DESK_SHOTS, else the test's tmp dir."""
    folder = Path(os.environ.get("DESK_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _now() -> datetime:
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


@pytest.fixture
def narrow(browser):
    """A 390 px wide phone, JavaScript off (the menu must fold without it)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
        locale="vi-VN",
        device_scale_factor=2,
        is_mobile=True,
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def desk(make):
    """A school with a principal, two clerks, dossiers in every state, a case."""
    principal = make.user("principal", username="hieutruong", email="ht@school.test")
    clerk = make.user("clerk", username="motcua")
    make.user("clerk", username="vanthu")
    now = _now()
    rows = [
        ("Lê Minh Khôi", "Nguyễn Văn Bình", "0912 345 678", "7A1", 2, None),
        ("Trần Thị Lan", "Đỗ Thị Hằng", "0987000111", "9A2", 20, None),
        ("Phạm Quốc Đạt", "Phạm Văn Hùng", "0903111222", "6A3", 9, 1),
    ]
    dossiers = []
    for student, parent, phone, klass, days, back in rows:
        dossiers.append(
            make.dossier(
                student_name=student,
                applicant_name=parent,
                applicant_phone=phone,
                student_class=klass,
                received_at=now - timedelta(days=days),
                returned_at=now - timedelta(days=back) if back else None,
                received_by=clerk,
            )
        )
    for i in range(60):  # enough for three pages
        make.dossier(
            student_name=f"Học Sinh {i}",
            received_at=now - timedelta(days=30 + i),
            returned_at=now - timedelta(days=20 + i),
        )
    response = make.response(
        dossiers[2], overall="dissatisfied", details={"visits": "2+"}, comment="Chờ lâu."
    )
    case = route_response(response, {"visits": "2+"})
    db.session.commit()
    return {"principal": principal, "clerk": clerk, "dossiers": dossiers, "case": case}


def _search(page, base, typed) -> list[str]:
    page.goto(f"{base}/dossiers")
    page.fill("input[name=q]", typed)
    with page.expect_navigation():
        page.get_by_role("button", name="Lọc").click()
    assert f"q={typed.replace(' ', '+')}" in page.url or "q=" in page.url
    return page.locator("table.register td.code a").all_inner_texts()


def test_register_search_without_diacritics_in_chromium(live_server, desktop, desk):
    base = live_server.url
    browser_login(desktop, live_server, desk["clerk"])
    khoi, lan, _dat = desk["dossiers"]
    # opens on the dossiers in progress, nearest due first
    desktop.goto(f"{base}/dossiers")
    assert desktop.locator("select[name=status]").input_value() == "received"
    assert desktop.locator("table.register td.code a").all_inner_texts() == [lan.code, khoi.code]
    assert _search(desktop, base, "khoi") == [khoi.code]
    assert _search(desktop, base, "0912345678") == [khoi.code]
    assert _search(desktop, base, "do thi hang") == [lan.code]
    # codes never wrap: one line as tall as the text
    cell = desktop.locator("table.register td.code a").first
    box = cell.bounding_box()
    line = float(cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24"))
    assert box["height"] < 1.5 * line
    # the filters stay in the URL of every page link
    desktop.goto(f"{base}/dossiers?status=all&q=hoc+sinh")
    links = desktop.locator("nav.pager a").evaluate_all("els => els.map(e => e.href)")
    assert links and all("q=hoc+sinh" in x and "status=all" in x for x in links)
    assert desktop.locator("nav.pager a[aria-current=page]").inner_text() == "1"


FORMS = [
    ("clerk", "/dossiers/new", "Tiếp nhận và tính ngày hẹn trả"),
    ("clerk", "/dossiers/{code}/withdraw", None),
    ("clerk", "/account/password", "Đổi mật khẩu"),
    ("principal", "/procedures/new", "Lưu"),
    ("principal", "/calendar", "Thêm vào lịch"),
    ("principal", "/dossiers/import", "Kiểm tra và nhập"),
    ("principal", "/cases/{case}", "Đánh dấu đã giải quyết"),
    ("principal", "/users", "Tạo tài khoản và cấp mật khẩu tạm"),
]


def test_staff_forms_answer_in_vietnamese_in_chromium(live_server, desktop, desk, make):
    base = live_server.url
    khoi = desk["dossiers"][0]
    office = make.user("office", username="phong")
    db.session.commit()
    forms = [*FORMS, ("office", "/schools", "Tạo trường"), ("office", "/schools", None)]
    submitted = 0
    for role, path, button in forms:
        user = {"clerk": desk["clerk"], "principal": desk["principal"], "office": office}[role]
        desktop.context.clear_cookies()
        browser_login(desktop, live_server, user)
        desktop.goto(base + path.format(code=khoi.code, case=desk["case"].id))
        form = desktop.locator("main form[method=post]").filter(
            has=desktop.locator("button.primary")
        )
        target = (
            form.get_by_role("button", name=button)
            if button
            else form.locator("button.primary").last
        )
        with desktop.expect_navigation():
            target.first.click()
        text = desktop.locator("main").inner_text()
        assert "Vui lòng" in text or "Cần" in text or "Có ký tự" in text, (path, text[:400])
        assert desktop.locator(".error-summary").count() >= 1, path
        assert not [e for e in ENGLISH if e in text], (path, text[:400])
        submitted += 1
    # bad values on the intake form: too long, a phone that is not one
    desktop.context.clear_cookies()
    browser_login(desktop, live_server, desk["clerk"])
    desktop.goto(f"{base}/dossiers/new")
    desktop.fill("input[name=student_name]", "\u0000")
    desktop.fill("input[name=applicant_phone]", "gọi tôi")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Tiếp nhận và tính ngày hẹn trả").click()
    text = desktop.locator("main").inner_text()
    assert "Vui lòng chọn thủ tục." in text
    assert "Số điện thoại không hợp lệ." in text
    assert not [e for e in ENGLISH if e in text]
    assert submitted == len(forms)


def test_principal_creates_a_clerk_who_must_change_the_password(live_server, desktop, desk, shots):
    base = live_server.url
    browser_login(desktop, live_server, desk["principal"])
    desktop.goto(f"{base}/users")
    desktop.fill("input[name=full_name]", "Võ Thị Thu")
    desktop.fill("input[name=username]", "thu.vo")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Tạo tài khoản và cấp mật khẩu tạm").click()
    password = desktop.locator("#temporary-password").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
    desktop.screenshot(path=str(shots / "temporary_password_1280.png"), full_page=True)

    desktop.context.clear_cookies()
    browser_login(desktop, live_server, type("U", (), {"username": "thu.vo"}), password)
    assert desktop.url.endswith("/account/password")
    desktop.goto(f"{base}/dossiers")
    assert desktop.url.endswith("/account/password")  # nothing else first
    desktop.fill("input[name=new]", "bon mua thay la")
    desktop.fill("input[name=confirm]", "bon mua thay la")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Đổi mật khẩu").click()
    assert desktop.url.endswith("/dossiers")
    assert "Đã đổi mật khẩu." in desktop.locator("main").inner_text()
    desktop.context.clear_cookies()
    browser_login(desktop, live_server, type("U", (), {"username": "thu.vo"}), "bon mua thay la")
    assert desktop.url.endswith("/dossiers")


# What sticks out on the right (to name it in a failure).
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391 || e.scrollWidth > 391)
  .slice(0, 5)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _no_sideways_scroll(page, url, name):
    response = page.goto(url)
    assert response.status < 500, (name, response.status)
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDE) if width > 390 else []
    assert width <= 390, (name, url, width, wide)


def test_every_staff_page_fits_390_px_with_a_folded_menu(live_server, narrow, desk, make):
    base = live_server.url
    office = make.user("office", username="phong")
    db.session.commit()
    khoi, lan, dat = desk["dossiers"]
    principal_pages = [
        ("dashboard", "/dashboard"),
        ("reports", "/reports"),
        ("register", "/dossiers"),
        ("register all", "/dossiers?status=all"),
        ("dossier", f"/dossiers/{dat.code}"),
        ("procedures", "/procedures"),
        ("procedure form", "/procedures/new"),
        ("calendar", "/calendar"),
        ("import", "/dossiers/import"),
        ("cases", "/cases"),
        ("case", f"/cases/{desk['case'].id}"),
        ("suggestions", "/suggestions"),
        ("settings", "/settings"),
        ("users", "/users"),
        ("paper answers", "/survey-entry"),
        ("password", "/account/password"),
        ("not found", "/dossiers/NO-SUCH"),
    ]
    clerk_pages = [
        ("intake", "/dossiers/new"),
        ("return", f"/dossiers/{khoi.code}/return"),
        ("withdraw", f"/dossiers/{khoi.code}/withdraw"),
        ("apology", f"/dossiers/{lan.code}/apology/new"),
        ("forbidden", "/cases"),
    ]
    office_pages = [
        ("schools", "/schools"),
        ("summary", "/cases/summary"),
        ("office settings", "/settings"),
    ]
    checked = 0
    for user, pages in (
        (desk["principal"], principal_pages),
        (desk["clerk"], clerk_pages),
        (office, office_pages),
    ):
        narrow.context.clear_cookies()
        browser_login(narrow, live_server, user)
        for name, path in pages:
            _no_sideways_scroll(narrow, base + path, name)
            checked += 1
        # the menu: folded behind one button, its links reachable without JavaScript
        assert not narrow.locator("nav.nav-wide").is_visible()
        menu = narrow.locator("details.nav-menu")
        assert menu.is_visible() and not menu.locator("nav a").first.is_visible()
        menu.locator("summary").click()
        assert menu.locator("nav a").first.is_visible()
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
    assert checked == len(principal_pages) + len(clerk_pages) + len(office_pages)


def test_row_actions_stay_on_screen_at_390_px(live_server, narrow, desk):
    """Lists whose rows end in buttons fold into cards on a phone: no action hides in a
    table scrolled sideways (the kiosks' revoke, a procedure's edit)."""
    db.session.add(
        KioskDevice(
            school_id=desk["principal"].school_id,
            name="Quầy 1",
            created_by=desk["principal"],
            secret_hash=digest(new_secret()),
        )
    )
    khoi = desk["dossiers"][0]  # open: papers asked for, the clerk records their return
    request_supplement(khoi, papers="Bản sao giấy khai sinh.")
    db.session.commit()
    browser_login(narrow, live_server, desk["principal"])
    for path, action in (
        ("/kiosks", "Thu hồi"),
        ("/procedures", "Sửa"),
        (f"/dossiers/{khoi.code}", "Đã nhận đủ hồ sơ"),
    ):
        _no_sideways_scroll(narrow, f"{live_server.url}{path}", path)
        found = (
            narrow.locator("main table")
            .get_by_role("button", name=action)
            .or_(narrow.locator("main table").get_by_role("link", name=action))
        )
        assert found.count() >= 1, path
        for box in (found.nth(i).bounding_box() for i in range(found.count())):
            assert box is not None and box["x"] + box["width"] <= 390, (path, box)


def test_the_offices_case_summary_is_one_card_a_school_at_390_px(live_server, narrow, desk, make):
    """Eight number columns do not fit a phone: each school is a card of labelled figures
    (the header row stood 200 px tall above one squeezed row)."""
    office = make.user("office", username="phong")
    db.session.commit()
    browser_login(narrow, live_server, office)
    _no_sideways_scroll(narrow, f"{live_server.url}/cases/summary", "summary")
    assert not narrow.locator("table.summary thead").is_visible()
    cells = narrow.locator("table.summary td[data-label]")
    assert cells.count() == 8 and cells.nth(4).get_attribute("data-label") == "Quá hạn"
    assert cells.nth(4).evaluate("td => getComputedStyle(td).display") == "block"


def test_charts_keep_a_readable_size_at_390_px(live_server, narrow, desk):
    """Shrunk to a phone's width a chart's labels were 4 px tall: it keeps 640 px and
    scrolls sideways in its own box, the page itself does not."""
    browser_login(narrow, live_server, desk["principal"])
    for path in ("/reports", "/dashboard"):
        _no_sideways_scroll(narrow, f"{live_server.url}{path}", path)
        widths = narrow.eval_on_selector_all(
            "img.chart", "imgs => imgs.map(i => i.getBoundingClientRect().width)"
        )
        assert widths and min(widths) >= 600, (path, widths)


def test_paper_entry_questions_keep_their_width_at_390_px(live_server, narrow, desk):
    """On a phone the detail questions of the paper form stack above their answers; beside
    them they were squeezed to one word a line."""
    browser_login(narrow, live_server, desk["principal"])
    narrow.goto(f"{live_server.url}/survey-entry")
    entry = narrow.locator("table a", has_text="Nhập phiếu").first.get_attribute("href")
    _no_sideways_scroll(narrow, f"{live_server.url}{entry}", "paper entry")
    lines = narrow.eval_on_selector_all(
        ".pq-row legend",
        "els => els.map(e => e.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(e).lineHeight))",
    )
    assert len(lines) == 6 and max(lines) <= 3, lines  # no question over three lines


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_the_desk(live_server, browser, desk, make, width, shots):
    """Register, settings, users and schools as the principal and the office see them."""
    office = make.user("office", username="phong")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
    page = context.new_page()
    base = live_server.url
    browser_login(page, live_server, desk["principal"])
    for name, path in [
        ("register", "/dossiers"),
        ("register_search", "/dossiers?q=khoi&status=all"),
        ("register_all", "/dossiers?status=all&page=2"),
        ("settings", "/settings"),
        ("users", "/users"),
        ("dossier", f"/dossiers/{desk['dossiers'][0].code}?received=1"),
        ("intake_errors", None),
    ]:
        if path is None:
            page.goto(f"{base}/dossiers/new")
            with page.expect_navigation():
                page.get_by_role("button", name="Tiếp nhận và tính ngày hẹn trả").click()
        else:
            page.goto(base + path)
        page.screenshot(path=str(shots / f"{name}_{width}.png"), full_page=True)
    if width == 390:
        page.goto(f"{base}/dossiers")
        page.locator("details.nav-menu summary").click()
        page.screenshot(path=str(shots / "menu_open_390.png"))
    context.clear_cookies()
    browser_login(page, live_server, office)
    page.goto(f"{base}/schools")
    page.screenshot(path=str(shots / f"schools_{width}.png"), full_page=True)
    page.goto(f"{base}/no-such-page")
    page.screenshot(path=str(shots / f"error_404_{width}.png"), full_page=True)
    context.clear_cookies()
    page.goto(f"{base}/login")
    page.screenshot(path=str(shots / f"login_{width}.png"), full_page=True)
    context.close()
