"""The DOCX report: opened with python-docx, laid out as Decree 30/2020 asks, every figure
the PDF shows; offered by the web's report page and by `flask report ... --format docx`."""

import io
import re
import unicodedata

import pytest
from docx import Document

from survey_app.extensions import db
from survey_app.reports import exports, summary_tables
from tests.test_exports import export, pdf_text
from tests.test_figures import AFTER, HOSTILE, JAN, make_january

SHOWN = ("counts", "onestop", "aspects", "reasons", "cases", "provenance", "by_procedure")


@pytest.fixture
def january(make):
    school_ = make_january(make).school
    school_.authority = "Ủy ban nhân dân Phường Chánh Hưng"
    db.session.commit()
    return school_


def docx_parts(data: bytes) -> tuple[list[str], list[str]]:
    """(paragraphs, table cells) of a DOCX, the header and signature tables' cells included."""
    doc = Document(io.BytesIO(data))
    paragraphs = [p.text for p in doc.paragraphs]
    cells = []
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                cells.append(cell.text)
                paragraphs += [p.text for p in cell.paragraphs]
    return paragraphs, cells


def printed_figures(report: summary_tables.Report) -> set[str]:
    """Every figure the PDF prints, as it prints it (the summary: rate, n, interval)."""
    out = set()
    by_name = {t.name: t for t in report.tables}
    for name in SHOWN:
        t = by_name[name]
        for row in t.rows:
            for value, fmt in zip(row, t.formats, strict=True):
                if fmt != summary_tables.TEXT and not isinstance(value, str):
                    out.add(summary_tables.cell_text(value, fmt))
    for row in report.headline:  # the summary: "75,0%", "3/4", "53,3%–91,4%"
        out.add(row.rate.pct())
        if row.rate.denominator:
            out.add(row.rate.counts_text())
        if row.rate.interval:
            out.add(row.rate.interval_text())
    return out


def test_docx_has_the_decree_30_layout_and_every_figure_of_the_pdf(client, auth, january, app):
    auth.login("principal", school=january)
    response = export(client, period="2020-01", format="docx")
    assert response.status_code == 200
    assert response.mimetype == exports.MEDIA_TYPES["docx"]
    assert response.headers["Content-Disposition"].endswith("bao-cao-TEST-2020-01.docx")
    paragraphs, cells = docx_parts(response.data)
    text = "\n".join(paragraphs)
    # letterhead: parent body, school, nation and motto, number, place and date
    for line in (
        "ỦY BAN NHÂN DÂN PHƯỜNG CHÁNH HƯNG",
        "TRƯỜNG THCS THỬ NGHIỆM",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: ....../BC-TEST",
        "BÁO CÁO",
        "Kính gửi: Ủy ban nhân dân Phường Chánh Hưng",
        "HIỆU TRƯỞNG",
    ):
        assert line in paragraphs, line
    dated = [
        p
        for p in paragraphs
        if re.fullmatch(r"Phường Chánh Hưng, ngày \d\d tháng \d{1,2} năm \d{4}", p)
    ]
    assert len(dated) == 1, paragraphs[:12]
    # numbered sections, in order, and the narrative the principal edits
    headings = [p for p in paragraphs if re.match(r"[IVX]+\. ", p) and p == p.upper()]
    romans = [h.split(".")[0] for h in headings]
    assert romans == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"][: len(romans)]
    assert len(headings) >= 7 and headings[0] == "I. TÌNH HÌNH CHUNG"
    assert "tiếp nhận 7 hồ sơ" in text and "tỷ lệ hài lòng 75,0%" in text
    assert any(p.startswith("[Hiệu trưởng bổ sung") for p in paragraphs)
    # every figure the PDF prints is in a DOCX table cell, and in the PDF
    with app.test_request_context():
        report = summary_tables.build(january, JAN, True, AFTER)
        pdf = pdf_text(exports.write(report, "pdf"))
    figures = printed_figures(report)
    assert {"75,0%", "3/4", "57,1%", "4/7", "40,0%", "2/5"} <= figures
    missing = [f for f in figures if f not in cells]
    assert not missing, missing
    assert not [f for f in figures if f not in pdf]
    # one signature block in both: "Nơi nhận" with "Như trên", no caption under the title
    cells_text = " ".join(cells)
    for line in ("Nơi nhận:", "- Như trên;", "- Lưu: VT.", "HIỆU TRƯỞNG"):
        assert line in cells_text and line in pdf, line
    assert "(Ký, ghi rõ" not in cells_text + pdf
    # what the report sent upwards never carries
    assert HOSTILE not in text + " ".join(cells)
    assert "Theo cán bộ tiếp nhận" not in text


def test_docx_and_pdf_use_one_serif_font(app, january):
    with app.test_request_context():
        report = summary_tables.build(january, JAN, True, AFTER)
        docx_data, pdf_data = exports.write(report, "docx"), exports.write(report, "pdf")
    doc = Document(io.BytesIO(docx_data))
    names = {run.font.name for p in doc.paragraphs for run in p.runs if run.text.strip()}
    assert names == {"Times New Roman"}
    assert doc.styles["Normal"].font.name == "Times New Roman"
    fonts = set(re.findall(rb"/BaseFont /[A-Z]{6}\+([A-Za-z-]+)", pdf_data))
    text_fonts = {f for f in fonts if not f.startswith(b"DejaVuSans")}  # the charts' own
    assert text_fonts and all(f.startswith(b"LiberationSerif") for f in text_fonts), fonts


def test_cli_writes_the_docx(runner, january, tmp_path):
    out = tmp_path / "jan.docx"
    result = runner.invoke(
        args=["report", "monthly", "2020-01", "--format", "docx", "--output", str(out)]
        + ["--school", "TEST"]
    )
    assert result.exit_code == 0, result.output
    paragraphs, _cells = docx_parts(out.read_bytes())
    assert "BÁO CÁO" in paragraphs
    period = runner.invoke(
        args=["report", "period", "2020-Q1", "--format", "docx", "--output", str(tmp_path / "q")]
        + ["--school", "TEST"]
    )
    assert period.exit_code == 0, period.output
    paragraphs, _cells = docx_parts((tmp_path / "q").read_bytes())
    assert unicodedata.normalize("NFC", "Quý I/2020") in " ".join(paragraphs)
