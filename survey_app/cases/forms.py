"""Forms of the case page (session CSRF)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from survey_app.cases.labels import CALL_OUTCOMES
from survey_app.cases.models import RootCause
from survey_app.forms import Form, text_area

TEXT_MAX = 4000
REQUIRED = _l("Vui lòng nhập nội dung.")


def _text(label, required: bool, rows: int = 3):
    return text_area(
        label, required_message=REQUIRED if required else None, max_length=TEXT_MAX, rows=rows
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
