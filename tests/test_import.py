"""Bulk import: `flask dossiers import` and the principal's upload page, all rows or none."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from survey_app.audit import Audit
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.extensions import db
from survey_app.timeutil import to_local
from tests.conftest import csrf_token_from

HEADER = (
    "procedure_code,applicant_name,applicant_phone,student_name,student_class,channel,"
    "received_at,returned_at"
)
GOOD_ROWS = [
    # Tết 2020: received the day before, 1 working day -> due Thursday 30/01.
    "XAC-NHAN-HS,Nguyễn Văn Ba,0901234567,Nguyễn Thị Con,6A1,counter,"
    "2020-01-22T09:15,2020-01-30T10:00",
    # Online after closing (17:00): counts from the next opening, 03/03 07:30; 3 working
    # days -> 06/03. Not returned.
    'CHUYEN-TRUONG,"Trần, Thị Mẹ",,Trần Văn Út,7A2,online_l4,2020-03-02T17:45,',
    # A date alone; returned the same day (date alone too).
    "BAN-SAO-VB,,,Lê Văn Bé,9A3,,2020-04-28,2020-04-28",
]


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Dossier))


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str | bytes, name: str = "dossiers.csv"):
        path = tmp_path / name
        if isinstance(text, str):
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(text)
        return str(path)

    return write


def test_cli_import_prints_one_line_per_dossier_in_order(runner, make, csv_file):
    make.school()
    result = runner.invoke(args=["dossiers", "import", csv_file(_csv(*GOOD_ROWS))])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    dossiers = db.session.scalars(select(Dossier).order_by(Dossier.id)).all()
    assert [line.split("\t") for line in lines] == [
        [d.code, d.short_code, d.due_date.isoformat()] for d in dossiers
    ]
    assert [d.code for d in dossiers] == ["2020-000001", "2020-000002", "2020-000003"]
    assert [d.due_date for d in dossiers] == [
        date(2020, 1, 30),
        date(2020, 3, 6),
        date(2020, 4, 29),
    ]
    first, second, third = dossiers
    assert to_local(first.received_at).strftime("%Y-%m-%d %H:%M") == "2020-01-22 09:15"
    assert first.status is DossierStatus.RETURNED and first.applicant_name == "Nguyễn Văn Ba"
    assert first.token_expires_at == first.returned_at + timedelta(days=30)
    assert second.applicant_name == "Trần, Thị Mẹ" and second.applicant_phone is None
    assert second.intake_channel.value == "online_l4" and second.received_on == date(2020, 3, 3)
    assert second.status is DossierStatus.RECEIVED and second.returned_at is None
    assert third.intake_channel.value == "counter"
    assert third.returned_at == third.received_at  # same day, no time given
    assert "Imported 3 dossier(s) (2 returned) into TEST." in result.stderr
    assert "Importing" in result.stderr  # the progress bar, on stderr only
    assert "Importing" not in result.stdout
    actions = db.session.scalars(select(Audit.action).where(Audit.entity == "dossier")).all()
    assert actions.count("create") == 3 and actions.count("import") == 1


def test_cli_import_one_bad_row_writes_nothing_and_names_the_line(runner, make, csv_file):
    make.school()
    rows = [GOOD_ROWS[0], "NO-SUCH-CODE,,,Hà,6A,counter,2020-01-22T09:00,", GOOD_ROWS[1]]
    result = runner.invoke(args=["dossiers", "import", csv_file(_csv(*rows))])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "line 3: procedure_code" in result.stderr and "NO-SUCH-CODE" in result.stderr
    assert "line 2" not in result.stderr and "line 4" not in result.stderr
    assert "nothing imported" in result.stderr
    assert _count() == 0


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (",,,Hà,6A,counter,2020-01-22,", "procedure_code"),
        ("XAC-NHAN-HS,,,,6A,counter,2020-01-22,", "student_name"),
        ("XAC-NHAN-HS,,,Hà,6A,fax,2020-01-22,", "channel"),
        ("XAC-NHAN-HS,,,Hà,6A,counter,22/01/2020,", "received_at"),
        ("XAC-NHAN-HS,,,Hà,6A,counter,,", "received_at"),
        ("XAC-NHAN-HS,,,Hà,6A,counter,2999-01-01,", "received_at"),
        ("XAC-NHAN-HS,,,Hà,6A,counter,2020-01-22T09:00,2020-01-21", "returned_at"),
        ("XAC-NHAN-HS,,,Hà,6A,counter,2020-01-22T09:00,2020-02-30", "returned_at"),
        ("XAC-NHAN-HS,,call me,Hà,6A,counter,2020-01-22,", "applicant_phone"),
        ("XAC-NHAN-HS," + "x" * 121 + ",,Hà,6A,counter,2020-01-22,", "applicant_name"),
        ("XAC-NHAN-HS,,,H\x00à,6A,counter,2020-01-22,", "student_name"),
    ],
)
def test_each_bad_field_is_named(runner, make, csv_file, row, column):
    make.school()
    result = runner.invoke(args=["dossiers", "import", csv_file(_csv(GOOD_ROWS[0], row))])
    assert result.exit_code != 0
    assert f"line 3: {column}" in result.stderr
    assert _count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "line 1"),
        (_csv(GOOD_ROWS[0], header="procedure,student").encode(), "line 1"),
        (_csv().encode(), "line 1"),
        (_csv(GOOD_ROWS[0]).encode("utf-16"), "UTF-8"),
        (_csv("XAC-NHAN-HS,,,Hà,6A").encode(), "line 2"),
    ],
)
def test_malformed_files_are_refused(runner, make, csv_file, content, message):
    make.school()
    result = runner.invoke(args=["dossiers", "import", csv_file(content)])
    assert result.exit_code != 0
    assert message in result.stderr
    assert _count() == 0


def test_a_quoted_multiline_cell_keeps_line_numbers_true(runner, make, csv_file):
    make.school()
    rows = ['XAC-NHAN-HS,"Ông\nBa",,Hà,6A,counter,2020-01-22,', "BAD,,,Hà,6A,counter,2020-01-22,"]
    result = runner.invoke(args=["dossiers", "import", csv_file(_csv(*rows))])
    assert "line 4: procedure_code" in result.stderr, result.stderr


def test_bom_and_crlf_are_accepted(runner, make, csv_file):
    make.school()
    text = _csv(*GOOD_ROWS).replace("\n", "\r\n")
    result = runner.invoke(args=["dossiers", "import", csv_file(b"\xef\xbb\xbf" + text.encode())])
    assert result.exit_code == 0, result.stderr
    assert _count() == 3


def test_school_option(runner, make, csv_file):
    make.school()
    other = make.school(code="OTHER", name="Trường khác")
    path = csv_file(_csv(GOOD_ROWS[0]))
    ambiguous = runner.invoke(args=["dossiers", "import", path])
    assert ambiguous.exit_code != 0 and "--school" in ambiguous.stderr
    result = runner.invoke(args=["dossiers", "import", path, "--school", "OTHER"])
    assert result.exit_code == 0, result.stderr
    assert db.session.scalars(select(Dossier.school_id)).all() == [other.id]
    unknown = runner.invoke(args=["dossiers", "import", path, "--school", "NOPE"])
    assert unknown.exit_code != 0


def test_import_continues_the_years_numbering(runner, make, csv_file):
    make.school()
    make.dossier(code="2020-000041")
    result = runner.invoke(args=["dossiers", "import", csv_file(_csv(GOOD_ROWS[0]))])
    assert result.stdout.startswith("2020-000042\t")


# --- the web page -------------------------------------------------------------------


def _upload(client, content: bytes):
    token = csrf_token_from(client.get("/dossiers/import").get_data(as_text=True))
    return client.post(
        "/dossiers/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "dossiers.csv")},
        content_type="multipart/form-data",
    )


def test_principal_imports_from_the_web_page(client, auth):
    auth.login("principal")
    response = _upload(client, _csv(*GOOD_ROWS).encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã nhập 3 hồ sơ." in html and "2020-000003" in html
    assert _count() == 3


def test_web_import_with_one_bad_row_writes_nothing(client, auth):
    auth.login("principal")
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], "XAC-NHAN-HS,,,,6A,counter,2020-01-22,"]
    response = _upload(client, _csv(*rows).encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<td class="num">4</td>' in html and "student_name" in html
    assert _count() == 0


def test_web_import_without_a_file_asks_for_one(client, auth):
    auth.login("principal")
    token = csrf_token_from(client.get("/dossiers/import").text)
    response = client.post(
        "/dossiers/import", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and "Vui lòng chọn tệp CSV để nhập." in response.text


def test_web_import_needs_csrf_and_the_principal(client, auth):
    auth.login("principal")
    response = client.post(
        "/dossiers/import",
        data={"file": (io.BytesIO(_csv(*GOOD_ROWS).encode()), "d.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and _count() == 0
    auth.logout()
    auth.login("clerk")
    assert client.get("/dossiers/import").status_code == 403


def test_web_import_caps_the_rows_and_says_so(client, auth):
    auth.login("principal")
    row = "XAC-NHAN-HS,,,Hà,6A,counter,2020-01-22,"
    response = _upload(client, _csv(*[row] * 2001).encode())
    assert response.status_code == 400
    assert "quá 2000 dòng" in response.get_data(as_text=True)
    assert _count() == 0
