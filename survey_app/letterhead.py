"""The administrative letterhead shared by the printed papers, the PDF and the DOCX reports.

The layout is Decree 30/2020/NĐ-CP on clerical work, Appendix I (the format and presentation
of administrative documents): the issuing body under its parent body at the top left, the
national title and motto at the top right, the number and symbol, then the place and date.
"""

import functools
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# Appendix I asks for a Vietnamese Unicode font (TCVN 6909:2001): Times New Roman where Word
# has it; Liberation Serif, its metric twin with every Vietnamese letter (Debian's
# fonts-liberation2), is what the PDF embeds and what LibreOffice and Chromium put in its place.
SERIF = "Times New Roman"
SERIF_EMBEDDED = "Liberation Serif"
# The lowest administrative units (since 1/7/2025: communes, wards and special zones directly
# under the provinces and cities); a school's date line names the one it stands in.
_LOCAL_UNITS = ("phường", "xã", "đặc khu", "thị trấn")


def issuer(school) -> tuple[str, str]:
    """The report's issuing body under its parent body, as the letterhead prints them (upper
    case; the parent body "" when unknown). For all schools: the office that runs the site,
    DESK_NAME, where it is configured."""
    if school is not None:
        return (school.authority or "").upper(), (school.name or "").upper()
    return "", (current_app.config.get("DESK_NAME") or _("Tổng hợp các trường")).upper()


def report_number(number: str | None, school) -> str:
    """ "Số: 12/BC-THCS-CH", or "Số: ....../BC" with the number left to fill in (and no
    school's code for a report of all schools)."""
    n = number or "......"
    if school is None:
        return _("Số: %(n)s/BC", n=n)
    return _("Số: %(n)s/BC-%(code)s", n=n, code=school.code)


def signature_block(school) -> tuple[str, list[str]]:
    """The signer's title and the "Nơi nhận" lines of a report, the same in the PDF and the
    DOCX (Decree 30/2020/NĐ-CP, Appendix I: the addressee already named in "Kính gửi" is
    "Như trên", then the copy kept by the records office). No caption under the title:
    the signature, the seal and the name follow it."""
    title = _("HIỆU TRƯỞNG") if school else _("THỦ TRƯỞNG ĐƠN VỊ")
    return title, [_("- Như trên;"), _("- Lưu: VT.")]


def in_vietnamese(view):
    """A view of a printed paper renders it in Vietnamese, whatever language the staff
    member reads the app in: Vietnamese is the official language of a school (Law on
    Education 43/2019/QH14, Art. 11(1)), and the papers are its documents. (The reports'
    PDF and DOCX do the same, in reports/exports.py.)"""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with force_locale("vi"):
            return view(*args, **kwargs)

    return wrapper


def place_name(address: str | None) -> str:
    """The place on the date line: the ward or commune in the address, else its last part.

    Appendix I, "Địa danh và thời gian ban hành văn bản": the administrative unit where the
    body has its seat ("12 Phạm Thế Hiển, Phường Chánh Hưng, TP. Hồ Chí Minh" gives
    "Phường Chánh Hưng").
    """
    parts = [p.strip() for p in (address or "").split(",") if p.strip()]
    for part in parts:
        if part.lower().startswith(_LOCAL_UNITS):
            return part
    return parts[-1] if parts else ""


def day_month(d: date) -> tuple[str, str]:
    """Day and month as Appendix I writes them: a zero before days under 10 and months 1, 2
    ("ngày 04 tháng 02", "ngày 15 tháng 3")."""
    day = f"{d.day:02d}"
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return day, month


def date_line(d: date, address: str | None = None) -> str:
    """ "Phường Chánh Hưng, ngày 04 tháng 12 năm 2026" (the place only when the address has one)."""
    day, month = day_month(d)
    text = _("ngày %(d)s tháng %(m)s năm %(y)s", d=day, m=month, y=d.year)
    place = place_name(address)
    return f"{place}, {text}" if place else text
