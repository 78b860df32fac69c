"""The base of every form: WTForms' and Flask-WTF's built-in messages in the UI's language.

WTForms ships no Vietnamese catalog, so its English defaults ("This field is required.",
"Not a valid choice.", "Number must be between 0 and 100.") are mapped here to Vietnamese
msgids, which the app's own catalog turns back into English on the English UI.
"""

import hashlib
import hmac
import re
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.csrf.core import CSRF
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

# WTForms 3.2 (wtforms/locale/wtforms.pot) and Flask-WTF 1.2 (csrf.py, file.py) messages.
MESSAGES = {
    "Invalid field name '%s'.": _l("Tên trường không hợp lệ: '%s'."),
    "Field must be equal to %(other_name)s.": _l("Phải trùng với %(other_name)s."),
    "Field must be at least %(min)d character long.": _l("Cần ít nhất %(min)d ký tự."),
    "Field must be at least %(min)d characters long.": _l("Cần ít nhất %(min)d ký tự."),
    "Field cannot be longer than %(max)d character.": _l("Tối đa %(max)d ký tự."),
    "Field cannot be longer than %(max)d characters.": _l("Tối đa %(max)d ký tự."),
    "Field must be exactly %(max)d character long.": _l("Phải có đúng %(max)d ký tự."),
    "Field must be exactly %(max)d characters long.": _l("Phải có đúng %(max)d ký tự."),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Phải có từ %(min)d đến %(max)d ký tự."
    ),
    "Number must be at least %(min)s.": _l("Số phải từ %(min)s trở lên."),
    "Number must be at most %(max)s.": _l("Số không được lớn hơn %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l("Số phải trong khoảng %(min)s đến %(max)s."),
    "This field is required.": _l("Vui lòng nhập mục này."),
    "Invalid input.": _l("Giá trị không hợp lệ."),
    "Invalid email address.": _l("Địa chỉ thư điện tử không hợp lệ."),
    "Invalid IP address.": _l("Địa chỉ IP không hợp lệ."),
    "Invalid Mac address.": _l("Địa chỉ MAC không hợp lệ."),
    "Invalid URL.": _l("Địa chỉ web không hợp lệ."),
    "Invalid UUID.": _l("Mã UUID không hợp lệ."),
    "Invalid value, must be one of: %(values)s.": _l("Giá trị phải là một trong: %(values)s."),
    "Invalid value, can't be any of: %(values)s.": _l(
        "Giá trị không được là một trong: %(values)s."
    ),
    "This field cannot be edited.": _l("Không được sửa mục này."),
    "This field is disabled and cannot have a value.": _l("Mục này bị khoá, không nhận giá trị."),
    "Invalid CSRF Token.": _l("Phiên làm việc không hợp lệ, vui lòng tải lại trang."),
    "CSRF token missing.": _l("Phiên làm việc không hợp lệ, vui lòng tải lại trang."),
    "CSRF failed.": _l("Phiên làm việc không hợp lệ, vui lòng tải lại trang."),
    "CSRF token expired.": _l("Phiên làm việc đã hết hạn, vui lòng tải lại trang và gửi lại."),
    "Invalid Choice: could not coerce.": _l("Lựa chọn không hợp lệ."),
    "Choices cannot be None.": _l("Lựa chọn không hợp lệ."),
    "Not a valid choice.": _l("Lựa chọn không hợp lệ."),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l(
        "Lựa chọn không hợp lệ."
    ),
    "'%(value)s' is not a valid choice for this field.": _l("Lựa chọn không hợp lệ."),
    "'%(value)s' are not valid choices for this field.": _l("Lựa chọn không hợp lệ."),
    "Not a valid datetime value.": _l("Ngày giờ không hợp lệ."),
    "Not a valid date value.": _l("Ngày không hợp lệ."),
    "Not a valid time value.": _l("Giờ không hợp lệ."),
    "Not a valid week value.": _l("Tuần không hợp lệ."),
    "Not a valid integer value.": _l("Cần nhập một số nguyên."),
    "Not a valid decimal value.": _l("Cần nhập một số."),
    "Not a valid float value.": _l("Cần nhập một số."),
    # Flask-WTF: raised as plain text, translated when the form is validated (below)
    "The CSRF token is missing.": _l("Phiên làm việc không hợp lệ, vui lòng tải lại trang."),
    "The CSRF session token is missing.": _l(
        "Phiên làm việc không hợp lệ, vui lòng tải lại trang."
    ),
    "The CSRF token has expired.": _l(
        "Phiên làm việc đã hết hạn, vui lòng tải lại trang và gửi lại."
    ),
    "The CSRF token is invalid.": _l("Phiên làm việc không hợp lệ, vui lòng tải lại trang."),
    "The CSRF tokens do not match.": _l("Phiên làm việc không hợp lệ, vui lòng tải lại trang."),
}


def translate(message: str) -> str:
    """WTForms' or Flask-WTF's English message in the UI's language (others unchanged)."""
    known = MESSAGES.get(message)
    return str(known) if known is not None else message


class _Translations:
    """What WTForms asks for its built-in messages (Meta.get_translations)."""

    def gettext(self, string: str) -> str:
        return translate(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translate(singular if n == 1 else plural)


TRANSLATIONS = _Translations()


# What no text field takes (the one rule, for every form): C0 controls but TAB, LF and CR;
# DEL and C1; U+FFFD, what Werkzeug leaves of invalid UTF-8. PostgreSQL refuses NUL (a 500),
# SQLite would store it. A single-line field takes no TAB, LF or CR either.
BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_LINE_CHARS = re.compile("[\t\r\n]")
MSG_BAD_CHARS = _l("Nội dung có ký tự không hợp lệ, vui lòng gõ lại.")


def has_bad_chars(text: str, single_line: bool = False) -> bool:
    return bool(BAD_CHARS.search(text) or (single_line and _LINE_CHARS.search(text)))


def no_control_chars(form, field) -> None:
    """The validator of BAD_CHARS: one clear message, and no further checks of the field."""
    data = field.data
    if isinstance(data, str) and has_bad_chars(data, not isinstance(field, TextAreaField)):
        raise StopValidation(str(MSG_BAD_CHARS))


def normalise_text(value: str | None) -> str | None:
    """A filter for free text: NFC, the browser's CRLF as LF (as `maxlength` counts them),
    trimmed; empty -> None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    return value or None


def text_area(label, *, required_message=None, max_length: int, rows: int = 3) -> TextAreaField:
    """A free-text field: normalised, checked for BAD_CHARS, at most `max_length` characters;
    required when `required_message` is given."""
    validators: list = [DataRequired(required_message)] if required_message else []
    validators += [
        no_control_chars,
        Length(max=max_length, message=_l("Tối đa %(max)d ký tự.", max=max_length)),
    ]
    return TextAreaField(
        label, filters=[normalise_text], validators=validators, render_kw={"rows": rows}
    )


class Form(FlaskForm):
    """Every form of the app derives from this one."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:  # messages raised as plain text (Flask-WTF's CSRF ones) are mapped too
            for field in self:
                field.errors = [translate(e) if isinstance(e, str) else e for e in field.errors]
        return ok


class TokenCSRF(CSRF):
    """CSRF bound to the parent's survey token, not the session (their browser may block
    cookies). `purpose` goes into the HMAC, so one page's token never validates another
    page's form. A form uses it as `csrf_class = partial(TokenCSRF, purpose, message)` and
    is built with meta={'csrf_context': <survey token>}."""

    def __init__(self, purpose: str, message) -> None:
        self.purpose, self.message = purpose, message

    def setup_form(self, form):
        self.context = form.meta.csrf_context
        if not isinstance(self.context, str) or not self.context:
            raise TypeError("TokenCSRF needs meta={'csrf_context': <survey token>}")
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field) -> str:
        key = current_app.config["SECRET_KEY"].encode()
        message = f"{self.purpose}|{self.context}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def validate_csrf_token(self, form, field) -> None:
        data = field.data if isinstance(field.data, str) else ""
        sent_twice = len(field.raw_data or ()) > 1  # `csrf_token=good&csrf_token=x`: refused
        if sent_twice or not data or not hmac.compare_digest(data, field.current_token):
            raise ValidationError(self.message)
