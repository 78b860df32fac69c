"""The counts of issue "true figures" in every place a report is read: the PDF, the XLSX,
the CSV and the dashboard, each opened and read back (the labels come from one home,
`summary_tables.onestop_table`)."""

import csv
import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from survey_app.dossiers.intake import (
    issue_apology,
    refuse_dossier,
    request_supplement,
    return_dossier,
)
from survey_app.extensions import db
from survey_app.reports import exports, periods, queries, summary_tables
from survey_app.reports import figures as F
from survey_app.timeutil import local_to_utc
from tests.test_exports import pdf_text

JAN = periods.parse_period("2020-01")
AFTER = date(2020, 3, 1)

# label (as summary_tables.onestop_table prints it) -> the value the data below gives
EXPECTED = {
    "– trong đó nhập bù (trả kết quả nhập sau)": 1,
    "– trong đó tính hạn theo thời điểm có kết quả": 1,
    "– trễ hạn, có thư xin lỗi trước hạn": 1,
    "– trễ hạn, có thư xin lỗi nhưng không kịp thời": 1,
    "– trong đó thư xin lỗi nhập bù (thời điểm gửi nhập sau)": 2,
    "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ": 1,
    "Phiếu từ chối tiếp nhận, giải quyết hồ sơ": 1,
    "– trực tuyến một phần": 1,
    "– trực tuyến toàn trình": 2,
}


def _at(day: int, hour: int = 9) -> datetime:
    return local_to_utc(datetime(2020, 1, day, hour))


@pytest.fixture
def counted(make):
    """January 2020: one return entered after the fact, one judged by its ready time, two
    late dossiers with back-dated apologies (one in time, one not), a supplement request
    and a refusal, three online dossiers."""
    school = make.school()
    back = make.dossier(received_at=datetime(2020, 1, 6, 9), due_date=date(2020, 1, 9))
    return_dossier(back, returned_at=_at(8), backdate_reason="offline")
    ready = make.dossier(received_at=datetime(2020, 1, 6, 9), intake_channel="online_l3")
    ready.ready_at = _at(7)
    ready.returned_at, ready.status = _at(20), "returned"
    for day, issued, reason, note in ((15, 8, "postal", None), (16, 14, "other", "Quên ghi")):
        late = make.dossier(
            received_at=datetime(2020, 1, 6, 9),
            due_date=date(2020, 1, 9),
            returned_at=datetime(2020, 1, day, 9),
            intake_channel="online_l4",
        )
        issue_apology(
            late,
            reason="Chờ xác minh.",
            new_due_date=date(2020, 1, 20),
            channel="postal",
            issued_at=_at(issued),
            backdate_reason=reason,
            backdate_note=note,
        )
    waiting = make.dossier(received_at=datetime(2020, 1, 6, 9))
    request_supplement(waiting, papers="Bản sao giấy khai sinh.").issued_at = _at(7)
    refused = make.dossier(received_at=datetime(2020, 1, 6, 9))
    notice = refuse_dossier(refused, reason="Không thuộc thẩm quyền.")
    notice.issued_at = refused.withdrawn_at = _at(8)
    db.session.commit()
    return school


def test_the_figures_count_them(counted):
    figures = F.compute(counted.id, JAN, today=AFTER)
    r, n, i = figures.returns, figures.notices, figures.intake
    assert (r.backdated, r.ready_recorded) == (1, 1)
    assert (r.late, r.apologised, r.late_apologised, r.apologised_late) == (2, 2, 1, 1)
    assert r.apology_backdated == 2
    assert (n.supplement, n.refusal) == (1, 1)
    assert (i.online_l3, i.online_l4) == (1, 2)
    rows = {label: value for label, value in summary_tables.onestop_table(figures).rows}
    assert {label: rows[label] for label in EXPECTED} == EXPECTED


def test_notices_count_the_scope_and_the_period_only(counted, make):
    other = make.school("KHAC", "Trường THCS Khác")
    theirs = make.dossier(school=other, received_at=datetime(2020, 1, 6, 9))
    request_supplement(theirs, papers="Học bạ.").issued_at = _at(9)
    february = make.dossier(school=counted, received_at=datetime(2020, 1, 6, 9))
    request_supplement(february, papers="Học bạ.").issued_at = local_to_utc(datetime(2020, 2, 3, 9))
    db.session.commit()
    assert queries.notices(counted.id, JAN) == queries.Notices(supplement=1, refusal=1)
    assert queries.notices(other.id, JAN) == queries.Notices(supplement=1, refusal=0)
    assert queries.notices(None, JAN) == queries.Notices(supplement=2, refusal=1)
    feb = periods.parse_period("2020-02")
    assert queries.notices(counted.id, feb) == queries.Notices(supplement=1, refusal=0)


def test_csv_carries_each_count(counted):
    data, _name, _media = exports.export(counted, JAN, False, "csv", AFTER)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = {row[0]: row[1] for row in lines if len(row) == 2}
    for label, value in EXPECTED.items():
        assert cells.get(label) == str(value), label


def test_xlsx_carries_each_count(counted):
    data, _name, _media = exports.export(counted, JAN, False, "xlsx", AFTER)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]  # "Tổng hợp"
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if len(row) > 1}
    for label, value in EXPECTED.items():
        assert cells.get(label) == value, label


def test_pdf_carries_each_count(counted):
    data, _name, _media = exports.export(counted, JAN, False, "pdf", AFTER)
    text = pdf_text(data)
    for label, value in EXPECTED.items():
        # the table prints the label, then its count in the next cell
        assert re.search(re.escape(label) + rf" {value}\b", text), label


def test_dashboard_carries_each_count(client, auth, counted, monkeypatch):
    monkeypatch.setattr("survey_app.reports.views.local_today", lambda: date(2020, 1, 31))
    auth.login("principal", school=counted)
    html = client.get("/dashboard").get_data(as_text=True)
    cells = dict(re.findall(r"<td>([^<]*)</td><td class=\"num\">(\d+)</td>", html))
    for label, value in EXPECTED.items():
        assert cells.get(label) == str(value), label
    assert "trong đó nhập bù: 1" in html
