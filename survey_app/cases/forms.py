"""Forms of the case page (session CSRF) and of the parent's loop page (token-bound CSRF)."""

import re
import unicodedata
from functools import partial

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from survey_app.cases.labels import CALL_OUTCOMES
from survey_app.cases.models import RootCause
from survey_app.forms import Form, TokenCSRF

TEXT_MAX = 4000
PARENT_TEXT_MAX = 2000
# C0/C1 controls except TAB, LF, CR; DEL; U+FFFD (what invalid UTF-8 decodes to).
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def normalise_text(value: str | None) -> str | None:
    """NFC, CRLF as LF, trimmed; empty -> None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    return value or None


def clean_text(form, field) -> None:
    if field.data and _BAD_CHARS.search(field.data):
        raise ValidationError(_l("Nội dung có ký tự không hợp lệ, vui lòng gõ lại."))


def _text(label, required: bool, max_length: int = TEXT_MAX, rows: int = 3) -> TextAreaField:
    validators = [DataRequired(_l("Vui lòng nhập nội dung."))] if required else []
    validators += [
        clean_text,
        Length(max=max_length, message=_l("Tối đa %(max)d ký tự.", max=max_length)),
    ]
    return TextAreaField(
        label, filters=[normalise_text], validators=validators, render_kw={"rows": rows}
    )


class NoteForm(Form):
    text = _text(_l("Ghi chú"), required=True)


class CallForm(Form):
    outcome = SelectField(
        _l("Kết quả cuộc gọi"),
        choices=[("", _l("— Chọn kết quả —")), *CALL_OUTCOMES.items()],
        validators=[DataRequired(_l("Vui lòng chọn kết quả cuộc gọi."))],
    )
    notes = _text(_l("Nội dung trao đổi"), required=False)


class ResolveForm(Form):
    resolution = _text(_l("Kết quả giải quyết (gửi tới phụ huynh)"), required=True, rows=5)
    root_cause = SelectField(
        _l("Nguyên nhân"),
        choices=[("", _l("— Chọn nguyên nhân —"))] + RootCause.choices(),
        validators=[DataRequired(_l("Vui lòng chọn nguyên nhân."))],
    )


class StatusForm(Form):
    """Start, close or reopen; the optional text says why."""

    action = HiddenField(validators=[InputRequired()])
    text = _text(_l("Lý do (không bắt buộc)"), required=False)

    def validate_action(self, field) -> None:
        if field.data not in ("start", "close", "reopen"):
            raise ValidationError(_l("Thao tác không hợp lệ."))


class LoopForm(Form):
    """The parent's verdict on the school's answer: build with meta={'csrf_context': token}."""

    class Meta:  # another purpose than the survey form's: neither token fits the other
        csrf_class = partial(
            TokenCSRF, "loop-csrf", _l("Trang đã hết hạn. Vui lòng mở lại đường dẫn và gửi lại.")
        )

    answer = RadioField(
        _l("Ông/Bà có hài lòng với cách nhà trường giải quyết không?"),
        choices=[("yes", _l("Có")), ("no", _l("Không"))],
        validators=[InputRequired(_l("Vui lòng chọn Có hoặc Không."))],
    )
    comment = _text(_l("Ông/Bà muốn nói thêm (không bắt buộc)"), False, PARENT_TEXT_MAX)

    def validate_answer(self, field) -> None:
        # Parameter pollution (answer=yes&answer=no) is refused, not silently resolved.
        if len(field.raw_data or ()) > 1:
            raise ValidationError(_l("Chỉ được chọn một câu trả lời."))
