"""The one-stop desk's printed forms: their number, title and source, in one place.

Decree 118/2025/NĐ-CP (the one-stop mechanism, in force 1/7/2025, replacing Decree
61/2018/NĐ-CP) leaves the forms to the Government Office's implementing circular. The
numbering below is that of Appendix I of Circular 03/2025/TT-VPCP as a secondary source
lists it; the circular's own text could not be read here (docs/forms.md says what was and
was not verified). The titles are those of the 2018 set (Circular 01/2018/TT-VPCP, forms
01–06), which the secondary source repeats, except where docs/forms.md notes otherwise.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

CIRCULAR = "Thông tư số 03/2025/TT-VPCP"  # implementing Decree 118/2025/NĐ-CP


@dataclass(frozen=True)
class OfficialForm:
    number: str  # "Mẫu số" in the circular's appendix
    title: object  # lazy msgid: the printed title, upper case as the form prints it
    suffix: str  # the document number's suffix on the paper (Số: <code>/<suffix>)

    @property
    def source(self) -> str:
        return f"Mẫu số {self.number}, Phụ lục I, {CIRCULAR}"


RECEIPT = OfficialForm("01", _l("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"), "TN")
SUPPLEMENT = OfficialForm("02", _l("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"), "BS")
REFUSAL = OfficialForm("03", _l("PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ"), "TC")
# Circular 01/2018's form 04 title; the secondary source names the 2025 form 04 "Văn bản xin
# lỗi và đề nghị gia hạn thời gian giải quyết" (unverified; see docs/forms.md).
APOLOGY = OfficialForm("04", _l("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"), "XL")
CONTROL = OfficialForm("06", _l("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"), "KS")
BOOK = OfficialForm("07", _l("SỔ THEO DÕI HỒ SƠ"), "")
