"""The exports opened by LibreOffice (Debian's headless Calc and Writer), as an office would.

LibreOffice converts the XLSX to CSV and PDF and the DOCX to PDF: each conversion must exit
0 without a word on stderr and give a non-empty file with the report's labels in it.
"""

import csv
import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from survey_app.reports import exports
from tests.test_exports import pdf_text
from tests.test_figures import AFTER, JAN, make_january

pytestmark = pytest.mark.slow
SOFFICE = shutil.which("soffice")


@pytest.fixture
def january(make):
    return make_january(make)


def convert(path, target: str, tmp_path) -> bytes:
    """`soffice --headless --convert-to TARGET PATH`, with its own profile under tmp_path."""
    if SOFFICE is None:
        pytest.fail("LibreOffice is missing: run `make install-system`.")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    # A word on stderr is a complaint, except LibreOffice's note that it runs without Java.
    complaints = [line for line in result.stderr.splitlines() if "javaldx" not in line]
    assert not complaints, result.stderr
    produced = out / (path.stem + "." + target.split(":")[0])
    assert produced.exists() and produced.stat().st_size > 0, result.stdout
    return produced.read_bytes()


def test_libreoffice_calc_reads_the_xlsx(app, january, tmp_path):
    with app.test_request_context():
        data, name, _media = exports.export(january.school, JAN, True, "xlsx", AFTER)
    path = tmp_path / name
    path.write_bytes(data)
    # CSV of the first sheet: the summary, its labels and its shares as Calc shows them
    text = convert(path, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path).decode("utf-8")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "Tỷ lệ hài lòng" in cells
    assert "75.0%" in cells or "75,0%" in cells  # the 0.0% format, applied by Calc
    # PDF of the whole workbook: dates as dd/mm/yyyy, names and labels, never codes
    pdf = convert(path, "pdf", tmp_path)
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    words = pdf_text(pdf)
    for label in ("Cấp giấy xác nhận học sinh", "Đã trả kết quả", "Phiếu giấy", "07/01/2020 09:00"):
        assert label in words, label
    assert "XAC-NHAN-HS" not in words


def test_libreoffice_writer_reads_the_docx(app, january, tmp_path):
    with app.test_request_context():
        data, name, _media = exports.export(january.school, JAN, True, "docx", AFTER)
    path = tmp_path / name
    path.write_bytes(data)
    pdf = convert(path, "pdf", tmp_path)
    reader = PdfReader(io.BytesIO(pdf))
    assert 2 <= len(reader.pages) <= 8
    words = pdf_text(pdf)
    for label in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Kính gửi",
        "I. TÌNH HÌNH CHUNG",
        "Tỷ lệ hài lòng",
        "75,0%",
        "HIỆU TRƯỞNG",
    ):
        assert label in words, label
    names = {
        str(page["/Resources"]["/Font"][k]["/BaseFont"])
        for page in reader.pages
        for k in page["/Resources"]["/Font"]
    }
    # Times New Roman, as the DOCX names it, is set in its metric twin: one serif throughout
    assert names and all("LiberationSerif" in n for n in names), names
