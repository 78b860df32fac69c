"""The survey's question set: one versioned module, read by the form, routing and reports.

A new regulation changes this module, not the schema: detail answers are stored per
question code. Labels are Vietnamese msgids (the default locale); English comes from the
catalog.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

VERSION = "2025.1"

LEVELS = (
    ("very_satisfied", _l("Rất hài lòng")),
    ("satisfied", _l("Hài lòng")),
    ("dissatisfied", _l("Không hài lòng")),
)
SATISFIED_VALUES = ("very_satisfied", "satisfied")

OVERALL_CODE = "overall"
OVERALL_LABEL = _l(
    "Nhìn chung, Ông/Bà hài lòng thế nào với việc giải quyết hồ sơ tại Bộ phận một cửa "
    "của nhà trường?"
)


@dataclass(frozen=True)
class Question:
    code: str
    label: object  # lazy string
    choices: tuple[tuple[str, object], ...]
    negative: tuple[str, ...]  # answers that open a follow-up case
    serious: bool = False  # a negative answer is serious whatever the overall answer
    short: object = ""  # column header in reports


DETAILS: tuple[Question, ...] = (
    Question(
        "info_clear",
        _l("Thông tin, hướng dẫn về thủ tục rõ ràng, dễ hiểu"),
        LEVELS,
        ("dissatisfied",),
        short=_l("Hướng dẫn"),
    ),
    Question(
        "visits",
        _l("Số lần phải đi lại để hoàn thiện hồ sơ"),
        (("0", _l("Không lần nào")), ("1", _l("1 lần")), ("2+", _l("2 lần trở lên"))),
        ("2+",),
        short=_l("Số lần đi lại"),
    ),
    Question(
        "extra_papers",
        _l("Có bị yêu cầu giấy tờ ngoài quy định không?"),
        (("no", _l("Không")), ("yes", _l("Có"))),
        ("yes",),
        short=_l("Giấy tờ ngoài quy định"),
    ),
    Question(
        "staff_attitude",
        _l("Thái độ của cán bộ, giáo viên khi hướng dẫn, tiếp nhận, trả kết quả"),
        LEVELS,
        ("dissatisfied",),
        short=_l("Thái độ"),
    ),
    Question(
        "result_correct",
        _l("Kết quả đầy đủ, chính xác"),
        LEVELS,
        ("dissatisfied",),
        short=_l("Kết quả"),
    ),
    Question(
        "extra_payment",
        _l("Có phải trả chi phí ngoài quy định, bị gây phiền hà, nhũng nhiễu không?"),
        (("no", _l("Không")), ("yes", _l("Có"))),
        ("yes",),
        serious=True,
        short=_l("Chi phí ngoài quy định"),
    ),
)
DETAILS_BY_CODE = {q.code: q for q in DETAILS}

REASONS_CODE = "reasons"
REASONS = (
    ("late_no_notice", _l("Trễ hẹn mà không được báo")),
    ("many_visits", _l("Phải đi lại, bổ sung nhiều lần")),
    ("extra_papers", _l("Yêu cầu giấy tờ ngoài quy định")),
    ("impolite", _l("Thái độ thiếu lịch sự, thiếu tận tình")),
    ("unclear", _l("Hướng dẫn khó hiểu")),
    ("extra_fees", _l("Chi phí ngoài quy định, phiền hà, nhũng nhiễu")),
    ("long_wait", _l("Chờ đợi lâu")),
    ("facilities", _l("Cơ sở vật chất chưa đáp ứng")),
    ("no_reply", _l("Góp ý không được trả lời")),
    ("other", _l("Khác")),
)

COMMENT_MAX = 2000


def needs_follow_up(overall: str, details: dict[str, str]) -> bool:
    """The routing rule (docs/survey.md): dissatisfied overall, or any negative detail."""
    if overall == "dissatisfied":
        return True
    return any(details.get(q.code) in q.negative for q in DETAILS)


# A dissatisfied parent answers step 2 with reasons, not details: the reason that names
# extra fees / harassment is as serious as the detail question about them.
SERIOUS_REASONS = ("extra_fees",)


def is_serious(details: dict[str, str], reasons=()) -> bool:
    """Extra payments / harassment: serious whatever the overall answer."""
    if any(reason in SERIOUS_REASONS for reason in reasons):
        return True
    return any(q.serious and details.get(q.code) in q.negative for q in DETAILS)
