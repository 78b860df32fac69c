"""Decision 766/QĐ-TTg's indicators beside the plan's figures, and the current terms
(Decree 42/2022 online kinds, "chưa hài lòng", one spelling of hủy/xóa), on both engines."""

import re
from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader

from survey_app.cases.models import Case
from survey_app.dossiers.models import IntakeChannel
from survey_app.extensions import db
from survey_app.reports import exports, periods, queries, summary_tables

ROOT = Path(__file__).resolve().parents[1]
MARCH = periods.parse_period("2020-03")
AFTER = date(2020, 4, 20)


def _known_march(make):
    """Five dossiers received in March 2020 (XAC-NHAN-HS is offered fully online, 1 day;
    TIEP-NHAN-HS is not offered online, 5 days)."""
    school = make.school()
    online, offline = make.procedure(code="XAC-NHAN-HS"), make.procedure(code="TIEP-NHAN-HS")
    ok = make.dossier(
        procedure=online,
        intake_channel="online_l4",
        received_at=datetime(2020, 3, 2, 9),
        returned_at=datetime(2020, 3, 3, 9),
    )
    make.response(ok, overall="very_satisfied")
    unhappy = make.dossier(
        procedure=online, received_at=datetime(2020, 3, 2, 9), returned_at=datetime(2020, 3, 3, 9)
    )
    make.response(unhappy, overall="dissatisfied")
    complained = make.dossier(
        procedure=online, received_at=datetime(2020, 3, 4, 9), returned_at=datetime(2020, 3, 5, 9)
    )
    answer = make.response(complained, overall="satisfied", details={"extra_payment": "yes"})
    db.session.add(Case(school_id=school.id, response_id=answer.id, due_date=date(2020, 3, 12)))
    late = make.dossier(
        procedure=offline,
        received_at=datetime(2020, 3, 9, 9),
        returned_at=datetime(2020, 3, 27, 9),  # due 16/3
    )
    make.response(late, overall="satisfied")
    open_past_due = make.dossier(
        procedure=online, intake_channel="online_l3", received_at=datetime(2020, 3, 10, 9)
    )
    db.session.commit()
    return school, (ok, unhappy, complained, late, open_past_due)


def test_national_counts_on_a_known_month(app, make):
    school, _rows = _known_march(make)
    n = queries.national(school.id, MARCH, AFTER)
    assert n == queries.National(
        dossiers=5,
        not_satisfied=4,  # dissatisfied, a complaint, returned late, open past due
        offered_online=4,
        online_of_offered=2,
        full_online_of_offered=1,
    )
    # The plan's satisfaction is over the answers (4 of 5 answered, 3 satisfied); the
    # national one over every dossier: (5 - 4) / 5.
    table = summary_tables.national_table(n)
    assert [row[1:4] for row in table.rows] == [[0.2, 1, 5], [0.5, 2, 4], [0.25, 1, 4]]
    assert "766/QĐ-TTg" in table.title
    # Before its due date the open dossier is not yet overdue.
    assert queries.national(school.id, MARCH, date(2020, 3, 10)).not_satisfied == 3
    # Another school, or an empty month: zero counts, and "—" for the rates.
    empty = queries.national(school.id, periods.parse_period("2020-05"), AFTER)
    assert empty == queries.National()
    assert [row[1] for row in summary_tables.national_table(empty).rows] == [None, None, None]


def test_the_report_shows_the_national_table(client, auth, make):
    _known_march(make)
    auth.login("principal")
    html = client.get("/reports?period=2020-03").get_data(as_text=True)
    assert "Chỉ số theo Bộ chỉ số phục vụ người dân (Quyết định 766/QĐ-TTg)" in html
    assert "Tỷ lệ hồ sơ trực tuyến trên các thủ tục có cung cấp trực tuyến" in html


def test_online_kinds_carry_the_terms_of_decree_42():
    assert IntakeChannel.ONLINE_L4.label == "Trực tuyến toàn trình"
    assert IntakeChannel.ONLINE_L3.label == "Trực tuyến một phần"


def test_ui_words_current_and_spelled_one_way():
    """No "tiêu cực" (reads as corruption), no "mức độ 3/4", one spelling of hủy / xóa."""
    banned = re.compile(r"tiêu cực|mức độ [34]|\bmức [34]\b|xoá|huỷ", re.IGNORECASE)
    found = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("survey_app/**/*.py")]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if banned.search(line) and "online_l" not in line:
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_signed_pdf_carries_the_national_table(app, make, tmp_path):
    school, _rows = _known_march(make)
    pdf = exports.export(school, MARCH, True, "pdf", AFTER)[0]
    (tmp_path / "march.pdf").write_bytes(pdf)
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "march.pdf").pages)
    assert "Chỉ số theo Bộ chỉ số phục vụ người dân (Quyết định 766/QĐ-TTg)" in text
    assert "20,0%" in text and "1/5" in text  # (5 - 4) / 5
