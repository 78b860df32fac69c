"""One parser for every date, month, year and whole number the app is given.

Query parameters, form fields, CSV columns and command-line arguments all go through
these functions, so a year 0001 or 9999, or a number the database cannot hold, is a
clear Vietnamese message (a 400 on the web, a named error in an import, a usage error on
the command line) and never an overflow deep inside a query.

- Years: 2000-2100 (the school's records start after 2000; the workday calendar, the
  holidays table and the report periods are built for this range, and UTC/local
  conversions of year 1 or 9999 overflow Python's datetime).
- Whole numbers: digits only (an optional leading "-"), within the 64-bit signed range of
  the database's BIGINT (SQLite's INTEGER is the same range; beyond it the driver fails).

`ParseError` is a ValueError whose `str()` is the translated message.
"""

import re
from datetime import date, datetime
from typing import TypeVar

import click
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

MIN_YEAR, MAX_YEAR = 2000, 2100
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?$")
_INT = re.compile(r"^-?\d{1,20}$")


class ParseError(ValueError):
    """A value outside what the app accepts; `str()` is the message for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _year_message():
    return _l("Năm phải trong khoảng %(low)d–%(high)d.", low=MIN_YEAR, high=MAX_YEAR)


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ParseError(_year_message())
    return year


Day = TypeVar("Day", bound=date)  # a date or a datetime


def check_day(value: Day) -> Day:
    """A date or datetime already parsed elsewhere (a form field): its year in range."""
    check_year(value.year)
    return value


def parse_date(text: str | None) -> date:
    """YYYY-MM-DD, a real calendar day in 2000-2100."""
    match = _DATE.match((text or "").strip())
    if not match:
        raise ParseError(_l("Ngày phải có dạng YYYY-MM-DD, ví dụ 2026-01-31."))
    check_year(int(match.group(1)))
    try:
        return date.fromisoformat(match.group(0))
    except ValueError:
        raise ParseError(_l("Ngày không tồn tại trong lịch.")) from None


def parse_month(text: str | None) -> date:
    """YYYY-MM in 2000-2100, as the first day of that month."""
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ParseError(_l("Tháng phải có dạng YYYY-MM, ví dụ 2020-01."))
    return date(check_year(int(match.group(1))), int(match.group(2)), 1)


def parse_datetime(text: str | None) -> datetime:
    """YYYY-MM-DDTHH:MM[:SS] (or a space for the T), naive, in 2000-2100."""
    match = _DATETIME.match((text or "").strip())
    if not match:
        raise ParseError(_l("Thời điểm phải có dạng YYYY-MM-DD HH:MM, ví dụ 2026-01-31 08:30."))
    check_year(int(match.group(1)))
    try:
        return datetime.fromisoformat(match.group(0).replace(" ", "T"))
    except ValueError:
        raise ParseError(_l("Ngày không tồn tại trong lịch.")) from None


def parse_year(text: str | None) -> int:
    raw = (text or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) != 4:
        raise ParseError(_year_message())
    return check_year(int(raw))


def parse_int(text: str | int | None, minimum: int = INT_MIN, maximum: int = INT_MAX) -> int:
    """A whole number written in ASCII digits, within [minimum, maximum] and 64-bit signed."""
    raw = text if isinstance(text, int) else (text or "").strip()
    if isinstance(raw, str):
        if not _INT.match(raw) or not raw.isascii():
            raise ParseError(_l("Phải là một số nguyên."))
        raw = int(raw)
    if not max(minimum, INT_MIN) <= raw <= min(maximum, INT_MAX):
        raise ParseError(_l("Số nằm ngoài khoảng cho phép."))
    return raw


def parse_id(text: str | None) -> int:
    """A row id from a query string or form: a positive 64-bit integer."""
    return parse_int(text, minimum=1)


# --- WTForms: validators for fields WTForms has already turned into values -------------


class InRange:
    """For DateField / DateTimeLocalField / IntegerField: the year in 2000-2100, or the
    number within the database's range. Chain after DataRequired/Optional."""

    def __init__(self, minimum: int = INT_MIN, maximum: int = INT_MAX):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field) -> None:
        value = field.data
        try:
            if isinstance(value, date):  # datetime is a date too
                check_day(value)
            elif isinstance(value, int):
                parse_int(value, self.minimum, self.maximum)
        except ParseError as error:
            raise ValidationError(str(error)) from None


# --- click: command-line arguments -----------------------------------------------------


class _ClickType(click.ParamType):
    def __init__(self, name: str, parse):
        self.name, self._parse = name, parse

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except ParseError as error:
            self.fail(str(error), param, ctx)


DATE = _ClickType("YYYY-MM-DD", parse_date)
MONTH = _ClickType("YYYY-MM", parse_month)
YEAR = _ClickType("YYYY", parse_year)
INT = _ClickType("INTEGER", parse_int)


# --- URL paths: <int:...> never beyond the database's integers -------------------------


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` that does not match past 2**63 - 1 (a 404, not an overflow in the driver)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)
