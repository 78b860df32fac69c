"""The principal's kiosk form (the tablet's own forms are the survey's)."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from survey_app.dossiers.forms import _strip, no_control_chars
from survey_app.forms import Form


class KioskDeviceForm(Form):
    name = StringField(
        _l("Tên máy (ví dụ: Máy tính bảng quầy 1)"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Vui lòng nhập tên máy.")),
            Length(max=80, message=_l("Tên máy tối đa 80 ký tự.")),
            no_control_chars,
        ],
    )
