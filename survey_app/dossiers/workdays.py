"""Working days: Mon–Fri, minus Vietnamese public holidays (with the substitute days off and
the make-up working Saturdays the `holidays` package knows), minus extra days off, plus
make-up working days entered by the school or the office (CalendarDay rows win).

The day of receipt is not counted; receipt after the cut-off hour (a dated rule) counts
from the next working day.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import or_, select

from survey_app.extensions import db
from survey_app.rules import get_rule
from survey_app.timeutil import to_local


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


@lru_cache(maxsize=64)
def make_up_saturdays(year: int) -> frozenset[date]:
    """Weekend days the government moved a day off from (e.g. Saturday 4/5/2024)."""
    known = holidays.country_holidays("VN", years=year).weekend_workdays
    return frozenset(d for d in known if d.year == year)


def public_holidays(year: int, language: str = "vi") -> list[tuple[date, str]]:
    """The package's holidays of `year` with their names, for the calendar page."""
    return sorted(holidays.country_holidays("VN", years=year, language=language).items())


class WorkCalendar:
    """A school's calendar, with its overrides loaded once for the years asked about."""

    def __init__(self, school_id: int | None, overrides: dict[date, str] | None = None):
        self.school_id = school_id
        self._overrides = overrides
        self._years: set[int] = set()
        self._days: dict[date, str] = {}
        self._rules: dict[tuple[str, date], object] = {}

    def rule(self, key: str, on: date):
        """A dated rule of this school, looked up once per day (imports ask thousands of times)."""
        if (key, on) not in self._rules:
            self._rules[key, on] = get_rule(key, self.school_id, on)
        return self._rules[key, on]

    def _load(self, year: int) -> None:
        if year in self._years:
            return
        self._years.add(year)
        if self._overrides is not None:
            self._days.update({d: k for d, k in self._overrides.items() if d.year == year})
            return
        from survey_app.dossiers.models import CalendarDay

        rows = db.session.execute(
            select(CalendarDay.day, CalendarDay.kind, CalendarDay.school_id)
            .where(
                CalendarDay.day >= date(year, 1, 1),
                CalendarDay.day <= date(year, 12, 31),
                or_(CalendarDay.school_id.is_(None), CalendarDay.school_id == self.school_id),
            )
            .order_by(CalendarDay.school_id.is_(None).desc())  # school's own rows win
        ).all()
        for day, kind, _school in rows:
            self._days[day] = kind.value if hasattr(kind, "value") else kind

    def is_working_day(self, d: date) -> bool:
        self._load(d.year)
        kind = self._days.get(d)
        if kind == "work":
            return True
        if kind == "off":
            return False
        if d in _public_holidays(d.year):
            return False
        return d.weekday() < 5 or d in make_up_saturdays(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The day `n` working days after `start` (start itself not counted)."""
        d = start
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count, d = 0, start
        while d < end:
            d += timedelta(days=1)
            count += self.is_working_day(d)
        return count

    def receipt_day(self, received_at_utc: datetime) -> date:
        """The day the clock starts from: after the cut-off, or on a day off, it moves on.

        The returned day is not itself counted; due = add_working_days(receipt_day, N).
        """
        local = to_local(received_at_utc)
        cutoff = time.fromisoformat(self.rule("cutoff_time", local.date()))
        day = local.date()
        if local.time() > cutoff or not self.is_working_day(day):
            # Treated as received on the next working day, which is then not counted.
            return self.next_working_day(day)
        return day

    def due_date(self, received_at_utc: datetime, working_days: int) -> date:
        return self.add_working_days(self.receipt_day(received_at_utc), working_days)
