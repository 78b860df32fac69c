"""Report periods: half-open ranges of local dates [start, end), named by a short key.

Keys: `2020-01` (month), `2020-Q1` (quarter), `2020-H1` (first half), `2020-9M` (January to
September), `2020` (year) and `2020-01-05..2020-02-10` (custom, both days included). The
plan's cumulative 3-, 6-, 9- and 12-month reports are `Q1`, `H1`, `9M` and the year.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from survey_app.parsing import MAX_YEAR, MIN_YEAR
from survey_app.timeutil import period_bounds_utc

MAX_CUSTOM_DAYS = 3 * 366  # a longer custom range is refused (exports stay bounded)

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_CUMULATIVE = re.compile(r"(\d{4})-(H1|9M)")
_YEAR = re.compile(r"(\d{4})")
_CUSTOM = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


class PeriodError(ValueError):
    """An unreadable or out-of-range period key."""


@dataclass(frozen=True)
class Period:
    key: str
    kind: str  # month, quarter, cumulative, year, custom
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def bounds_utc(self):
        return period_bounds_utc(self.start, self.end)

    @property
    def filable(self) -> bool:
        return self.kind != "custom"

    def label(self) -> str:
        """Vietnamese (or English) name, e.g. "Tháng 01/2020", "Quý I/2020"."""
        year = self.start.year
        if self.kind == "month":
            return _("Tháng %(m)02d/%(y)d", m=self.start.month, y=year)
        if self.kind == "quarter":
            n = (self.start.month - 1) // 3 + 1
            return _("Quý %(q)s/%(y)d", q=("I", "II", "III", "IV")[n - 1], y=year)
        if self.key.endswith("-H1"):
            return _("6 tháng đầu năm %(y)d", y=year)
        if self.key.endswith("-9M"):
            return _("9 tháng năm %(y)d", y=year)
        if self.kind == "year":
            return _("Năm %(y)d", y=year)
        return _(
            "Từ %(a)s đến %(b)s",
            a=self.start.strftime("%d/%m/%Y"),
            b=self.last_day.strftime("%d/%m/%Y"),
        )

    def months(self) -> list["Period"]:
        """The calendar months this period touches, in order."""
        out, d = [], date(self.start.year, self.start.month, 1)
        while d < self.end:
            out.append(month(d.year, d.month))
            d = _add_months(d, 1)
        return out


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:  # the one range of survey_app/parsing.py
        raise PeriodError(text)
    return year


def month(year: int, m: int) -> Period:
    start = date(year, m, 1)
    return Period(f"{year:04d}-{m:02d}", "month", start, _add_months(start, 1))


def month_of(d: date) -> Period:
    return month(d.year, d.month)


def year_to_date(d: date) -> Period:
    """January 1st up to the end of `d`'s month (the dashboard's "year to date")."""
    end = _add_months(date(d.year, d.month, 1), 1)
    return Period(
        f"{d.year:04d}-01-01..{(end - timedelta(days=1)).isoformat()}",
        "custom",
        date(d.year, 1, 1),
        end,
    )


def trailing_months(d: date, n: int = 12) -> Period:
    """The `n` calendar months ending with `d`'s month."""
    end = _add_months(date(d.year, d.month, 1), 1)
    start = _add_months(end, -n)
    return Period(
        f"{start.isoformat()}..{(end - timedelta(days=1)).isoformat()}", "custom", start, end
    )


def parse_period(text: str | None) -> Period:
    """A Period from its key; PeriodError for anything else (no partial matches)."""
    text = (text or "").strip()
    if len(text) > 25:
        raise PeriodError(text[:25])
    try:
        if m := _MONTH.fullmatch(text):
            month_n = int(m.group(2))
            if not 1 <= month_n <= 12:
                raise PeriodError(text)
            return month(_year(m.group(1)), month_n)
        if m := _QUARTER.fullmatch(text):
            year, q = _year(m.group(1)), int(m.group(2))
            start = date(year, 3 * q - 2, 1)
            return Period(text, "quarter", start, _add_months(start, 3))
        if m := _CUMULATIVE.fullmatch(text):
            year = _year(m.group(1))
            months = 6 if m.group(2) == "H1" else 9
            return Period(text, "cumulative", date(year, 1, 1), date(year, months + 1, 1))
        if m := _YEAR.fullmatch(text):
            year = _year(text)
            return Period(text, "year", date(year, 1, 1), date(year + 1, 1, 1))
        if m := _CUSTOM.fullmatch(text):
            first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            _year(str(first.year)), _year(str(last.year))
            if last < first or (last - first).days >= MAX_CUSTOM_DAYS:
                raise PeriodError(text)
            return Period(text, "custom", first, last + timedelta(days=1))
    except ValueError as error:  # date.fromisoformat on 2020-02-30 and the like
        raise PeriodError(text) from error
    raise PeriodError(text)


def custom(first: date, last: date) -> Period:
    """Both days included."""
    return parse_period(f"{first.isoformat()}..{last.isoformat()}")


def recent_choices(today: date) -> list[Period]:
    """Periods offered in the report picker: the last 12 months, then cumulative ones."""
    this_month = date(today.year, today.month, 1)
    months = [month_of(_add_months(this_month, -i)) for i in range(12)]
    cumulative = []
    for year in (today.year, today.year - 1):
        for key in (f"{year}-Q1", f"{year}-H1", f"{year}-9M", f"{year}"):
            p = parse_period(key)
            if p.start <= today:
                cumulative.append(p)
    return months + cumulative


def report_for_due_date(due: date) -> Period:
    """The cumulative report due on `due`: the latest Q1 / H1 / 9M / year ended before it."""
    candidates = []
    for year in (due.year, due.year - 1):
        for key in (f"{year}", f"{year}-9M", f"{year}-H1", f"{year}-Q1"):
            p = parse_period(key)
            if p.end <= due:
                candidates.append(p)
    return max(candidates, key=lambda p: (p.end, p.end - p.start))
