"""Forms of the dossier register, the procedures list and the calendar."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from survey_app.dossiers.models import (
    ApologyChannel,
    BackdateReason,
    DayKind,
    IntakeChannel,
    ReturnChannel,
)
from survey_app.forms import Form, no_control_chars
from survey_app.parsing import InRange

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


PHONE = Regexp(r"^\+?[0-9][0-9 .-]{5,18}$", message=_l("Số điện thoại không hợp lệ."))


def int_or_none(value):
    """A select's value as an id; the placeholder option ("") as None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class DossierForm(Form):
    # No procedure is pre-selected: the placeholder option makes the clerk choose.
    procedure = SelectField(
        _l("Thủ tục"),
        coerce=int_or_none,
        validators=[DataRequired(message=_l("Vui lòng chọn thủ tục."))],
    )
    student_name = StringField(
        _l("Họ tên học sinh"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=120), no_control_chars],
    )
    student_class = StringField(
        _l("Lớp"), filters=[_strip], validators=[Optional(), Length(max=20), no_control_chars]
    )
    applicant_name = StringField(
        _l("Người nộp hồ sơ (không bắt buộc)"),
        filters=[_strip],
        validators=[Optional(), Length(max=120), no_control_chars],
    )
    applicant_phone = StringField(
        _l("Số điện thoại (không bắt buộc)"),
        filters=[_strip],
        validators=[Optional(), Length(max=20), PHONE],
    )
    intake_channel = SelectField(
        _l("Hình thức nộp"), choices=IntakeChannel.choices(), default="counter"
    )
    return_channel = SelectField(
        _l("Hình thức nhận kết quả"), choices=ReturnChannel.choices(), default="counter"
    )


def backdate_reasons():
    """The reasons a clerk may pick for a time entered after the fact (not the importer's)."""
    return [("", _l("— Không nhập bù —"))] + [
        (m.value, m._label) for m in BackdateReason if m is not BackdateReason.IMPORT
    ]


class BackdateFields(Form):
    """Why a time typed in the past is entered after the fact ("nhập bù"): the reason and
    its text, shared by every form that lets a clerk type such a time."""

    backdate_reason = SelectField(
        _l("Lý do nhập bù (khi ghi một thời điểm đã qua)"),
        choices=backdate_reasons(),
        default="",
    )
    backdate_note = StringField(
        _l("Ghi chú lý do nhập bù"),
        filters=[_strip],
        validators=[Optional(), Length(max=500), no_control_chars],
    )


class ReturnForm(BackdateFields):
    """Returning stamps the server's clock; a time is typed only for a return entered
    after the fact, with its reason."""

    returned_at = DateTimeLocalField(
        _l("Thời điểm trả kết quả (để trống: ngay bây giờ)"),
        format=DATETIME_FORMATS,
        validators=[Optional(), InRange()],
    )
    ready_at = DateTimeLocalField(
        _l("Kết quả đã có từ (nếu sớm hơn lúc trả; để trống: lúc trả)"),
        format=DATETIME_FORMATS,
        validators=[Optional(), InRange()],
    )
    return_channel = SelectField(_l("Hình thức trả kết quả"), choices=ReturnChannel.choices())


class WithdrawForm(Form):
    reason = TextAreaField(
        _l("Lý do rút hồ sơ"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=500), no_control_chars],
    )


class ApologyForm(BackdateFields):
    """Issuing stamps the server's clock; a time is typed only for an apology entered after
    the fact, with its reason (as for a return)."""

    reason = TextAreaField(
        _l("Lý do chậm trễ"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=2000), no_control_chars],
    )
    new_due_date = DateField(_l("Ngày hẹn trả kết quả mới"), validators=[DataRequired(), InRange()])
    channel = SelectField(_l("Hình thức gửi thư"), choices=ApologyChannel.choices())
    issued_at = DateTimeLocalField(
        _l("Thời điểm gửi thư (để trống: ngay bây giờ)"),
        format=DATETIME_FORMATS,
        validators=[Optional(), InRange()],
    )


class ProcedureForm(Form):
    code = StringField(
        _l("Mã thủ tục"),
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        validators=[
            DataRequired(),
            Length(max=30),
            Regexp(r"^[A-Z0-9][A-Z0-9._-]*$", message=_l("Chỉ dùng chữ cái không dấu, số, -.")),
        ],
    )
    name = StringField(
        _l("Tên thủ tục"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=300), no_control_chars],
    )
    name_en = StringField(
        _l("Tên tiếng Anh (không bắt buộc)"),
        filters=[_strip],
        validators=[Optional(), Length(max=300), no_control_chars],
    )
    working_days = IntegerField(
        _l("Thời hạn giải quyết (ngày làm việc)"),
        validators=[InputRequired(), NumberRange(min=0, max=365)],
    )
    online_level = SelectField(
        _l("Dịch vụ công trực tuyến"),
        choices=[("", _l("Không")), ("3", _l("Một phần")), ("4", _l("Toàn trình"))],
        default="",
    )
    active = BooleanField(_l("Đang áp dụng"), default=True)


class CalendarDayForm(Form):
    day = DateField(_l("Ngày"), validators=[DataRequired(), InRange()])
    kind = SelectField(
        _l("Loại ngày"),
        choices=DayKind.choices(),
    )
    note = StringField(
        _l("Ghi chú (văn bản, lý do)"),
        filters=[_strip],
        validators=[Optional(), Length(max=200), no_control_chars],
    )


class ImportForm(Form):
    file = FileField(
        _l("Tệp CSV (UTF-8)"), validators=[FileRequired(_l("Vui lòng chọn tệp CSV để nhập."))]
    )


class ConfirmForm(Form):
    """A bare POST button (delete a calendar day): CSRF only."""


class SupplementForm(Form):
    papers = TextAreaField(
        _l("Nội dung, giấy tờ cần bổ sung, hoàn thiện"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=4000), no_control_chars],
    )


class SupplementDoneForm(Form):
    completed_at = DateTimeLocalField(
        _l("Thời điểm nhận đủ hồ sơ (để trống: ngay bây giờ)"),
        format=DATETIME_FORMATS,
        validators=[Optional(), InRange()],
    )


class RefusalForm(Form):
    reason = TextAreaField(
        _l("Lý do từ chối tiếp nhận, giải quyết"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=4000), no_control_chars],
    )
