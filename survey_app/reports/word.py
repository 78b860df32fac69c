"""The report as an editable Word document (DOCX), laid out as Decree 30/2020/NĐ-CP asks.

Appendix I of the decree: A4, margins 20-25 mm top and bottom, 30-35 mm left, 15-20 mm
right; the parent body and the school top left, the national title and motto top right;
number and symbol, place and date; the document's kind and summary; "Kính gửi"; the body in
numbered sections (I., II., ...); the signature block with the signer's title. The font is
the serif of `letterhead.SERIF`, 13-14 pt for the body. The principal edits the narrative
(the paragraphs in square brackets) before signing; every figure the PDF shows is here.
"""

from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import force_locale
from flask_babel import gettext as _

from survey_app.letterhead import (
    MOTTO,
    NATION,
    SERIF,
    date_line,
    issuer,
    report_number,
    signature_block,
)
from survey_app.reports import charts
from survey_app.reports.periods import cover_lines
from survey_app.reports.stats import pct
from survey_app.reports.summary_tables import (
    INT,
    NUM,
    PCT,
    Report,
    Table,
    cell_text,
    recipient,
)

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _font(run, size: float | None = None, bold=None, italic=None) -> None:
    run.font.name = SERIF
    # Word picks the font per script: name it for every script, Vietnamese included.
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), SERIF)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic


def _para(container, text: str = "", size=13, bold=False, italic=False, align=None, after=3):
    p = container.add_paragraph()
    if text:
        _font(p.add_run(text), size, bold, italic)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.space_before = Pt(0)
    return p


CENTER, RIGHT, JUSTIFY = (
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.RIGHT,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
)


def _borderless(table) -> None:
    borders = table._tbl.tblPr.first_child_found_in("w:tblBorders")
    if borders is not None:
        table._tbl.tblPr.remove(borders)


def _header(doc, report: Report) -> None:
    school = report.school
    grid = doc.add_table(rows=1, cols=2)
    _borderless(grid)
    _widths(grid, [6.5, WIDTH - 6.5])
    left, right = grid.rows[0].cells
    left.paragraphs[0].text = ""
    authority, name = issuer(school)
    if authority:
        _font(left.paragraphs[0].add_run(authority), 12)
        left.paragraphs[0].alignment = CENTER
        _para(left, name, 12, bold=True, align=CENTER)
    else:
        _font(left.paragraphs[0].add_run(name), 12, bold=True)
        left.paragraphs[0].alignment = CENTER
    _para(left, report_number(report.number, school), 13, align=CENTER)
    _font(right.paragraphs[0].add_run(NATION), 12, bold=True)
    right.paragraphs[0].alignment = CENTER
    motto = _para(right, MOTTO, 13, bold=True, align=CENTER)
    motto.runs[0].underline = True
    _para(
        right,
        date_line(report.made_on, school.address if school else None),
        13,
        italic=True,
        align=CENTER,
    )


WIDTH = 16.5  # cm between the margins


def _widths(grid, widths: list[float]) -> None:
    """Column widths in cm, for Word (the cells) and LibreOffice (the table's grid)."""
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _column_widths(table: Table) -> list[float]:
    n = len(table.headers)
    if n == 2:
        return [12.5, 4.0]
    if table.name == "aspects":
        return [6.0, 6.0, 2.0, 2.5]
    other = 1.55 if n > 6 else 2.2
    return [WIDTH - other * (n - 1)] + [other] * (n - 1)


def _grid(doc, table: Table, widths: list[float] | None = None) -> None:
    formats = table.formats or [""] * len(table.headers)
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = 10 if len(table.headers) > 5 else 11.5
    for cell, header, fmt in zip(grid.rows[0].cells, table.headers, formats, strict=False):
        cell.paragraphs[0].text = ""
        _font(cell.paragraphs[0].add_run(header), size, bold=True)
        cell.paragraphs[0].alignment = CENTER if fmt in (INT, NUM, PCT) else None
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value, fmt in zip(cells, row, formats, strict=False):
            cell.paragraphs[0].text = ""
            _font(cell.paragraphs[0].add_run(cell_text(value, fmt)), size)
            if fmt in (INT, NUM, PCT):
                cell.paragraphs[0].alignment = RIGHT
    _repeat_header(grid)
    _widths(grid, widths or _column_widths(table))
    _para(doc, table.note, 10.5, italic=True, after=8)  # also keeps two tables apart


def _row_flag(row, flag: str) -> None:
    """w:tblHeader (the row repeats on each page) or w:cantSplit (never cut across pages)."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(tr_pr.makeelement(qn(flag), {qn("w:val"): "true"}))


def _repeat_header(grid) -> None:
    _row_flag(grid.rows[0], "w:tblHeader")
    for row in grid.rows:
        _row_flag(row, "w:cantSplit")


def _summary(table: Table) -> Table:
    """The summary as the PDF shows it: rate, n, interval, target, verdict in one row."""
    rows = []
    for label, value, num, den, low, high, target, verdict in table.rows:
        interval = "" if low is None else f"{pct(low)}–{pct(high)}"
        rows.append([label, value, f"{num}/{den}", interval, target, verdict])
    headers = [
        table.headers[0],
        table.headers[1],
        _("Số phiếu"),
        _("Khoảng tin cậy 95%"),
        table.headers[6],
        table.headers[7],
    ]
    return Table(table.name, table.title, headers, rows, ["", PCT, "", "", "", ""], table.note)


SUMMARY_WIDTHS = [5.4, 1.8, 2.0, 3.1, 1.8, 2.4]


def _narrative(report: Report) -> list[str]:
    """The opening paragraph from the figures; the principal completes it in Word."""
    f = report.figures
    rate = {row.indicator.key: row.rate for row in report.headline}
    return [
        _(
            "Trong kỳ báo cáo, bộ phận một cửa của nhà trường tiếp nhận %(received)d hồ sơ, "
            "đã giải quyết (trả kết quả) %(returned)d hồ sơ, tỷ lệ giải quyết đúng hạn "
            "%(on_time)s; %(surveyed)d hồ sơ được phụ huynh đánh giá (tỷ lệ khảo sát "
            "%(coverage)s), tỷ lệ hài lòng %(satisfaction)s. Nhà trường nhận %(cases)d phản "
            "ánh, kiến nghị mới, đã giải quyết %(resolved)d.",
            received=f.intake.received,
            returned=f.returns.returned,
            on_time=rate["on_time"].pct(),
            surveyed=f.intake.surveyed,
            coverage=rate["coverage"].pct(),
            satisfaction=rate["satisfaction"].pct(),
            cases=f.cases.opened,
            resolved=f.cases.resolved,
        ),
        _("[Hiệu trưởng bổ sung nhận xét: kết quả nổi bật, hạn chế và nguyên nhân.]"),
    ]


def _chart(doc, report: Report, name: str, caption: str) -> None:
    png = charts.image(name, report.figures, report.targets)  # from the report's figures
    doc.add_picture(BytesIO(png), width=Cm(15))
    doc.paragraphs[-1].alignment = CENTER
    _para(doc, caption, 11, italic=True, align=CENTER, after=8)


def _sections(report: Report) -> list[tuple[str, list]]:
    """(heading, [Table | ("chart", name, caption) | str]) in the PDF's order."""
    t = {table.name: table for table in report.tables}
    out: list[tuple[str, list]] = [(_("Tình hình chung"), _narrative(report))]
    if "filed" in t:
        out.append((t["filed"].title, [t["filed"]]))
    out.append((t["summary"].title, [_summary(t["summary"])]))
    out.append((_("Tình hình tiếp nhận và giải quyết hồ sơ"), [t["counts"], t["onestop"]]))
    out.append((_("Biểu đồ"), [("chart", name, caption) for name, caption in charts.captions()]))
    out.append((_("Ý kiến của phụ huynh"), [t["aspects"], t["reasons"]]))
    out.append((t["cases"].title, [t["cases"]]))
    if "provenance" in t:  # self-service, assisted, looking assisted: no clerk named
        out.append((t["provenance"].title, [t["provenance"]]))
    # Never the per-clerk table: the signed report goes to the office.
    for name in ("by_procedure", "by_month", "by_school"):
        if name in t:
            out.append((t[name].title, [t[name]]))
    out.append(
        (
            _("Đề xuất, kiến nghị"),
            [_("[Hiệu trưởng ghi đề xuất, kiến nghị với cơ quan quản lý cấp trên (nếu có).]")],
        )
    )
    return out


def _signature(doc, report: Report) -> None:
    grid = doc.add_table(rows=1, cols=2)
    _borderless(grid)
    _widths(grid, [7.5, WIDTH - 7.5])
    _row_flag(grid.rows[0], "w:cantSplit")  # the signature block stays on one page
    left, right = grid.rows[0].cells
    left.paragraphs[0].text = ""
    title, recipients = signature_block(report.school)
    _font(left.paragraphs[0].add_run(_("Nơi nhận:")), 12, bold=True, italic=True)
    for line in recipients:
        _para(left, line, 11, after=0)
    right.paragraphs[0].text = ""
    _font(right.paragraphs[0].add_run(title), 13, bold=True)
    right.paragraphs[0].alignment = CENTER
    _para(right, "", 12, align=CENTER, after=60)  # the signature and the seal
    _para(right, report.principal_name, 13, bold=True, align=CENTER)


def write_docx(report: Report) -> bytes:
    """The DOCX, always in Vietnamese (the office reads the Vietnamese original)."""
    with force_locale("vi"):
        doc = Document()
        section = doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin = section.bottom_margin = Cm(2)
        section.left_margin, section.right_margin = Cm(3), Cm(1.5)
        normal = doc.styles["Normal"]
        normal.font.name, normal.font.size = SERIF, Pt(13)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), SERIF)
        doc.core_properties.title = f"Báo cáo {report.period.key}"
        doc.core_properties.author = "Hài Lòng"
        _header(doc, report)
        _para(doc, "", after=6)
        _para(doc, _("BÁO CÁO"), 14, bold=True, align=CENTER, after=0)
        _para(
            doc,
            _("Kết quả khảo sát sự hài lòng của phụ huynh và giải quyết thủ tục hành chính"),
            14,
            bold=True,
            align=CENTER,
            after=0,
        )
        _para(doc, report.period.heading(), 13, align=CENTER, after=0)
        for line in cover_lines(report.period, report.made_on):  # window, due, provisional
            _para(doc, line, 13, align=CENTER, after=0)
        _para(doc, _("Kính gửi: %(to)s", to=recipient(report)), 14, align=CENTER, after=12)
        for n, (heading, parts) in enumerate(_sections(report)):
            head = _para(doc, f"{ROMAN[n]}. {heading.upper()}", 13, bold=True, after=4)
            head.paragraph_format.keep_with_next = True
            tables = [part for part in parts if isinstance(part, Table)]
            for part in parts:
                if isinstance(part, Table):
                    if len(tables) > 1:  # each its own title: "1. Số lượng"
                        number = tables.index(part) + 1
                        title = _para(doc, f"{number}. {part.title}", 13, bold=True, italic=True)
                        title.paragraph_format.keep_with_next = True
                    widths = SUMMARY_WIDTHS if part.name == "summary" else None
                    _grid(doc, part, widths)
                elif isinstance(part, tuple):
                    _chart(doc, report, part[1], part[2])
                else:
                    p = _para(doc, part, 13, italic=part.startswith("["), align=JUSTIFY, after=6)
                    p.paragraph_format.first_line_indent = Cm(1)
        # never a signature alone on its page: the last section goes with it
        for p in doc.paragraphs[-2:]:
            p.paragraph_format.keep_with_next = True
        _para(doc, "", after=6).paragraph_format.keep_with_next = True
        _signature(doc, report)
        buf = BytesIO()
        doc.save(buf)
    return buf.getvalue()
