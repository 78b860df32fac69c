"""The survey form, built from the question module (indico's make_survey_form pattern).

Every text is checked server-side: one value per single-choice field, choices only from
`questions`, NFC-normalised comment of at most COMMENT_MAX characters, no control
characters, no U+FFFD (what Werkzeug leaves of invalid UTF-8), a Vietnamese phone number
only with its consent box ticked.
"""

import re
from functools import partial
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, StopValidation, ValidationError

from survey_app import questions
from survey_app.forms import (
    MSG_BAD_CHARS,
    Form,
    TokenCSRF,
    no_control_chars,
    normalise_text,
    text_area,
)

MSG_ONE_VALUE = _l("Chỉ được chọn một câu trả lời.")
MSG_INVALID_CHOICE = _l("Câu trả lời không hợp lệ, vui lòng chọn lại.")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"(?:0|\+84)([35789]\d{8})")


def canonical_phone(value: str) -> str | None:
    """A Vietnamese mobile number as 0xxxxxxxxx, or None when it is not one."""
    match = _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", value))
    return "0" + match.group(1) if match else None


# The survey form's CSRF: bound to the survey token (see TokenCSRF).
SURVEY_CSRF = partial(
    TokenCSRF,
    "survey-csrf",
    _l("Phiếu đã hết hạn hoặc không hợp lệ. Vui lòng gửi lại câu trả lời."),
)


class SingleValueMixin(Field):
    """Parameter pollution (`overall=a&overall=b`) is an error, not a silent first pick.

    A Field itself, so that super().process_formdata is known: in a field class's MRO it
    comes before the concrete field it mixes into, whose process_formdata it calls."""

    def process_formdata(self, valuelist):
        if len(valuelist) > 1:
            self.data = None
            raise ValueError(MSG_ONE_VALUE)
        super().process_formdata(valuelist)


class ChoiceField(SingleValueMixin, RadioField):
    """One radio group whose values come from the question module only."""

    choices: list[tuple[str, Any]]  # (value, label) pairs, no groups (make_survey_form)

    def __init__(self, label=None, validators=None, required_message=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.required_message = required_message

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data == "":
            self.data = None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()
        if self.data is None:
            if self.required_message:
                raise StopValidation(str(self.required_message))
            return
        if self.data not in {value for value, _label in self.choices}:
            self.data = None
            raise StopValidation(str(MSG_INVALID_CHOICE))


class MultiChoiceField(SelectMultipleField):
    """Tick-any checkboxes: duplicates collapse, unknown values are an error."""

    choices: list[tuple[str, Any]]  # (value, label) pairs, no groups (make_survey_form)

    def process_formdata(self, valuelist):
        self.data = list(dict.fromkeys(v for v in valuelist if v))

    def pre_validate(self, form):
        allowed = {value for value, _label in self.choices}
        values = self.data or []
        if any(value not in allowed for value in values):
            self.data = [v for v in values if v in allowed]
            raise StopValidation(str(MSG_INVALID_CHOICE))


class SingleTextAreaField(SingleValueMixin, TextAreaField):
    pass


class SingleStringField(SingleValueMixin, StringField):
    pass


class SingleBooleanField(SingleValueMixin, BooleanField):
    """A box ticked once (`consent=y&consent=` is tampering, not an answer)."""


def comment_length(form, field) -> None:
    if field.data and len(field.data) > questions.COMMENT_MAX:
        raise ValidationError(
            _l(
                "Góp ý dài %(n)s ký tự, tối đa %(max)s ký tự.",
                n=f"{len(field.data):,}".replace(",", "."),
                max=f"{questions.COMMENT_MAX:,}".replace(",", "."),
            )
        )


def phone_format(form, field) -> None:
    if not field.data:
        return
    phone = canonical_phone(field.data)
    if phone is None:
        raise ValidationError(_l("Số điện thoại chưa đúng (ví dụ 0901234567 hoặc +84901234567)."))
    field.data = phone


class BaseSurveyForm(Form):
    """Fields are added by make_survey_form(); helpers read the cleaned answers."""

    def validate_consent(self, field) -> None:
        if self.phone.data and not field.data:
            raise ValidationError(
                _l("Để nhà trường gọi lại, vui lòng đánh dấu ô đồng ý bên dưới số điện thoại.")
            )

    def reject_bytes(self, names: set[str]) -> None:
        """Mark the fields that arrived as invalid UTF-8 (unknown names: a form error)."""
        for name in names:
            field = self._fields.get(name)
            target = field.errors if field is not None else self.form_errors
            target.insert(0, str(MSG_BAD_CHARS))

    def details(self) -> dict[str, str]:
        """The detail answers given ({} on a form without the detail questions)."""
        return {
            q.code: self[q.code].data
            for q in questions.DETAILS
            if q.code in self and self[q.code].data
        }

    def reasons_data(self) -> list[str]:
        return list(self.reasons.data or ()) if questions.REASONS_CODE in self else []

    def value(self, name: str):
        """A field's cleaned data, None when this form has no such field."""
        return self[name].data if name in self else None

    def first_errors(self) -> list[tuple[str, str]]:
        """(field id, first message) for the error summary, in page order."""
        general = [("", str(message)) for message in self.form_errors[:1]]
        return general + [(field.id, str(field.errors[0])) for field in self if field.errors]


# The parts a form can hold, in page order.
OVERALL, DETAILS, REASONS, COMMENT, CONTACT = "overall", "details", "reasons", "comment", "contact"
ALL_PARTS = (OVERALL, DETAILS, REASONS, COMMENT, CONTACT)


def make_survey_form(
    token_csrf: bool = True, parts: tuple[str, ...] = ALL_PARTS, name: str = "SurveyForm"
) -> type[BaseSurveyForm]:
    """Build a form class from `questions`: the given parts, token-bound CSRF or none.

    Staff pages (paper entry, kiosk) keep Flask-WTF's session CSRF, checked for every POST
    by the global CSRFProtect; their template renders `csrf_token()` itself.
    """

    class Meta:
        if token_csrf:
            csrf_class = SURVEY_CSRF
        else:
            csrf = False

    attrs: dict[str, object] = {"Meta": Meta}
    if OVERALL in parts:
        attrs[questions.OVERALL_CODE] = ChoiceField(
            questions.OVERALL_LABEL,
            choices=list(questions.LEVELS),
            # The staff's forms number the questions as the paper does; the parent's link
            # shows the one question alone.
            required_message=_l("Vui lòng chọn mức độ hài lòng chung.")
            if token_csrf
            else _l("Vui lòng chọn mức độ hài lòng chung (câu 1)."),
        )
    if DETAILS in parts:
        for question in questions.DETAILS:
            assert not hasattr(BaseSurveyForm, question.code), question.code
            attrs[question.code] = ChoiceField(question.label, choices=list(question.choices))
    if REASONS in parts:
        attrs[questions.REASONS_CODE] = MultiChoiceField(
            _l("Nếu chưa hài lòng, vì sao?"), choices=list(questions.REASONS)
        )
    if COMMENT in parts:
        attrs["comment"] = SingleTextAreaField(
            _l("Góp ý của Ông/Bà"),
            filters=[normalise_text],
            validators=[no_control_chars, comment_length],
        )
    if CONTACT in parts:
        attrs["phone"] = SingleStringField(
            _l("Số điện thoại"),
            filters=[normalise_text],
            validators=[no_control_chars, phone_format],
        )
        attrs["consent"] = SingleBooleanField(
            _l("Tôi đồng ý để nhà trường dùng số điện thoại này chỉ để liên hệ về góp ý này.")
        )
    return type(name, (BaseSurveyForm,), attrs)


# The parent's link: step 1 is the overall question alone; step 2 asks what fits it.
SurveyForm = make_survey_form(parts=(OVERALL,))
FollowUpForm = make_survey_form(parts=(REASONS, COMMENT, CONTACT), name="FollowUpForm")
DetailsForm = make_survey_form(parts=(DETAILS, COMMENT), name="DetailsForm")
SkipForm = make_survey_form(parts=(), name="SkipForm")  # "Bỏ qua": its CSRF token only
# Staff channels (paper, kiosk): every question on one form.
StaffSurveyForm = make_survey_form(token_csrf=False, name="StaffSurveyForm")


def step_two_form(overall: str) -> type[BaseSurveyForm]:
    """Step 2's form for the first answer: why and a call-back, or details and a suggestion."""
    return DetailsForm if overall in questions.SATISFIED_VALUES else FollowUpForm


class CodeForm(Form):
    """The short code typed from the slip (no session CSRF: a lookup changes nothing)."""

    class Meta:
        csrf = False

    code = SingleStringField(
        _l("Mã khảo sát trên phiếu"), filters=[lambda v: v.strip() if v else v]
    )


LATE_REASON_MAX = 500


def late_reason_length(form, field) -> None:
    if field.data and len(field.data) > LATE_REASON_MAX:
        raise ValidationError(_l("Lý do tối đa %(max)s ký tự.", max=LATE_REASON_MAX))


# A class built at run time (make_survey_form) is no base class to mypy: it sees Any.
class PaperEntryForm(StaffSurveyForm):  # type: ignore[misc,valid-type]
    """A paper form typed in by staff: after the link expired it needs a reason (the view
    asks survey.refusal whether one is needed; it is stored and counted apart)."""

    late_reason = SingleTextAreaField(
        _l("Lý do nhập phiếu sau khi hết thời hạn khảo sát"),
        filters=[normalise_text],
        validators=[no_control_chars, late_reason_length],
    )


PARENT_TEXT_MAX = 2000


class LoopForm(Form):
    """The parent's verdict on the school's answer (survey/loop.py): build with
    meta={'csrf_context': token}."""

    class Meta:  # another purpose than the survey form's: neither token fits the other
        csrf_class = partial(
            TokenCSRF, "loop-csrf", _l("Trang đã hết hạn. Vui lòng mở lại đường dẫn và gửi lại.")
        )

    answer = RadioField(
        _l("Ông/Bà có hài lòng với cách nhà trường giải quyết không?"),
        choices=[("yes", _l("Có")), ("no", _l("Không"))],
        validators=[InputRequired(_l("Vui lòng chọn Có hoặc Không."))],
    )
    comment = text_area(_l("Ông/Bà muốn nói thêm (không bắt buộc)"), max_length=PARENT_TEXT_MAX)

    def validate_answer(self, field) -> None:
        # Parameter pollution (answer=yes&answer=no) is refused, not silently resolved.
        if len(field.raw_data or ()) > 1:
            raise ValidationError(MSG_ONE_VALUE)
