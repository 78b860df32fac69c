"""The plan's periodic reports: each one's data window and due date (dated rules), the
dashboard's next report, and what every report states on its cover (both engines)."""

import csv
import io
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from survey_app.dated_rules import set_rule
from survey_app.extensions import db
from survey_app.reports import exports, periods
from survey_app.reports import figures as F

# The plan: 3-, 6-, 9-month and annual reports sent before 15/2, 15/5, 15/8 and 10/11, in
# that order; reporting year 2020 runs from 1/11/2019 to 31/10/2020.
PLAN_2020 = [
    ("2020-R3", date(2019, 11, 1), date(2020, 1, 31), date(2020, 2, 15)),
    ("2020-R6", date(2019, 11, 1), date(2020, 4, 30), date(2020, 5, 15)),
    ("2020-R9", date(2019, 11, 1), date(2020, 7, 31), date(2020, 8, 15)),
    ("2020-R12", date(2019, 11, 1), date(2020, 10, 31), date(2020, 11, 10)),
]


@pytest.mark.parametrize(("key", "first", "last", "due"), PLAN_2020)
def test_each_report_has_the_plans_window_and_due_date(app, make, key, first, last, due):
    school = make.school()
    period = periods.parse_period(key, school.id)
    assert (period.kind, period.start, period.last_day, period.due) == ("report", first, last, due)
    assert period.last_day < period.due  # the window is over before the report is due
    assert period.filable


def test_the_reports_in_the_plans_order(app, make):
    school = make.school()
    reports = periods.plan_reports(2020, school.id)
    assert [(p.key, p.due) for p in reports] == [(k, d) for k, _a, _b, d in PLAN_2020]
    assert [p.label() for p in reports] == [
        "định kỳ 3 tháng năm 2020",
        "định kỳ 6 tháng năm 2020",
        "định kỳ 9 tháng năm 2020",
        "định kỳ năm 2020",
    ]  # in a sentence; standing alone (a title, a list), capitalised:
    assert reports[3].heading() == "Định kỳ năm 2020"
    assert periods.parse_period("2020-03").heading() == "Tháng 03/2020"


def test_decree_09_cut_off_runs_from_the_15th_to_the_14th(app, make):
    school = make.school()
    set_rule("report_cutoff", "decree_09", date(2021, 1, 1), school.id)
    db.session.commit()
    r3 = periods.parse_period("2021-R3", school.id)
    assert (r3.start, r3.last_day, r3.due) == (
        date(2020, 10, 15),
        date(2021, 1, 14),
        date(2021, 2, 15),
    )
    r12 = periods.parse_period("2021-R12", school.id)
    assert (r12.start, r12.last_day, r12.due) == (
        date(2020, 10, 15),
        date(2021, 10, 14),
        date(2021, 11, 10),
    )
    # Decree 09's own calendar: the year from 15/12 to 14/12, quarterly from 15/12 to 14/3.
    set_rule("report_year_start", "01-01", date(2022, 1, 1), school.id)
    set_rule("report_due_dates", ["03-20", "06-20", "09-20", "12-20"], date(2022, 1, 1), school.id)
    db.session.commit()
    q1 = periods.parse_period("2022-R3", school.id)
    assert (q1.start, q1.last_day, q1.due) == (
        date(2021, 12, 15),
        date(2022, 3, 14),
        date(2022, 3, 20),
    )
    # 2020 keeps the rules then in force; another school keeps the defaults.
    assert periods.parse_period("2020-R3", school.id).start == date(2019, 11, 1)
    other = make.school(code="OTHER", name="Trường khác")
    assert periods.parse_period("2021-R3", other.id).start == date(2020, 11, 1)


def test_a_report_the_rule_does_not_know_is_refused(app, make):
    school = make.school()
    for key in ("2020-R4", "2020-R0", "2020-R13", "1999-R3"):
        with pytest.raises(periods.PeriodError):
            periods.parse_period(key, school.id)


@pytest.mark.parametrize(
    ("today", "key", "due"),
    [
        (date(2020, 1, 10), "2020-R3", date(2020, 2, 15)),
        (date(2020, 2, 15), "2020-R3", date(2020, 2, 15)),  # due today: still the one
        (date(2020, 2, 16), "2020-R6", date(2020, 5, 15)),
        (date(2020, 5, 16), "2020-R9", date(2020, 8, 15)),
        (date(2020, 8, 16), "2020-R12", date(2020, 11, 10)),
        (date(2020, 11, 11), "2021-R3", date(2021, 2, 15)),
        (date(2026, 12, 4), "2027-R3", date(2027, 2, 15)),
    ],
)
def test_the_dashboards_next_report_names_the_right_report(app, make, today, key, due):
    school = make.school()
    next_due, period = F.next_report_due(school.id, today)
    assert (next_due, period.key, period.due) == (due, key, due)


def test_next_report_due_follows_the_rule(app, make):
    school = make.school()
    set_rule("report_due_dates", ["06-01"], date(2020, 1, 1), school.id)
    db.session.commit()
    due, period = F.next_report_due(school.id, date(2020, 5, 16))
    assert (due, period.key) == (date(2020, 6, 1), "2020-R3")
    assert F.next_report_due(school.id, date(2020, 6, 2))[0] == date(2021, 6, 1)


def test_the_dashboard_tile_links_the_next_report(client, auth, make, monkeypatch):
    monkeypatch.setattr("survey_app.reports.views.local_today", lambda: date(2020, 5, 16))
    auth.login("principal")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "15/08/2020" in html and "định kỳ 9 tháng năm 2020" in html
    assert "period=2020-R9" in html


def test_cover_states_window_due_date_and_provisional(app, make):
    school = make.school()
    r6 = periods.parse_period("2020-R6", school.id)
    assert periods.cover_lines(r6, date(2020, 5, 20)) == [
        "Kỳ số liệu: từ ngày 01/11/2019 đến ngày 30/04/2020",
        "Hạn gửi: trước ngày 15/05/2020",
    ]
    assert periods.cover_lines(r6, date(2020, 3, 9))[-1] == "Số liệu tạm tính đến ngày 09/03/2020"
    assert periods.cover_lines(r6, date(2020, 4, 30))[-1] == "Số liệu tạm tính đến ngày 30/04/2020"
    assert periods.tentative_until(r6, date(2020, 5, 1)) is None
    month = periods.parse_period("2020-03")
    assert periods.cover_lines(month, date(2020, 3, 9)) == [
        "Kỳ số liệu: từ ngày 01/03/2020 đến ngày 31/03/2020",
        "Số liệu tạm tính đến ngày 09/03/2020",
    ]


def test_every_format_carries_the_cover(app, make):
    school = make.school()
    r3 = periods.parse_period("2020-R3", school.id)
    lines = [
        "Kỳ số liệu: từ ngày 01/11/2019 đến ngày 31/01/2020",
        "Hạn gửi: trước ngày 15/02/2020",
        "Số liệu tạm tính đến ngày 20/01/2020",
    ]
    data = exports.export(school, r3, True, "csv", date(2020, 1, 20))[0]
    head = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[:4]
    assert head == [[f"{school.name} – Định kỳ 3 tháng năm 2020"]] + [[x] for x in lines]
    data = exports.export(school, r3, True, "xlsx", date(2020, 1, 20))[0]
    sheet = load_workbook(io.BytesIO(data), read_only=True)["Tổng hợp"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, max_row=4, values_only=True)] == lines
    pdf = exports.export(school, r3, True, "pdf", date(2020, 1, 20))[0]
    text = _pdf_text(pdf)
    for line in ["Định kỳ 3 tháng năm 2020", *lines]:
        assert line in text, line
    docx = exports.export(school, r3, True, "docx", date(2020, 1, 20))[0]
    paragraphs = [p.text for p in Document(io.BytesIO(docx)).paragraphs]
    for line in ["Định kỳ 3 tháng năm 2020", *lines]:
        assert line in paragraphs, line


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages[:1])


def test_cli_report_period_writes_a_plan_report(app, make, tmp_path):
    make.school()
    out = tmp_path / "r9.csv"
    result = app.test_cli_runner().invoke(
        args=["report", "period", "2020-R9", "--format", "csv", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2020-R9" in result.output
    assert "Hạn gửi: trước ngày 15/08/2020" in out.read_bytes().decode("utf-8-sig")
    bad = app.test_cli_runner().invoke(
        args=["report", "period", "2020-R5", "--format", "csv", "--output", str(out)]
    )
    assert bad.exit_code != 0


def test_the_report_page_states_the_cover(client, auth, make, monkeypatch):
    monkeypatch.setattr("survey_app.reports.views.local_today", lambda: date(2020, 3, 9))
    auth.login("principal")
    html = client.get("/reports?period=2020-R6").get_data(as_text=True)
    assert "Báo cáo · Định kỳ 6 tháng năm 2020</h1>" in html
    assert "Nộp báo cáo định kỳ 6 tháng năm 2020" in html  # in a sentence
    assert ">Định kỳ 6 tháng năm 2020</option>" in html
    for line in (
        "Kỳ số liệu: từ ngày 01/11/2019 đến ngày 30/04/2020",
        "Hạn gửi: trước ngày 15/05/2020",
        "Số liệu tạm tính đến ngày 09/03/2020",
    ):
        assert line in html
    # The plan's reports begun by then are offered in the picker.
    assert 'value="2020-R3"' in html and 'value="2020-R6"' in html


def test_a_period_not_yet_over_is_shown_but_not_judged(app, make):
    """Answers and returns still arrive: a report made before its period ends shows the
    figures and "Đang diễn ra" where the verdict would be, in every format; once the period
    is over, the same figures are judged."""
    from datetime import datetime

    from survey_app.reports.summary_tables import build

    school = make.school()
    make.dossier(received_at=datetime(2020, 1, 6, 9), returned_at=datetime(2020, 1, 7, 9))
    r3 = periods.parse_period("2020-R3", school.id)
    running = build(school, r3, False, date(2020, 1, 20))
    over = build(school, r3, False, date(2020, 2, 3))
    on_time = {r.indicator.key: r for r in running.headline}["on_time"]
    assert on_time.rate.value == 1.0 and on_time.running and on_time.met is None
    assert {r.indicator.key: r for r in over.headline}["on_time"].met is True
    assert not any(r.running for r in over.headline)
    data = exports.export(school, r3, False, "csv", date(2020, 1, 20))[0].decode("utf-8-sig")
    row = next(
        r for r in csv.reader(io.StringIO(data)) if r and r[0] == "Tỷ lệ giải quyết đúng hạn"
    )
    assert row[-1] == "Đang diễn ra"
    data = exports.export(school, r3, False, "csv", date(2020, 2, 3))[0].decode("utf-8-sig")
    row = next(
        r for r in csv.reader(io.StringIO(data)) if r and r[0] == "Tỷ lệ giải quyết đúng hạn"
    )
    assert row[-1] == "Đạt"
