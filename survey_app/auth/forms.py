from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    Optional,
)

from survey_app.auth.accounts import MIN_PASSWORD_LENGTH
from survey_app.forms import Form


class LoginForm(Form):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=256)])


class ChangePasswordForm(Form):
    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[Optional(), Length(max=256)])
    new = PasswordField(
        _l("Mật khẩu mới"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l("Mật khẩu cần từ %(min)d đến %(max)d ký tự."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(), EqualTo("new", message=_l("Hai mật khẩu không khớp."))],
    )
