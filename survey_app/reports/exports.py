"""CSV and XLSX writers for a report's tables (the PDF lives in pdf.py, the DOCX in word.py).

Every text cell is cleaned (NUL and other control characters dropped) and neutralised: a
cell starting with = + - @ TAB or CR gets a leading apostrophe, so no spreadsheet ever
reads it as a formula (LimeSurvey CVE-2019-16184). XLSX cells are values, never formulas:
numbers as numbers (shares with a percentage format), dates and times as dates with the
dd/mm/yyyy format a Vietnamese office reads; each sheet has a Vietnamese name, its header
row frozen, a filter and column widths.
"""

import csv
import io
import re
from contextlib import nullcontext
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import force_locale
from flask_babel import gettext as _

from survey_app.reports import row_sheets
from survey_app.reports.periods import cover_lines
from survey_app.reports.stats import DASH, pct
from survey_app.reports.summary_tables import NUM, PCT, Report, Table, build

if TYPE_CHECKING:
    from openpyxl.cell import Cell

SUMMARY_ONLY = {
    "summary",
    "counts",
    "onestop",
    "cases",
    "filed",
    "national",
}  # small: summary sheet only
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # what Excel refuses in a sheet name
DATE_FORMAT, DATETIME_FORMAT = "dd/mm/yyyy", "dd/mm/yyyy hh:mm"
MAX_WIDTH = 60  # characters: a long comment wraps in its cell instead
MEDIA_TYPES = {
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8" to text/* (once)
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


def neutralise(text: str) -> str:
    """A free-text cell that no spreadsheet evaluates."""
    text = clean(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def sheets_for(report: Report) -> list[Table]:
    """The figure tables, plus the row-level sheets when the report may carry personal data."""
    tables = list(report.tables)
    if report.personal and report.school is not None:
        school_id, period = report.school.id, report.period
        tables += [
            row_sheets.dossiers(school_id, period),
            row_sheets.responses(school_id, period),
            row_sheets.cases(school_id, period),
        ]
    return tables


def _csv_cell(value, fmt: str):
    if value is None:
        return DASH
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if fmt == PCT:
        return pct(value)
    return value


def write_csv(report: Report) -> bytes:
    """UTF-8 with BOM (Excel), RFC 4180 quoting and CRLF; one section per table."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    tables = list(report.tables)
    if report.personal and report.school is not None:
        tables.append(row_sheets.responses(report.school.id, report.period))
    writer.writerow([neutralise(_heading(report))])
    for line in cover_lines(report.period, report.made_on):
        writer.writerow([neutralise(line)])
    for table in tables:
        writer.writerow([])
        writer.writerow([neutralise(table.title)])
        writer.writerow([neutralise(h) for h in table.headers])
        formats = table.formats or [""] * len(table.headers)
        for row in table.rows:
            writer.writerow([_csv_cell(v, f) for v, f in zip(row, formats, strict=False)])
        if table.note:
            writer.writerow([neutralise(table.note)])
    return out.getvalue().encode("utf-8-sig")


def _heading(report: Report) -> str:
    name = report.school.name if report.school else _("Tất cả các trường")
    return f"{name} – {report.period.heading()}"


def _xlsx_cell(ws, value, fmt: str, bold: bool = False) -> "Cell":
    from openpyxl.cell import WriteOnlyCell  # loaded by write_xlsx: a dictionary look-up

    if value is None:
        value = DASH
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=neutralise(value))
        cell.data_type = "s"  # a string, whatever it looks like
    else:
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        elif fmt == PCT:
            cell.number_format = "0.0%"
        elif fmt == NUM or isinstance(value, float):
            cell.number_format = "0.0"
    if bold:
        from openpyxl.styles import Font

        cell.font = Font(bold=True)
    return cell


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no [ ] : * ? / \\, at most 31 characters."""
    base = _SHEET_FORBIDDEN.sub(" ", clean(name)).strip(" '")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _shown_width(value, fmt: str) -> int:
    """About how many characters a cell shows, for the column's width."""
    if value is None:
        return 1
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if fmt == PCT:
        return 6
    return max((len(line) for line in str(value).split("\n")), default=0)


def _widths(table: Table, first_width: int | None = None) -> list[float]:
    formats = table.formats or [""] * len(table.headers)
    widths: list[float] = []
    for i, header in enumerate(table.headers):
        fmt = formats[i] if i < len(formats) else ""
        longest = max(
            [min(len(header), 24)] + [_shown_width(row[i], fmt) for row in table.rows[:500]]
        )
        widths.append(min(MAX_WIDTH, max(8, longest + 2)))
    if first_width:
        widths[0] = max(widths[0], first_width)
    return widths


def write_xlsx(report: Report) -> bytes:
    """A workbook: the figures on a summary sheet, then one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    taken: set[str] = set()
    summary = wb.create_sheet(sheet_name(_("Tổng hợp"), taken))
    summary.column_dimensions["A"].width = 62
    for column in range(2, 10):
        summary.column_dimensions[get_column_letter(column)].width = 14
    summary.freeze_panes = "A2"  # the heading (school and period) stays in view
    summary.append([_xlsx_cell(summary, _heading(report), "", bold=True)])
    for line in cover_lines(report.period, report.made_on):
        summary.append([_xlsx_cell(summary, line, "")])
    for table in report.tables:
        _append_table(summary, table)
    own_sheets = [t for t in report.tables if t.name not in SUMMARY_ONLY]
    for table in own_sheets + sheets_for(report)[len(report.tables) :]:
        ws = wb.create_sheet(sheet_name(table.sheet or table.title, taken))
        for column, width in enumerate(_widths(table), start=1):
            ws.column_dimensions[get_column_letter(column)].width = width
        ws.freeze_panes = "A2"  # the header row
        last = get_column_letter(len(table.headers))
        ws.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
        _append_table(ws, table, title=False)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _append_table(ws, table: Table, title: bool = True) -> None:
    from openpyxl.styles import Alignment

    if title:
        ws.append([])
        ws.append([_xlsx_cell(ws, table.title, "", bold=True)])
    header = []
    for h in table.headers:
        cell = _xlsx_cell(ws, h, "", bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    formats = table.formats or [""] * len(table.headers)
    for row in table.rows:
        ws.append([_xlsx_cell(ws, v, f) for v, f in zip(row, formats, strict=False)])
    if table.note:
        note = _xlsx_cell(ws, table.note, "")
        note.alignment = Alignment(wrap_text=False)
        ws.append([note])


FORMATS = ("csv", "xlsx", "pdf", "docx")


def export(school, period, personal: bool, fmt: str, today=None) -> tuple[bytes, str, str]:
    """(content, file name, media type) of a report; PDF and DOCX always in Vietnamese."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    with force_locale("vi") if fmt in ("pdf", "docx") else nullcontext():
        report = build(school, period, personal, today)
        return write(report, fmt), filename(report, fmt), MEDIA_TYPES[fmt]


def write(report: Report, fmt: str) -> bytes:
    if fmt == "csv":
        return write_csv(report)
    if fmt == "xlsx":
        return write_xlsx(report)
    if fmt == "pdf":
        from survey_app.reports.pdf import write_pdf

        return write_pdf(report)
    if fmt == "docx":
        from survey_app.reports.word import write_docx

        return write_docx(report)
    raise ValueError(fmt)


def filename(report: Report, fmt: str) -> str:
    """Built by the server from validated parts only: `bao-cao-DEMO-2020-01.pdf`."""
    scope = re.sub(r"[^A-Za-z0-9-]", "", report.school.code)[:20] if report.school else "tat-ca"
    period = re.sub(r"[^0-9A-Za-z-]", "_", report.period.key.replace("..", "_"))
    return f"bao-cao-{scope or 'truong'}-{period}.{fmt}"
