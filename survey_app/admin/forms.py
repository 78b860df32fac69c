"""Forms of the administration pages: a new account, a new school."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from survey_app.auth.accounts import find_school, find_user
from survey_app.forms import Form, no_control_chars

# No DNS, no list of reserved domains: a school's own mail domain may be anything.
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Địa chỉ thư điện tử không hợp lệ."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class StaffForm(Form):
    """A new account: the clerk a principal adds, or the principal the office adds."""

    username = StringField(
        _l("Tên đăng nhập"),
        filters=[_lower],
        validators=[
            DataRequired(),
            Length(min=3, max=64),
            Regexp(
                r"^[a-z0-9][a-z0-9._-]*$",
                message=_l("Chỉ dùng chữ cái không dấu, số và . _ -"),
            ),
        ],
    )
    full_name = StringField(
        _l("Họ và tên"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=120), no_control_chars],
    )
    email = StringField(
        _l("Thư điện tử (không bắt buộc)"),
        filters=[_strip],
        validators=[Optional(), Length(max=254), EMAIL, no_control_chars],
    )

    def validate_username(self, field):
        if field.errors:  # a malformed name (NUL: PostgreSQL refuses it) is not looked up
            return
        if find_user(field.data):
            raise ValidationError(_l("Tên đăng nhập này đã có người dùng."))


class PrincipalForm(StaffForm):
    school = SelectField(
        _l("Trường"), coerce=str, validators=[DataRequired(_l("Vui lòng chọn trường."))]
    )


class SchoolForm(Form):
    code = StringField(
        _l("Mã trường"),
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[A-Z0-9][A-Z0-9._-]*$", message=_l("Chỉ dùng chữ cái không dấu, số, -.")),
        ],
    )
    name = StringField(
        _l("Tên trường"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=200), no_control_chars],
    )
    address = StringField(
        _l("Địa chỉ (không bắt buộc)"),
        filters=[_strip],
        validators=[Optional(), Length(max=300), no_control_chars],
    )

    def validate_code(self, field):
        if field.errors:  # not looked up when malformed (the route walk found NUL a 500)
            return
        if find_school(field.data):
            raise ValidationError(_l("Mã trường này đã có."))
