"""Forms: filing a report; the report due dates as typed on the settings page."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from survey_app.forms import Form, no_control_chars

DUE_DATE = re.compile(r"(\d{1,2})/(\d{1,2})")


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
