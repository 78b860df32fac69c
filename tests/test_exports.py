"""Each export opened and read back: PDF text, XLSX cells, CSV cells; bad parameters; the CLI."""

import csv
import io
import re
import socket
import unicodedata
from datetime import datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from survey_app.extensions import db
from survey_app.reports import exports, periods, summary_tables
from tests.test_figures import AFTER, HOSTILE, JAN, make_january

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def january(make):
    return make_january(make)


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def export(client, **params):
    return client.get("/reports/export", query_string=params)


def test_pdf_has_the_vietnamese_labels_and_the_figures(client, auth, january):
    auth.login("principal", school=january.school)
    response = export(client, period="2020-01", format="pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition == "attachment; filename=bao-cao-TEST-2020-01.pdf"
    text = pdf_text(response.data)
    for label in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO",
        "Tháng 01/2020",
        "Tỷ lệ hài lòng",
        "Tỷ lệ khảo sát",
        "Tỷ lệ giải quyết đúng hạn",
        "Kỳ trước chuyển qua",
        "HIỆU TRƯỞNG",
        "Trường THCS Thử Nghiệm".upper(),
    ):
        assert label in text, label
    other = export(client, period="2020-01", format="csv", school="OTHER")
    assert other.headers["Content-Disposition"].endswith("bao-cao-TEST-2020-01.csv")  # own only
    assert "75,0% 3/4" in text  # satisfaction
    assert "57,1% 4/7" in text  # coverage
    assert "40,0% 2/5" in text  # on time
    assert "33,3% 1/3" in text  # apology
    assert HOSTILE not in text  # comments are not in the report sent upwards
    assert "Theo cán bộ tiếp nhận" not in text  # nor the per-clerk table


def test_pdf_prints_markup_literally_and_fetches_nothing(app, make):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    hostile = f'<img src="http://127.0.0.1:{port}/x.png"/> <b>đậm & <font'
    school = make.school(code="EVIL", name=hostile)
    procedure = make.procedure(school)
    procedure.name = f'<a href="javascript:alert(1)">x</a> {hostile}'
    db.session.commit()
    make.dossier(school=school, procedure=procedure, received_at=datetime(2020, 1, 6, 9))
    with app.test_request_context():
        data, name, _media = exports.export(school, JAN, True, "pdf", AFTER)
    try:
        listener.accept()
        pytest.fail("the PDF build made a request")
    except BlockingIOError:
        pass
    finally:
        listener.close()
    text = pdf_text(data)
    squeezed = text.replace(" ", "")  # a long name wraps anywhere
    assert f'<IMGSRC="HTTP://127.0.0.1:{port}/X.PNG"/>' in squeezed  # the school name, upper
    assert '<ahref="javascript:alert(1)">x</a>' in squeezed  # the procedure name, as text
    pages = PdfReader(io.BytesIO(data)).pages
    assert all("/Annots" not in page for page in pages)  # no link, no javascript: action
    assert name == "bao-cao-EVIL-2020-01.pdf"


def _cells(workbook):
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            yield from row


SHEETS = {"Tổng hợp", "Hồ sơ", "Phiếu trả lời", "Phản ánh", "Theo thủ tục", "Theo cán bộ"}


def test_xlsx_has_values_only_and_the_query_numbers(client, auth, january, app):
    auth.login("principal", school=january.school)
    response = export(client, period="2020-01", format="xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith("bao-cao-TEST-2020-01.xlsx")
    wb = load_workbook(io.BytesIO(response.data))
    assert set(wb.sheetnames) >= SHEETS
    cells = list(_cells(wb))
    assert cells and all(cell.data_type != "f" for cell in cells)
    for cell in cells:
        if isinstance(cell.value, str):
            assert not cell.value.startswith(DANGEROUS), cell.value
    with app.test_request_context():
        report = summary_tables.build(january.school, JAN, True, AFTER)
    summary = {row[0].value: row for row in wb["Tổng hợp"].iter_rows() if row[0].value}
    for row in report.headline:
        got = summary[str(row.indicator.label)]
        if row.rate.value is None:
            assert got[1].value == "—"
        else:
            assert got[1].value == pytest.approx(row.rate.value)
            assert got[1].number_format == "0.0%"
        assert (got[2].value, got[3].value) == (row.rate.numerator, row.rate.denominator)
    assert summary["Tỷ lệ hài lòng"][1].value == 0.75
    sheet = list(wb["Phiếu trả lời"].iter_rows(values_only=True))
    comments = [row[sheet[0].index("Góp ý")] for row in sheet[1:]]
    assert "'" + HOSTILE in comments


def _table(ws) -> list[dict]:
    rows = list(ws.iter_rows())
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:] if row[0].value is not None]


def test_xlsx_cells_are_dates_numbers_and_labels_a_school_can_hand_in(client, auth, january):
    """Dates and times are dates (dd/mm/yyyy [hh:mm]), shares are numbers with a percent
    format, codes are shown as their labels, and every sheet has its header row frozen, a
    filter and column widths."""
    auth.login("principal", school=january.school)
    wb = load_workbook(io.BytesIO(export(client, period="2020-01", format="xlsx").data))
    assert set(wb.sheetnames) == SHEETS | {
        "Theo nội dung",
        "Lý do chưa hài lòng",
        "Nguồn phiếu trả lời",
        "Hỗ trợ theo cán bộ",
    }
    for name in wb.sheetnames:
        assert len(name) <= 31 and not set("[]:*?/\\") & set(name), name
    dossiers = {row["Mã hồ sơ"].value: row for row in _table(wb["Hồ sơ"])}
    late = dossiers[january.d["late"].code]
    assert late["Tiếp nhận lúc"].value == datetime(2020, 1, 7, 9)
    assert late["Tiếp nhận lúc"].number_format == "dd/mm/yyyy hh:mm"
    assert late["Hạn trả"].value == datetime(2020, 1, 9)  # a date cell (openpyxl reads datetime)
    assert late["Hạn trả"].number_format == "dd/mm/yyyy"
    assert late["Thư xin lỗi lúc"].value == datetime(2020, 1, 10, 9)
    assert late["Thủ tục"].value == "Cấp giấy xác nhận học sinh đang học tại trường"
    assert late["Kênh tiếp nhận"].value == "Trực tuyến một phần"
    assert late["Trạng thái"].value == "Đã trả kết quả"
    assert dossiers[january.d["open"].code]["Trạng thái"].value == "Đang giải quyết"
    assert dossiers[january.d["open"].code]["Trả kết quả lúc"].value == "—"
    answers = {row["Mã hồ sơ"].value: row for row in _table(wb["Phiếu trả lời"])}
    early = answers[january.d["early"].code]
    assert early["Kênh"].value == "Quét mã QR"
    assert early["Mức độ hài lòng chung"].value == "Rất hài lòng"
    assert early["Trả lời lúc"].value == datetime(2020, 1, 7, 16)
    assert answers[january.d["late"].code]["Kênh"].value == "Phiếu giấy"
    cases = _table(wb["Phản ánh"])
    assert {c["Trạng thái"].value for c in cases} <= {"Mới", "Đang xử lý", "Đã giải quyết"}
    assert "Đã giải quyết" in {c["Trạng thái"].value for c in cases}
    assert all(isinstance(c["Mở lúc"].value, datetime) for c in cases)
    resolved = [c for c in cases if isinstance(c["Số ngày"].value, int | float)]
    assert resolved and all(c["Số ngày"].number_format == "0.0" for c in resolved)
    raw = {"in_progress", "received", "returned", "qr", "paper", "XAC-NHAN-HS", "resolved"}
    values = {c.value for c in _cells(wb) if isinstance(c.value, str)}
    assert not raw & values
    by_procedure = _table(wb["Theo thủ tục"])
    assert by_procedure[0]["Thủ tục"].value == "Cấp giấy xác nhận học sinh đang học tại trường"
    assert by_procedure[0]["Tỷ lệ khảo sát"].number_format == "0.0%"
    assert isinstance(by_procedure[0]["Tỷ lệ khảo sát"].value, float)
    for name in set(wb.sheetnames) - {"Tổng hợp"}:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert ws.column_dimensions["A"].width >= 8, name
    assert wb["Hồ sơ"].column_dimensions["B"].width > 30  # the procedure's name fits
    assert wb["Tổng hợp"].freeze_panes == "A2"
    assert wb["Tổng hợp"].column_dimensions["A"].width >= 40


def test_csv_is_utf8_with_bom_and_neutralised(client, auth, january):
    auth.login("principal", school=january.school)
    response = export(client, period="2020-01", format="csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows for cell in row]
    assert "'" + HOSTILE in cells
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    assert "Tỷ lệ hài lòng" in cells and "75,0%" in cells
    assert b"\r\n" in response.data


def test_csv_keeps_separators_quotes_and_newlines_in_one_cell(app, make):
    school = make.school()
    comment = '";=1+2,\n=2+3 +1 @SUM(1)'
    for i, text in enumerate((comment, "\t=1+1", "\r=1+1", "-2+3", "@SUM(1)", "+1+1")):
        dossier = make.dossier(received_at=datetime(2020, 1, 6 + i, 9))
        make.response(dossier, comment=text)
    with app.test_request_context():
        data, _name, _media = exports.export(school, JAN, True, "csv", AFTER)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows for cell in row]
    assert comment in cells  # one cell: quoted, separators and newline inside
    for text in ("\t=1+1", "\r=1+1", "-2+3", "@SUM(1)", "+1+1"):
        assert any(c == "'" + text for c in cells), text
    assert not [c for c in cells if c.startswith(DANGEROUS)]


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2024-13", "format": "pdf"},
        {"period": "../../etc/passwd", "format": "csv"},
        {"period": "2020-01", "format": "exe"},
        {"period": "2024-01\r\nX:1", "format": "csv"},
        {"period": "2020-01"},
        {"format": "pdf"},
    ],
)
def test_bad_parameters_are_400_with_a_reason(client, auth, make, params):
    auth.login("principal")
    response = export(client, **params)
    assert response.status_code == 400
    assert "Content-Disposition" not in response.headers
    assert "không hợp lệ" in response.get_data(as_text=True)


def test_office_exports_carry_no_personal_data(client, auth, january):
    auth.login("office")
    for fmt in exports.FORMATS:
        for params in ({}, {"school": "TEST"}):
            response = export(client, period="2020-01", format=fmt, **params)
            assert response.status_code == 200, (fmt, params)
            data = response.data
            if fmt == "xlsx":
                wb = load_workbook(io.BytesIO(data))
                personal_sheets = {"Hồ sơ", "Phiếu trả lời", "Phản ánh", "Theo cán bộ"}
                assert not personal_sheets & set(wb.sheetnames)
                values = " ".join(str(c.value) for c in _cells(wb) if c.value is not None)
            elif fmt == "pdf":
                values = pdf_text(data)
            elif fmt == "docx":
                doc = Document(io.BytesIO(data))
                cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
                values = " ".join([p.text for p in doc.paragraphs] + cells)
            else:
                values = data.decode("utf-8-sig")
            for personal in ("Trần Văn Cha", "Trần Thị Bé", "0901234567", "HYPERLINK", "Cảm ơn"):
                assert personal not in values, (fmt, personal)
    name = export(client, period="2020-Q1", format="csv").headers["Content-Disposition"]
    assert name.endswith("bao-cao-tat-ca-2020-Q1.csv")


def test_the_offices_report_is_issued_by_the_office(app, client, auth, january):
    """All schools' report: the office that runs the site (DESK_NAME) issues it, and its
    number has no school's code; without DESK_NAME it says what it is."""
    auth.login("office")
    app.config["DESK_NAME"] = "Phòng Văn hóa - Xã hội phường Chánh Hưng"
    pdf = pdf_text(export(client, period="2020-01", format="pdf").data)
    doc = Document(io.BytesIO(export(client, period="2020-01", format="docx").data))
    head = " ".join(c.text for c in doc.tables[0].rows[0].cells)
    for text in (pdf, head):
        assert "PHÒNG VĂN HÓA - XÃ HỘI PHƯỜNG CHÁNH HƯNG" in text
        assert "Số: ....../BC" in text and "/BC-" not in text
    app.config["DESK_NAME"] = ""
    pdf = pdf_text(export(client, period="2020-01", format="pdf").data)
    assert "TỔNG HỢP CÁC TRƯỜNG" in pdf
    school = export(client, period="2020-01", format="pdf", school="TEST").data
    assert "Số: ....../BC-TEST" in pdf_text(school)  # a school's report: its code


def test_export_rows_are_bounded(app, make, monkeypatch):
    from survey_app.reports import row_sheets

    monkeypatch.setattr(row_sheets, "ROW_LIMIT", 2)
    school = make.school()
    for day in (6, 7, 8):
        make.response(make.dossier(received_at=datetime(2020, 1, day, 9)))
    with app.test_request_context():
        table = row_sheets.responses(school.id, JAN)
    assert len(table.rows) == 2 and "2" in table.note


def test_cli_writes_each_format(runner, january, tmp_path):
    for fmt, magic in (
        ("pdf", b"%PDF"),
        ("xlsx", b"PK"),
        ("csv", b"\xef\xbb\xbf"),
        ("docx", b"PK"),
    ):
        out = tmp_path / f"jan.{fmt}"
        result = runner.invoke(
            args=[
                "report",
                "monthly",
                "2020-01",
                "--format",
                fmt,
                "--output",
                str(out),
                "--school",
                "TEST",
            ]
        )
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic)
    out = tmp_path / "q1.xlsx"
    result = runner.invoke(
        args=["report", "period", "2020-Q1", "--format", "xlsx", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert "Theo trường" in wb.sheetnames and "Phiếu trả lời" not in wb.sheetnames  # 2 schools
    bad = runner.invoke(
        args=[
            "report",
            "monthly",
            "2020-13",
            "--format",
            "pdf",
            "--output",
            str(tmp_path / "x.pdf"),
        ]
    )
    assert bad.exit_code != 0 and not (tmp_path / "x.pdf").exists()
    wrong = runner.invoke(
        args=[
            "report",
            "monthly",
            "2020-Q1",
            "--format",
            "pdf",
            "--output",
            str(tmp_path / "y.pdf"),
        ]
    )
    assert wrong.exit_code != 0
    assert periods.parse_period("2020-Q1").kind == "quarter"
