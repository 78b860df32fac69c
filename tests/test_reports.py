"""Dashboard, report page, charts, filing and the targets page: who may see them, and what."""

import io
import re
import shutil
import subprocess
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from reportlab.graphics.shapes import Circle, Line, PolyLine, Rect, String
from reportlab.lib.colors import white
from sqlalchemy import func, select

from survey_app.audit import Audit
from survey_app.dated_rules import Rule, get_rule
from survey_app.extensions import db
from survey_app.reports import charts, exports, pdf, pdf_charts, periods, queries, summary_tables
from survey_app.reports.models import FiledReport
from survey_app.timeutil import local_today
from tests.conftest import csrf_token_from
from tests.test_exports import pdf_text
from tests.test_figures import make_january

PAGES = (
    "/dashboard",
    "/reports",
    "/reports?period=2020-01",
    "/settings/targets",
    "/reports/export?period=2020-01&format=csv",
    "/reports/charts/trend.svg?period=2020-01",
)


@pytest.fixture
def january(make):
    return make_january(make)


def test_clerk_gets_403_everywhere(client, auth, make):
    auth.login("clerk")
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/reports/file").status_code in (400, 403)


def test_anonymous_is_sent_to_login(client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_principal_dashboard_shows_targets_cases_and_next_report(client, auth, make):
    principal = auth.login("principal")
    today = local_today()
    dossier = make.dossier(
        school=principal.school,
        received_at=datetime.combine(today, datetime.min.time()).replace(hour=8),
    )
    make.response(dossier, overall="dissatisfied")
    html = client.get("/dashboard").get_data(as_text=True)
    for text in (
        "Tháng này",
        "Từ đầu năm",
        "Tỷ lệ khảo sát",
        "Tỷ lệ hài lòng",
        "Tỷ lệ giải quyết đúng hạn",
        "Tỷ lệ hồ sơ trực tuyến toàn trình",
        "Phản ánh quá hạn xử lý",
        "Hạn gửi báo cáo",
        "≥ 90%",
        "&gt; 95%",
        "Chưa đạt",
        "0,0%",
        "0/1",
        "khoảng 0,0%–",  # the 95% interval, explained once below the figures
        "Khoảng tin cậy 95%: với số phiếu đã có",
    ):
        assert text in html, text
    assert f"/reports/charts/trend.svg?period={today:%Y-%m}" in html
    assert "Các trường" not in html  # the side-by-side table is the office's


def test_office_dashboard_lists_every_school_without_personal_data(client, auth, make):
    today = local_today()
    noon = datetime.combine(today, datetime.min.time()).replace(hour=8)
    school = make.school()
    other = make.school(code="B", name="Trường THCS Bình Đông")
    for s in (school, other):
        make.response(
            make.dossier(school=s, received_at=noon, applicant_name="Lê Văn Riêng"),
            comment="Bí mật của phụ huynh",
        )
    auth.login("office")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Tất cả các trường" in html and "Các trường, từ đầu năm" in html
    assert "Trường THCS Thử Nghiệm" in html and "Trường THCS Bình Đông" in html
    assert "Lê Văn Riêng" not in html and "Bí mật" not in html
    one = client.get("/dashboard?school=B").get_data(as_text=True)
    assert "Trường THCS Bình Đông" in one and "Các trường, từ đầu năm" not in one
    assert client.get("/dashboard?school=NOPE").status_code == 404


def test_report_page_shows_every_section(client, auth, january):
    auth.login("principal", school=january.school)
    html = client.get("/reports?period=2020-01").get_data(as_text=True)
    for text in (
        "Tháng 01/2020",
        "75,0%",
        "3/4",
        "57,1%",
        "4/7",
        "Kỳ trước chuyển qua",
        "Theo thủ tục",
        "Theo cán bộ tiếp nhận",
        "Kết quả theo từng nội dung",
        "Lý do chưa hài lòng",
        "Phản ánh, kiến nghị",
        "Nộp báo cáo Tháng 01/2020",
        "/reports/export?period=2020-01&amp;format=pdf",
    ):
        assert text in html, text
    assert "=HYPERLINK" not in html  # no comment on the figures page


def test_report_page_with_a_bad_period_is_400_and_still_useful(client, auth, make):
    auth.login("principal")
    response = client.get("/reports?period=2024-13")
    assert response.status_code == 400
    assert "Kỳ báo cáo không hợp lệ" in response.get_data(as_text=True)
    custom = client.get("/reports?period=custom&from=2020-01-05&to=2020-02-10")
    assert custom.status_code == 200
    assert "Từ 05/01/2020 đến 10/02/2020" in custom.get_data(as_text=True)


def test_filing_freezes_the_figures_and_shows_later_changes(client, auth, january, make):
    auth.login("principal", school=january.school)
    page = client.get("/reports?period=2020-01").get_data(as_text=True)
    response = client.post(
        "/reports/file",
        data={"csrf_token": csrf_token_from(page), "period": "2020-01", "number": "<b>07</b>/BC"},
    )
    assert response.status_code == 303
    filed = db.session.scalars(select(FiledReport)).one()
    assert filed.number == "<b>07</b>/BC" and filed.period == "2020-01"
    assert db.session.scalar(select(func.count()).where(Audit.action == "file")) == 1
    # A late answer about a January dossier arrives in March.
    make.response(
        january.d["late_midnight"], overall="satisfied", submitted_at=datetime(2020, 3, 2, 9)
    )
    html = client.get("/reports?period=2020-01").get_data(as_text=True)
    assert "Đã nộp báo cáo" in html and "&lt;b&gt;07&lt;/b&gt;/BC" in html
    assert "75,0% (3/4)" in html and "80,0% (4/5)" in html and "+5,0 điểm %" in html
    assert "Nộp báo cáo Tháng 01/2020" not in html  # no second filing form
    pdf = client.get("/reports/export?period=2020-01&format=pdf")
    text = pdf_text(pdf.data)
    assert "Số liệu đã nộp (số <b>07</b>/BC" in text
    assert "75,0% (3/4) 80,0% (4/5) +5,0 điểm %" in text
    again = client.post(
        "/reports/file",
        data={"csrf_token": csrf_token_from(page), "period": "2020-01", "number": "08"},
    )
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(FiledReport)) == 1
    assert db.session.scalars(select(FiledReport)).one().number == "<b>07</b>/BC"


def test_filing_refuses_custom_periods_and_missing_csrf(client, auth, make):
    auth.login("principal")
    page = client.get("/reports").get_data(as_text=True)
    token = csrf_token_from(page)
    for period in ("2020-01-01..2020-01-31", "2024-13", ""):
        response = client.post("/reports/file", data={"csrf_token": token, "period": period})
        assert response.status_code == 400, period
    assert client.post("/reports/file", data={"period": "2020-01"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(FiledReport)) == 0


def test_chart_is_svg_and_cached_per_data_version(client, auth, january, make):
    auth.login("principal", school=january.school)
    charts._cache.clear()
    url = "/reports/charts/overall.svg?period=2020-01"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    assert first.data.startswith(b"<?xml") and b"<svg" in first.data
    draws = charts.stats["draws"]
    assert client.get(url).data == first.data and charts.stats["draws"] == draws
    make.response(january.d["late_midnight"], overall="dissatisfied")  # the data changed
    assert client.get(url).data != first.data and charts.stats["draws"] == draws + 1
    assert client.get("/reports/charts/nope.svg?period=2020-01").status_code == 404
    assert client.get("/reports/charts/trend.svg?period=2020-13").status_code == 400


def test_every_chart_renders_svg_and_png(app, january):
    with app.test_request_context():
        for name in charts.NAMES:
            assert b"<svg" in charts.chart(name, january.school.id, periods.parse_period("2020-Q1"))
            png = charts.chart(name, None, periods.parse_period("2019-06"), "png")
            assert png.startswith(b"\x89PNG")


def _strings(node, out: list) -> list:
    """Every String of a drawing, however deep in its groups."""
    for child in getattr(node, "contents", []):
        if isinstance(child, String):
            out.append(child)
        _strings(child, out)
    return out


@pytest.mark.parametrize("scope", ["school", "all"])
def test_pdf_chart_text_stays_inside_its_figure(app, january, scope):
    """Every label, tick and bar value of the PDF's charts is drawn inside the chart: none cut."""
    school, period = (
        (january.school, periods.parse_period("2020-Q1"))
        if scope == "school"
        else (None, periods.parse_period("2019-06"))  # an empty period: every count 0
    )
    with app.test_request_context(), force_locale("vi"):
        pdf.register_fonts()
        report = summary_tables.build(school, period, False)
        for name in charts.NAMES:
            drawing = pdf_charts.drawing(
                name, charts.data(name, report.figures, report.targets), 400
            )
            x0, y0, x1, y1 = drawing.getBounds()
            assert x0 >= -0.5 and y0 >= -0.5, name
            assert x1 <= drawing.width + 0.5 and y1 <= drawing.height + 0.5, name
            texts = _strings(drawing, [])
            assert texts and {t.fontName for t in texts} == {pdf_charts.FONT}, name


def test_pdf_trend_draws_the_month_under_way_dashed_and_hollow():
    months = tuple(f"{m:02d}/2026" for m in range(1, 13))
    running = (False,) * 11 + (True,)
    coverage = (0.7, 0.75, None, 0.8, 0.82, 0.85, 0.9, 0.88, 0.86, 0.8, 0.78, 0.4)
    satisfaction = (0.9,) * 12
    data = (months, coverage, satisfaction, 0.8, 0.9, "Khảo sát", "Hài lòng", "Chỉ tiêu")
    drawing = pdf_charts.trend((*data, running, "đang diễn ra"))
    shapes = drawing.contents
    dashed = [s for s in shapes if isinstance(s, Line) and s.strokeDashArray == [4, 2]]
    assert len(dashed) == 2  # coverage and satisfaction: from November to December
    assert all(line.x2 > line.x1 for line in dashed)
    last_x = max(line.x2 for line in dashed)
    markers = [s for s in shapes if isinstance(s, Circle) or isinstance(s, Rect) and s.width < 10]
    hollow = [s for s in markers if s.fillColor == white]
    assert len(hollow) == 2
    solid = [s for s in shapes if isinstance(s, PolyLine)]
    assert len(solid) == 3  # coverage broken at March, satisfaction whole; none to December
    assert all(max(s.points[0::2]) < last_x for s in solid)
    texts = [t.text for t in _strings(drawing, [])]
    assert "(đang diễn ra)" in texts and "Chỉ tiêu 80%" in texts and "100%" in texts


def test_report_charts_draw_from_its_figures_without_a_second_query(app, january, monkeypatch):
    """The PDF's and the DOCX's charts read the figures the report computed: the only query
    left is the trend's twelve months."""
    period = periods.parse_period("2020-01")
    with app.test_request_context(), force_locale("vi"):
        report = summary_tables.build(january.school, period, True)
        f = report.figures
        trend = charts.data("trend", f, report.targets)  # its twelve months: the one query
        assert trend[0][-1] == "01/2020" and trend[3:5] == (
            report.targets["coverage"],
            report.targets["satisfaction"],
        )

        def no_query(*_args, **_kwargs):
            raise AssertionError("a second query")

        for name in ("intake", "returns", "flow", "aspects", "cases"):
            monkeypatch.setattr(queries, name, no_query)
        assert charts.data("overall", f, report.targets)[1] == (
            f.intake.very_satisfied,
            f.intake.satisfied_only,
            f.intake.dissatisfied,
        )
        ontime = charts.data("ontime", f, report.targets)[1]
        assert ontime == (
            f.returns.early,
            f.returns.on_time,
            f.returns.late,
            f.flow.open_end_within_due,
            f.flow.open_end_past_due,
        )
        assert sum(ontime) > 0
        shares = charts.data("negatives", f, report.targets)[1]
        assert shares == tuple(a.negative / a.answered if a.answered else None for a in f.aspects)
        assert charts.image("overall", f, report.targets).startswith(b"\x89PNG")


def test_pdf_charts_are_vector_with_their_vietnamese_labels(app, january):
    with app.test_request_context():
        charts._cache.clear()
        data = exports.export(january.school, periods.parse_period("2020-01"), True, "pdf")[0]
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:  # no raster chart anywhere: it prints sharp at any resolution
        xobjects = page["/Resources"].get("/XObject") or {}
        assert all(x.get_object()["/Subtype"] != "/Image" for x in xobjects.values())
    text = pdf_text(data)
    for label in ("Số phiếu", "Rất hài lòng", "Không hài lòng", "Trễ hạn", "(n=", "Chỉ tiêu"):
        assert label in text, label  # the charts' own text, drawn with the embedded font
    if shutil.which("pdftotext"):  # as poppler reads it (every reader's fonts, not pypdf's)
        out = subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", "-", "-"],  # noqa: S607
            input=data,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for label in ("Tỷ lệ khảo sát", "Tỷ lệ hài lòng", "Chỉ tiêu 90%", "Đang giải quyết"):
            assert label in out, label
        assert "Tỷ lệ ý kiến chưa hài lòng" in out and "100%" in out and "01/2020" in out


def _targets_form(client) -> dict:
    page = client.get("/settings/targets").get_data(as_text=True)
    return {
        "csrf_token": csrf_token_from(page),
        "coverage": "90.0",
        "satisfaction": "95",
        "on_time": "95",
        "online_l4": "40",
        "apology": "100",
        "report_due_dates": "15/02, 15/05, 15/08, 10/11",
        "effective_from": "2021-01-01",
    }


def test_principal_sets_dated_targets_for_the_school(client, auth, make):
    principal = auth.login("principal")
    form = _targets_form(client)
    form.update(satisfaction="97.5", report_due_dates="1/3, 15/9")
    response = client.post("/settings/targets", data=form)
    assert response.status_code == 303
    school_id = principal.school_id
    assert get_rule("target.satisfaction", school_id, date(2021, 1, 1)) == 0.975
    assert get_rule("target.satisfaction", school_id, date(2020, 12, 31)) == 0.95
    assert get_rule("report_due_dates", school_id, date(2021, 6, 1)) == ["03-01", "09-15"]
    assert db.session.scalar(select(func.count()).select_from(Rule)) == 2  # changes only
    assert db.session.scalar(select(func.count()).where(Audit.action == "set_rule")) == 2
    html = client.get("/settings/targets").get_data(as_text=True)
    assert "97,5%" in html and "01/03, 15/09" in html
    # a whole percentage without ".0"; a decimal comma taken (a form sent without a browser)
    assert re.search(r'<input[^>]*name="coverage"[^>]*value="90"', html)
    form = _targets_form(client)
    form.update(coverage="92,5", effective_from="2021-02-01")
    assert client.post("/settings/targets", data=form).status_code == 303
    assert get_rule("target.coverage", school_id, date(2021, 2, 1)) == 0.925
    html = client.get("/settings/targets").text
    assert re.search(r'<input[^>]*name="coverage"[^>]*value="92.5"', html)


def test_office_targets_apply_to_schools_without_their_own(client, auth, make):
    school = make.school()
    auth.login("office")
    form = _targets_form(client)
    form["coverage"] = "80"
    assert client.post("/settings/targets", data=form).status_code == 303
    rule = db.session.scalars(select(Rule)).one()
    assert rule.school_id is None
    assert get_rule("target.coverage", school.id, date(2021, 2, 1)) == 0.8


@pytest.mark.parametrize(
    "field,value",
    [
        ("coverage", "101"),
        ("coverage", "abc"),
        ("report_due_dates", "31/02"),
        ("report_due_dates", "15-02"),
        ("effective_from", "x"),
    ],
)
def test_bad_targets_are_400_and_change_nothing(client, auth, make, field, value):
    auth.login("principal")
    form = _targets_form(client)
    form[field] = value
    response = client.post("/settings/targets", data=form)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Rule)) == 0
