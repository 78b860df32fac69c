"""Enums whose members carry their label: the one home of every enum's words.

A member is declared `COUNTER = "counter", _l("Trực tiếp tại bộ phận một cửa")`: the value
is what the database stores, the label (a Vietnamese msgid, English from the catalog) is
what pages, exports and mail show (Django's TextChoices, for the idea). Templates reach the
enums through the `enums` name (see `survey_app.jinja_filters`); `enum_column` stores
any enum portably.
"""

import enum
from typing import Any

from sqlalchemy import Enum


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members are declared as (value, lazy label)."""

    _label: object  # the lazy label (a msgid): set on each member by __new__

    def __new__(cls, value: str, label: object = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = value if label is None else label
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        """(value, lazy label) pairs for a SelectField, in declaration order (Any: a lazy
        string, which Flask-Babel types no more than the rest)."""
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


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR + CHECK on both SQLite and PostgreSQL, stored by value."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
