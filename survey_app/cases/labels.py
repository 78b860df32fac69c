"""Labels of call outcomes and of a response's answers, for the case pages and mail.

Case statuses and root causes carry their labels on their enums (cases.models).
"""

from flask_babel import lazy_gettext as _l

from survey_app import questions

CALL_OUTCOMES = {
    "reached": _l("Đã trao đổi với phụ huynh"),
    "no_answer": _l("Không nghe máy"),
    "call_back": _l("Hẹn gọi lại"),
    "wrong_number": _l("Sai số điện thoại"),
}


def call_text(outcome: str, notes: str | None) -> str:
    """A call event's text: the outcome code on the first line, then the notes."""
    return outcome + ("\n" + notes if notes else "")


def split_call(text: str) -> tuple[str | None, str]:
    """(outcome code, notes) from a call event's text; None when no known outcome leads."""
    first, _, rest = text.partition("\n")
    if first in CALL_OUTCOMES:
        return first, rest
    return None, text


def detail_rows(answers) -> list[tuple[object, object, bool]]:
    """(question label, answer label, negative?) for the details answered, in survey order."""
    given = {a.question_code: a.value for a in answers}
    rows = []
    for q in questions.DETAILS:
        value = given.get(q.code)
        if value is not None:
            rows.append((q.label, dict(q.choices).get(value, value), value in q.negative))
    return rows


def negative_details(answers) -> list[tuple[object, object]]:
    """(short question label, answer label) of the negative details only."""
    return negative_given({a.question_code: a.value for a in answers})


def negative_given(given: dict[str, str]) -> list[tuple[object, object]]:
    """negative_details() of answers given as {question code: value}."""
    return [
        (q.short or q.label, dict(q.choices).get(given[q.code], given[q.code]))
        for q in questions.DETAILS
        if given.get(q.code) in q.negative
    ]


def reason_labels(answers) -> list[object]:
    """Labels of the ticked reasons, in survey order."""
    ticked = {a.value for a in answers if a.question_code == questions.REASONS_CODE}
    return [label for code, label in questions.REASONS if code in ticked]
