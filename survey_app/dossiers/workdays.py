"""Working days: Mon–Fri, minus Vietnamese public holidays (with the substitute days off and
the make-up working Saturdays the `holidays` package knows), then the government's yearly
swaps shipped in `data/vn_day_swaps.csv` (each with its notice), then the days entered by
the school or the office (CalendarDay rows win over everything).

Receipt (Labour Code art. 112 for the holidays; the office hours are a dated rule): a dossier
received inside the desk's opening hours has its day of receipt not counted; one received
outside them (counter, postal or online alike) counts as received at the next opening.
"""

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import or_, select

from survey_app.dated_rules import get_rule
from survey_app.dossiers.models import CalendarDay
from survey_app.extensions import db
from survey_app.timeutil import local_to_utc, to_local

SWAPS_FILE = Path(__file__).parent / "data" / "vn_day_swaps.csv"


@dataclass(frozen=True)
class Swap:
    """A day the government moved: `off` (a weekday off) or `work` (a make-up Saturday)."""

    day: date
    kind: str
    description: str
    source: str  # the notice, e.g. "Công văn số 12729/VPCP-KGVX ngày 25/12/2025"
    verified: bool


@lru_cache(maxsize=1)
def shipped_swaps() -> dict[date, Swap]:
    """The yearly swaps shipped with the application, by day."""
    with SWAPS_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for row in rows:
        swap = Swap(
            date.fromisoformat(row["date"]),
            row["kind"],
            row["description"],
            row["source"],
            row["verified"] == "yes",
        )
        if swap.kind not in ("off", "work"):
            raise ValueError(f"{SWAPS_FILE.name}: kind {swap.kind!r} on {swap.day}")
        out[swap.day] = swap
    return out


def swaps_of(year: int) -> list[Swap]:
    """The shipped swaps of `year`, for the calendar page."""
    return sorted((s for s in shipped_swaps().values() if s.day.year == year), key=lambda s: s.day)


def parse_hours(value) -> list[tuple[time, time]]:
    """The office_hours rule as sorted (open, close) pairs; ValueError when unreadable."""
    sessions = sorted((time.fromisoformat(a), time.fromisoformat(b)) for a, b in value)
    if not sessions or any(a >= b for a, b in sessions):
        raise ValueError(value)
    if any(prev[1] > nxt[0] for prev, nxt in zip(sessions, sessions[1:], strict=False)):
        raise ValueError(value)
    return sessions


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    import holidays  # its country tables: loaded by the first working-day count, not the app

    return frozenset(holidays.country_holidays("VN", years=year).keys())


@lru_cache(maxsize=64)
def make_up_saturdays(year: int) -> frozenset[date]:
    """Weekend days the government moved a day off from (e.g. Saturday 4/5/2024)."""
    import holidays

    known = holidays.country_holidays("VN", years=year).weekend_workdays
    return frozenset(d for d in known if d.year == year)


def public_holidays(year: int, language: str = "vi") -> list[tuple[date, str]]:
    """The package's holidays of `year` with their names, for the calendar page."""
    import holidays

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
        if kind is None and d in shipped_swaps():
            kind = shipped_swaps()[d].kind
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

    def office_hours(self, on: date) -> list[tuple[time, time]]:
        """The desk's opening hours in force on `on`."""
        return parse_hours(self.rule("office_hours", on))

    def hours_text(self, on: date) -> str:
        """The opening hours as printed on the papers: "07:30–11:30, 13:30–17:00"."""
        return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.office_hours(on))

    def is_open(self, received_at_utc: datetime) -> bool:
        """Inside the desk's opening hours (both ends included) on a working day."""
        local = to_local(received_at_utc)
        day, at = local.date(), local.time().replace(tzinfo=None)
        if not self.is_working_day(day):
            return False
        return any(a <= at <= b for a, b in self.office_hours(day))

    def next_opening(self, received_at_utc: datetime) -> datetime:
        """When a dossier received at this instant counts as received: the instant itself
        inside the opening hours, else the next opening (naive UTC)."""
        if self.is_open(received_at_utc):
            return received_at_utc
        local = to_local(received_at_utc)
        day, at = local.date(), local.time().replace(tzinfo=None)
        if self.is_working_day(day):
            for opens, _closes in self.office_hours(day):
                if at < opens:
                    return local_to_utc(datetime.combine(day, opens))
        day = self.next_working_day(day)
        return local_to_utc(datetime.combine(day, self.office_hours(day)[0][0]))

    def receipt_day(self, received_at_utc: datetime) -> date:
        """The day the clock starts from, itself not counted: the day of the next opening.

        Inside the opening hours that is the day of receipt; outside them (after closing, on
        a day off) the day of the next opening. due = add_working_days(receipt_day, N).
        """
        return to_local(self.next_opening(received_at_utc)).date()

    def due_date(self, received_at_utc: datetime, working_days: int) -> date:
        return self.add_working_days(self.receipt_day(received_at_utc), working_days)
