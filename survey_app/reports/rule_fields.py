"""How each dated rule (dated_rules.DEFAULTS) is edited on the settings page: its label, its group,
its form field, how a typed value becomes the stored one and how a stored one is shown.

Keys that have no entry in RULES (added to DEFAULTS later) still get an editor, chosen by the
type of their default value, and are labelled with their key until they get a label here.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from survey_app.dated_rules import DEFAULTS
from survey_app.reports.forms import format_due_dates, parse_due_dates
from survey_app.reports.stats import pct
from survey_app.survey.provenance import parse_networks


@dataclass(frozen=True)
class Kind:
    """One way of editing a value: the field, and the conversions both ways."""

    make: Callable[[Any], Any]  # label -> unbound WTForms field
    to_form: Callable[[Any], Any]  # stored value -> what the field shows
    parse: Callable[[Any], Any]  # the field's data -> stored value (ValueError: refused)
    show: Callable[[Any], str] = str  # stored value -> text in the history


def _refuse(message) -> NoReturn:
    raise ValueError(str(message))


def _percent_value(data) -> float:
    return float(data) / 100


class PercentField(DecimalField):
    """A percentage: no ".0" on a whole number ("90", "97.5", which the browser's number
    input shows with the reader's decimal sign), and a decimal comma taken as well as a
    point from a form sent without the browser's input."""

    def process_formdata(self, valuelist):
        super().process_formdata([str(v).replace(",", ".", 1) for v in valuelist])

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(Decimal(self.data).normalize(), "f")


PERCENT = Kind(
    make=lambda label: PercentField(
        label, places=1, validators=[InputRequired(), NumberRange(min=0, max=100)]
    ),
    to_form=lambda v: (Decimal(str(v)) * 100).quantize(Decimal("0.1")),
    parse=_percent_value,
    show=lambda v: pct(float(v)),
)


def whole(low: int, high: int) -> Kind:
    def parse(data):
        text = str(data if data is not None else "").strip()
        if not re.fullmatch(r"\d{1,9}", text) or not low <= int(text) <= high:
            _refuse(_l("Nhập một số nguyên từ %(low)d đến %(high)d.", low=low, high=high))
        return int(text)

    return Kind(
        make=lambda label: StringField(label, validators=[InputRequired(), Length(max=12)]),
        to_form=str,
        parse=parse,
    )


def _time(data) -> str:
    m = re.fullmatch(r"(\d{1,2})[:hg](\d{2})", (data or "").strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        _refuse(_l("Nhập giờ dạng HH:MM, ví dụ 16:30."))
    return f"{int(m.group(1)):02d}:{m.group(2)}"


TIME = Kind(
    make=lambda label: StringField(label, validators=[InputRequired(), Length(max=5)]),
    to_form=str,
    parse=_time,
)


def _hours(data) -> list[list[str]]:
    """ "07:30-11:30, 13:30-17:00" -> [["07:30", "11:30"], ["13:30", "17:00"]], in order."""
    spans = []
    for part in _items(data):
        ends = [p.strip() for p in re.split(r"\s*[-–]\s*", part)]
        if len(ends) != 2:
            _refuse(_l("Nhập các buổi dạng 07:30-11:30, 13:30-17:00."))
        spans.append([_time(ends[0]), _time(ends[1])])
    flat = [t for span in spans for t in span]
    if not spans or flat != sorted(flat) or any(a == b for a, b in spans):
        _refuse(_l("Các buổi phải theo thứ tự trong ngày, giờ mở trước giờ đóng."))
    return spans


HOURS = Kind(
    make=lambda label: StringField(label, validators=[InputRequired(), Length(max=100)]),
    to_form=lambda v: ", ".join(f"{a}-{b}" for a, b in v),
    parse=_hours,
    show=lambda v: ", ".join(f"{a}–{b}" for a, b in v),
)


def _months(data) -> list[int]:
    parts = _items(data)
    if not parts or not all(re.fullmatch(r"\d{1,2}", p) for p in parts):
        _refuse(_l("Nhập các số tháng, ví dụ 3, 6, 9, 12."))
    months = [int(p) for p in parts]
    if months != sorted(set(months)) or not all(1 <= m <= 12 for m in months):
        _refuse(_l("Các số tháng từ 1 đến 12, tăng dần."))
    return months


MONTHS = Kind(
    make=lambda label: StringField(label, validators=[InputRequired(), Length(max=40)]),
    to_form=lambda v: ", ".join(map(str, v)),
    parse=_months,
    show=lambda v: ", ".join(map(str, v)),
)


def _day_of_year(data) -> str:
    parsed = parse_due_dates(data or "")
    if parsed is None or len(parsed) != 1:
        _refuse(_l("Nhập một ngày dạng ngày/tháng, ví dụ 01/11."))
    return parsed[0]


DAY_OF_YEAR = Kind(
    make=lambda label: StringField(label, validators=[InputRequired(), Length(max=10)]),
    to_form=lambda v: format_due_dates([v]),
    parse=_day_of_year,
    show=lambda v: format_due_dates([v]),
)


def choice(options: dict) -> Kind:
    """One of a few values, each with its label."""

    def parse(data):
        if data not in options:
            _refuse(_l("Lựa chọn không hợp lệ."))
        return data

    return Kind(
        make=lambda label: SelectField(label, choices=list(options.items())),
        to_form=str,
        parse=parse,
        show=lambda v: str(options.get(v, v)),
    )


def _phone(data) -> str:
    text = (data or "").strip()
    if text and not re.fullmatch(r"\+?[0-9][0-9 .-]{5,18}", text):
        _refuse(_l("Số điện thoại không hợp lệ."))
    return text


PHONE = Kind(
    make=lambda label: StringField(label, validators=[Length(max=20)]),
    to_form=str,
    parse=_phone,
    show=lambda v: v or "—",
)


def _due_dates(data) -> list[str]:
    parsed = parse_due_dates(data or "")
    if parsed is None:
        _refuse(_l("Nhập các ngày dạng 15/02, 15/05, 15/08, 10/11."))
    return parsed


DUE_DATES = Kind(
    make=lambda label: StringField(label, validators=[InputRequired(), Length(max=100)]),
    to_form=format_due_dates,
    parse=_due_dates,
    show=format_due_dates,
)


def _items(data) -> list[str]:
    return [p.strip() for p in re.split(r"[,\n;]", data or "") if p.strip()]


def _networks(data) -> list[str]:
    parsed = parse_networks(data or "")
    if parsed is None:
        _refuse(_l("Dải địa chỉ không hợp lệ: nhập dạng 203.0.113.0/24 hoặc 2001:db8:1:2::/64."))
    return parsed


def _list_kind(parse_items) -> Kind:
    return Kind(
        make=lambda label: TextAreaField(label, validators=[Length(max=2000)]),
        to_form=lambda v: ", ".join(map(str, v)),
        parse=parse_items,
        show=lambda v: ", ".join(map(str, v)) or "—",
    )


NETWORKS = Kind(
    make=lambda label: TextAreaField(label, validators=[Length(max=2000)]),
    to_form="\n".join,
    parse=_networks,
    show=lambda v: ", ".join(v) or "—",
)
TEXT_LIST = _list_kind(_items)


def _number(data) -> float:
    try:
        return float(Decimal(str(data).strip().replace(",", ".")))
    except (InvalidOperation, ValueError):
        _refuse(_l("Cần nhập một số."))


NUMBER = Kind(
    make=lambda label: StringField(label, validators=[InputRequired(), Length(max=30)]),
    to_form=str,
    parse=_number,
)
TEXT = Kind(
    make=lambda label: StringField(label, validators=[Length(max=200)]),
    to_form=str,
    parse=lambda data: (data or "").strip(),
)
SWITCH = Kind(
    make=lambda label: BooleanField(label),
    to_form=bool,
    parse=bool,
    show=lambda v: str(_l("Có") if v else _l("Không")),
)


def _json_kind(default) -> Kind:
    def parse(data):
        try:
            value = json.loads(data or "")
        except ValueError:
            _refuse(_l("Giá trị phải viết theo dạng JSON."))
        if type(value) is not type(default):
            _refuse(_l("Giá trị phải cùng dạng với giá trị mặc định."))
        return value

    return Kind(
        make=lambda label: TextAreaField(label, validators=[Length(max=4000)]),
        to_form=lambda v: json.dumps(v, ensure_ascii=False),
        parse=parse,
        show=lambda v: json.dumps(v, ensure_ascii=False),
    )


def kind_for_default(default) -> Kind:
    """An editor for a key without an entry in RULES, from its default value."""
    if isinstance(default, bool):
        return SWITCH
    if isinstance(default, int):
        return whole(0, 100000)
    if isinstance(default, float):
        return NUMBER
    if isinstance(default, str):
        return TEXT
    if isinstance(default, list) and all(isinstance(x, str) for x in default):
        return TEXT_LIST
    return _json_kind(default)


GROUPS = {
    "targets": _l("Chỉ tiêu"),
    "reports": _l("Lịch báo cáo"),
    "desk": _l("Bộ phận một cửa"),
    "deadlines": _l("Thời hạn"),
    "figures": _l("Thống kê và dữ liệu"),
    "other": _l("Quy định khác"),
}


@dataclass(frozen=True)
class RuleField:
    label: Any
    kind: Kind
    group: str = "other"
    name: str | None = None  # the form field's name (default: the key with "_" for ".")
    hint: Any = None
    extra: dict = field(default_factory=dict)


RULES: dict[str, RuleField] = {
    "target.coverage": RuleField(
        _l("Tỷ lệ khảo sát tối thiểu (%)"), PERCENT, "targets", "coverage"
    ),
    "target.satisfaction": RuleField(
        _l("Tỷ lệ hài lòng phải trên (%)"), PERCENT, "targets", "satisfaction"
    ),
    "target.on_time": RuleField(_l("Tỷ lệ đúng hạn phải trên (%)"), PERCENT, "targets", "on_time"),
    "target.online_l4": RuleField(
        _l("Tỷ lệ hồ sơ trực tuyến toàn trình phải trên (%)"), PERCENT, "targets", "online_l4"
    ),
    "target.apology": RuleField(
        _l("Tỷ lệ hồ sơ trễ hạn có thư xin lỗi tối thiểu (%)"), PERCENT, "targets", "apology"
    ),
    "report_due_dates": RuleField(
        _l("Hạn nộp báo cáo (ngày/tháng, cách nhau bởi dấu phẩy)"),
        DUE_DATES,
        "reports",
        "report_due_dates",
    ),
    "report_months": RuleField(
        _l("Báo cáo định kỳ cộng dồn số tháng (cách nhau bởi dấu phẩy)"), MONTHS, "reports"
    ),
    "report_year_start": RuleField(
        _l("Năm báo cáo bắt đầu từ ngày (ngày/tháng)"), DAY_OF_YEAR, "reports"
    ),
    "report_cutoff": RuleField(
        _l("Cách chốt số liệu báo cáo"),
        choice(
            {
                "month_end": _l("Theo tháng dương lịch (đến hết ngày cuối tháng)"),
                "decree_09": _l("Từ ngày 15 tháng trước đến ngày 14 (Nghị định 09/2019/NĐ-CP)"),
            }
        ),
        "reports",
    ),
    "office_hours": RuleField(
        _l("Giờ làm việc của bộ phận một cửa (các buổi, ví dụ 07:30-11:30, 13:30-17:00)"),
        HOURS,
        "desk",
        hint=_l("Hồ sơ nhận ngoài giờ được tính như nhận vào đầu giờ làm việc tiếp theo."),
    ),
    "cutoff_time": RuleField(
        _l("Giờ chốt nhận hồ sơ trong ngày (HH:MM)"),
        TIME,
        "desk",
        hint=_l("Hồ sơ nhận sau giờ này được tính từ ngày làm việc tiếp theo."),
    ),
    "desk_networks": RuleField(
        _l("Mạng của bộ phận một cửa (dải địa chỉ CIDR, mỗi dòng một dải)"),
        NETWORKS,
        "desk",
        hint=_l("Phiếu trả lời gửi từ mạng này ngay sau khi trả kết quả được tính riêng."),
    ),
    "assisted_minutes": RuleField(
        _l("Số phút sau khi trả kết quả (trả lời từ mạng một cửa sớm hơn: có dấu hiệu hỗ trợ)"),
        whole(1, 240),
        "desk",
    ),
    "assisted_device_answers": RuleField(
        _l("Số hồ sơ một thiết bị trả lời trong ngày (từ số này trở lên: có dấu hiệu hỗ trợ)"),
        whole(2, 50),
        "desk",
    ),
    "backdate_grace_minutes": RuleField(
        _l("Thời điểm trả nhập sớm hơn hiện tại quá (phút) là “nhập bù”"),
        whole(0, 1440),
        "deadlines",
    ),
    "apology_lead_working_days": RuleField(
        _l("Thư xin lỗi gửi trước ngày hẹn ban đầu ít nhất (ngày làm việc)"),
        whole(0, 30),
        "deadlines",
    ),
    "desk_phone": RuleField(
        _l("Số điện thoại của bộ phận một cửa (in trên phiếu khảo sát)"),
        PHONE,
        "desk",
    ),
    "survey_step2_minutes": RuleField(
        _l("Phụ huynh gửi thêm chi tiết (bước 2) trong vòng (phút) sau câu 1"),
        whole(5, 1440),
        "deadlines",
    ),
    "free_text_retention_days": RuleField(
        _l("Giữ góp ý, ghi chú phản ánh và nội dung thư trong (ngày)"),
        whole(30, 3650),
        "figures",
        hint=_l("Quá hạn này, lệnh xóa dữ liệu định kỳ thay nội dung bằng “—”; số liệu vẫn giữ."),
    ),
    "case_due_working_days": RuleField(
        _l("Thời hạn xử lý phản ánh (ngày làm việc)"), whole(1, 60), "deadlines"
    ),
    "token_valid_days": RuleField(
        _l("Liên kết khảo sát còn hiệu lực sau khi trả kết quả (ngày)"),
        whole(1, 365),
        "deadlines",
    ),
    "min_cell_n": RuleField(
        _l("Số phiếu tối thiểu để hiện một ô thống kê"),
        whole(1, 100),
        "figures",
        hint=_l("Ô có ít phiếu hơn hiện “—” để không lộ người trả lời."),
    ),
}


def rule_field(key: str) -> RuleField:
    """The editor of `key`: its entry in RULES, else one chosen by its default's type."""
    known = RULES.get(key)
    if known is not None:
        return known
    return RuleField(key, kind_for_default(DEFAULTS[key]))


def field_name(key: str) -> str:
    return rule_field(key).name or key.replace(".", "_").replace("-", "_")


def editable_keys() -> list[str]:
    """Every key of DEFAULTS, those with a label first in the table's order."""
    known = [k for k in RULES if k in DEFAULTS]
    return known + sorted(k for k in DEFAULTS if k not in RULES)


class Parsed:
    """Validator: the field's data as the value to store (kept on field.parsed)."""

    def __init__(self, kind: Kind):
        self.kind = kind

    def __call__(self, form, field) -> None:
        if field.errors or field.process_errors:  # already refused by the field itself
            return
        try:
            field.parsed = self.kind.parse(field.data)
        except (TypeError, ValueError) as error:
            raise ValidationError(str(error)) from None


def show(key: str, value) -> str:
    """A stored value as the history shows it (keys no longer known: as stored)."""
    if key not in DEFAULTS:
        return json.dumps(value, ensure_ascii=False)
    try:
        return rule_field(key).kind.show(value)
    except (TypeError, ValueError, InvalidOperation):
        return json.dumps(value, ensure_ascii=False)
