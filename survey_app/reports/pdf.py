"""The report as a PDF in the administrative format (Decree 30/2020), in the serif font the
DOCX names (Liberation Serif embedded; the charts keep DejaVu Sans, pdf_charts.py).

Every piece of text reaches reportlab through `para()`, which escapes it: reportlab reads
Paragraph text as markup, so an unescaped `<img src="http://...">` in a school name, a
procedure name or a report number would fetch that URL while the PDF is built.
"""

import os
from io import BytesIO
from xml.sax.saxutils import escape

from flask_babel import force_locale
from flask_babel import gettext as _
from matplotlib import font_manager, get_data_path
from matplotlib.font_manager import get_font
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from survey_app.letterhead import (
    MOTTO,
    NATION,
    SERIF_EMBEDDED,
    date_line,
    issuer,
    report_number,
    signature_block,
)
from survey_app.reports import charts, pdf_charts
from survey_app.reports.periods import cover_lines
from survey_app.reports.stats import pct
from survey_app.reports.summary_tables import INT, PCT, TEXT, Report, cell_text, recipient
from survey_app.reports.summary_tables import Table as DataTable

FONT, BOLD, ITALIC = "Serif", "Serif-Bold", "Serif-Italic"


# Every letter Vietnamese adds to ASCII, capital and small (Unicode's Latin Extended
# Additional block, U+1EA0..U+1EF9, and the seven base letters).
VIETNAMESE = {ord(c) for c in "ĂÂĐÊÔƠƯăâđêôơư"} | set(range(0x1EA0, 0x1EFA))


def serif_file(style: str) -> str:
    """The installed file of the letterhead's serif in `style` ("Regular", "Bold",
    "Italic") with every Vietnamese letter: Liberation Serif 1.x, which Debian still
    installs beside 2.x, lacks most of them."""
    stem = SERIF_EMBEDDED.replace(" ", "")  # files are named after their family: cheap first
    for path in sorted(font_manager.findSystemFonts(fontext="ttf")):
        if stem not in os.path.basename(path):
            continue
        font = get_font(path)
        named = (font.family_name, font.style_name) == (SERIF_EMBEDDED, style)
        if named and set(font.get_charmap()) >= VIETNAMESE:
            return path
    raise LookupError(f"{SERIF_EMBEDDED} {style} with every Vietnamese letter")


def register_fonts() -> None:
    """The letterhead's serif and the charts' DejaVu Sans (the copy matplotlib ships)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    dejavu = os.path.join(get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
    pdfmetrics.registerFont(TTFont(pdf_charts.FONT, dejavu))
    for name, style in ((FONT, "Regular"), (BOLD, "Bold"), (ITALIC, "Italic")):
        pdfmetrics.registerFont(TTFont(name, serif_file(style)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


# Binary (zlib) streams, not ASCII85 on top: every PDF reader reads them, the file is smaller,
# and reportlab's pure-Python ASCII85 encoder was a tenth of each report's time.
rl_config.useA85 = 0


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=13)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("num", parent=base, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "head_num": ParagraphStyle(
            "head_num", parent=base, fontName=BOLD, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "italic": ParagraphStyle("italic", parent=base, fontName=ITALIC, alignment=TA_CENTER),
        "caption": ParagraphStyle(
            "caption",
            parent=base,
            fontSize=9,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#555555"),
            spaceAfter=8,
        ),
        "center_bold": ParagraphStyle("cb", parent=base, fontName=BOLD, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=BOLD,
            fontSize=14,
            leading=18,
            alignment=TA_CENTER,
            spaceBefore=12,
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4
        ),
    }


def para(text, style: ParagraphStyle, bold: bool = False) -> Paragraph:
    """A Paragraph of plain text: escaped, so markup in the data is printed, never obeyed."""
    text = escape(str(text)).replace("\n", "<br/>")
    return Paragraph(f"<b>{text}</b>" if bold else text, style)


def _grid(table: DataTable, st, widths: list[float] | None = None) -> Table:
    formats = table.formats or [""] * len(table.headers)
    right = [f in (INT, PCT) for f in formats]
    data = [
        [
            para(h, st["head_num" if r else "head"])
            for h, r in zip(table.headers, right, strict=True)
        ]
    ]
    for row in table.rows:
        data.append(
            [
                para(cell_text(v, f), st["num" if r else "cell"])
                for v, f, r in zip(row, formats, right, strict=True)
            ]
        )
    grid = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return grid


def _header(report: Report, st) -> Table:
    school = report.school
    authority, name = issuer(school)
    left = [para(authority, st["center"])] if authority else []
    left.append(para(name, st["center_bold"]))
    left.append(para(report_number(report.number, school), st["center"]))
    right = [
        para(NATION, st["center_bold"]),
        para(MOTTO, st["center_bold"]),
        para(date_line(report.made_on, school.address if school else None), st["italic"]),
    ]
    table = Table([[left, right]], colWidths=[7.5 * cm, 9.5 * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _tables_by_name(report: Report) -> dict[str, DataTable]:
    return {t.name: t for t in report.tables}


def _story(report: Report, st) -> list:
    tables = _tables_by_name(report)
    period = report.period
    story = [
        _header(report, st),
        para(_("BÁO CÁO"), st["title"]),
        para(
            _("Kết quả khảo sát sự hài lòng của phụ huynh và giải quyết thủ tục hành chính"),
            st["center_bold"],
        ),
        para(period.heading(), st["center"]),
        *(para(line, st["center"]) for line in cover_lines(period, report.made_on)),
        Spacer(1, 6),
        para(_("Kính gửi: %(to)s", to=recipient(report)), st["center"]),
        Spacer(1, 8),
    ]
    n = 1
    if "filed" in tables:
        story += [
            para(f"{n}. {tables['filed'].title}", st["h2"]),
            _grid(tables["filed"], st, [7 * cm, 3.5 * cm, 3.5 * cm, 3 * cm]),
            para(tables["filed"].note, st["small"]),
        ]
        n += 1
    summary = tables["summary"]
    story += [
        para(f"{n}. {summary.title}", st["h2"]),
        _summary_grid(summary, st),
        para(summary.note, st["small"]),
    ]
    n += 1
    for name in ("counts", "onestop"):
        t = tables[name]
        story += [para(f"{n}. {t.title}", st["h2"]), _grid(t, st, [13 * cm, 4 * cm])]
        n += 1
    story.append(para(f"{n}. {_('Biểu đồ')}", st["h2"]))
    for name, caption in charts.captions():  # drawn from the report's own figures
        data = charts.data(name, report.figures, report.targets)
        chart = pdf_charts.drawing(name, data, 15 * cm)
        story.append(KeepTogether([chart, para(caption, st["caption"])]))
    n += 1
    t = tables["aspects"]
    story += [
        para(f"{n}. {t.title}", st["h2"]),
        _grid(t, st, [6 * cm, 6.5 * cm, 2 * cm, 2.5 * cm]),
    ]
    n += 1
    for name in ("reasons", "cases"):
        t = tables[name]
        story += [para(f"{n}. {t.title}", st["h2"]), _grid(t, st, [13 * cm, 4 * cm])]
        n += 1
    for name in ("provenance", "national"):  # no clerk named in either
        if name not in tables:
            continue
        t = tables[name]
        widths = [7 * cm] + [2 * cm] * 5
        story += [
            para(f"{n}. {t.title}", st["h2"]),
            _grid(t, st, widths),
            para(t.note, st["small"]),
        ]
        n += 1
    # The signed report goes to the office: never the per-clerk table (the principal's only).
    for name in ("by_procedure", "by_month", "by_school"):
        if name in tables:
            t = tables[name]
            widths = [4.2 * cm] + [1.6 * cm] * 8  # 17 cm: the frame's width
            story += [
                para(f"{n}. {t.title}", st["h2"]),
                _grid(t, st, widths),
                para(t.note, st["small"]),
            ]
            n += 1
    # Never a signature alone on its page: the last section (title, table, note) stays with it.
    last = story[-3:]
    del story[-3:]
    story.append(KeepTogether([*last, *_signature(report, st)]))
    return story


def _summary_grid(summary: DataTable, st) -> Table:
    """Figures against targets: rate, counts and the interval in one cell each."""
    rows = []
    for label, value, num, den, low, high, target, verdict in summary.rows:
        interval = "" if low is None else f"{pct(low)}–{pct(high)}"
        rows.append([label, pct(value), f"{num}/{den}", interval, target, verdict])
    compact = DataTable(
        "summary",
        summary.title,
        [
            summary.headers[0],
            summary.headers[1],
            _("Số phiếu"),
            _("Khoảng tin cậy 95%"),
            summary.headers[6],
            summary.headers[7],
        ],
        rows,
        [TEXT, PCT, INT, INT, TEXT, TEXT],
    )
    return _grid(compact, st, [6 * cm, 1.9 * cm, 2 * cm, 3.1 * cm, 1.7 * cm, 2.3 * cm])


def _signature(report: Report, st) -> list:
    title, recipients = signature_block(report.school)
    left = [
        para(_("Nơi nhận:"), st["small"], bold=True),
        *(para(line, st["small"]) for line in recipients),
    ]
    right = [
        para(title, st["center_bold"]),
        Spacer(1, 50),
        para(report.principal_name, st["center_bold"]),
    ]
    table = Table([[left, right]], colWidths=[8 * cm, 9 * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(1, 16), table]


def write_pdf(report: Report) -> bytes:
    """The PDF, always in Vietnamese (the office reads the Vietnamese original)."""
    register_fonts()
    buf = BytesIO()
    with force_locale("vi"):
        st = _styles()
        doc = SimpleDocTemplate(
            buf,
            pagesize=A4,
            leftMargin=2.5 * cm,
            rightMargin=1.5 * cm,
            topMargin=1.5 * cm,
            bottomMargin=1.5 * cm,
            title=f"Báo cáo {report.period.key}",
            author="Hài Lòng",
        )
        doc.build(_story(report, st))
    return buf.getvalue()
