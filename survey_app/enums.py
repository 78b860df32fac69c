"""Enums whose members carry their label: the one home of every enum's words.

A member is declared `COUNTER = "counter", _l("Trực tiếp tại bộ phận một cửa")`: the value
is what the database stores, the label (a Vietnamese msgid, English from the catalog) is
what pages, exports and mail show (Django's TextChoices, for the idea). Templates reach the
enums through the `enums` name (see `survey_app.template_enums`).
"""

import enum


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members are declared as (value, lazy label)."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = value if label is None else label
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        """(value, lazy label) pairs for a SelectField, in declaration order."""
        return [(m.value, m._label) for m in cls]

    @classmethod
    def label_of(cls, value) -> str:
        """The label of a stored value (a member or its string); unknown values as they are."""
        if value is None:
            return ""
        try:
            return cls(getattr(value, "value", value)).label
        except ValueError:
            return str(value)
