"""Forms: filing a report; the report due dates as typed on the settings page."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from survey_app.forms import Form
from survey_app.parsing import InRange
from survey_app.survey.provenance import parse_networks

DUE_DATE = re.compile(r"(\d{1,2})/(\d{1,2})")


def no_control_chars(form, field):
    """NUL and control characters: PostgreSQL refuses NUL (a 500), SQLite would store it."""
    if field.data and re.search("[\x00-\x1f\x7f-\x9f\ufffd]", field.data):
        raise ValidationError(_l("Có ký tự không hợp lệ."))


class FileReportForm(Form):
    period = HiddenField(validators=[DataRequired(), Length(max=25), no_control_chars])
    number = StringField(_l("Số báo cáo"), validators=[Length(max=40), no_control_chars])


def parse_due_dates(text: str) -> list[str] | None:
    """ "15/2, 15/5" -> ["02-15", "05-15"] (sorted); None when a part is not a real day."""
    out = []
    for part in (text or "").split(","):
        m = DUE_DATE.fullmatch(part.strip())
        if not m:
            return None
        day, month = int(m.group(1)), int(m.group(2))
        try:
            date(2000, month, day)  # a leap year: 29/02 is allowed
        except ValueError:
            return None
        out.append(f"{month:02d}-{day:02d}")
    return sorted(set(out)) or None


def format_due_dates(values: list[str]) -> str:
    return ", ".join(f"{v[3:5]}/{v[0:2]}" for v in values)


class DeskNetworksForm(Form):
    """The school's desk networks and when a self-service answer looks assisted."""

    networks = TextAreaField(
        _l("Mạng của bộ phận một cửa (dải địa chỉ CIDR, mỗi dòng một dải)"),
        validators=[Length(max=2000)],
    )
    minutes = IntegerField(
        _l("Số phút sau khi trả kết quả (trả lời từ mạng một cửa sớm hơn: có dấu hiệu hỗ trợ)"),
        validators=[InputRequired(), NumberRange(min=1, max=240)],
    )
    device_answers = IntegerField(
        _l("Số hồ sơ một thiết bị trả lời trong ngày (từ số này trở lên: có dấu hiệu hỗ trợ)"),
        validators=[InputRequired(), NumberRange(min=2, max=50)],
    )
    effective_from = DateField(_l("Áp dụng từ ngày"), validators=[DataRequired(), InRange()])

    def validate_networks(self, field):
        field.parsed = parse_networks(field.data or "")
        if field.parsed is None:
            raise ValidationError(
                _l("Dải địa chỉ không hợp lệ: nhập dạng 203.0.113.0/24 hoặc 2001:db8:1:2::/64.")
            )
