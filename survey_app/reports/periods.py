"""Report periods: half-open ranges of local dates [start, end), named by a short key.

Keys: `2020-01` (month), `2020-Q1` (quarter), `2020-H1` (first half), `2020-9M` (January to
September), `2020` (year) and `2020-01-05..2020-02-10` (custom, both days included).

The plan's periodic reports are `2020-R3`, `2020-R6`, `2020-R9` and `2020-R12` (the 3-, 6-,
9-month and annual reports of reporting year 2020): their windows and due dates come from
dated rules (`report_year_start`, `report_months`, `report_due_dates`, `report_cutoff`), so
the same key may mean other days for another school; docs/reports.md explains the default.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from survey_app.dated_rules import get_rule
from survey_app.parsing import MAX_YEAR, MIN_YEAR
from survey_app.timeutil import period_bounds_utc

MAX_CUSTOM_DAYS = 3 * 366  # a longer custom range is refused (exports stay bounded)

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_CUMULATIVE = re.compile(r"(\d{4})-(H1|9M)")
_YEAR = re.compile(r"(\d{4})")
_CUSTOM = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
_REPORT = re.compile(r"(\d{4})-R(\d{1,2})")


class PeriodError(ValueError):
    """An unreadable or out-of-range period key."""


@dataclass(frozen=True)
class Period:
    key: str
    kind: str  # month, quarter, cumulative, year, custom, report (the plan's periodic ones)
    start: date
    end: date  # exclusive
    due: date | None = None  # a periodic report: send it before this day

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
        if self.kind == "report":
            months, named = int(self.key.split("-R")[1]), int(self.key[:4])
            if months == 12:
                return _("định kỳ năm %(y)d", y=named)
            return _("định kỳ %(n)d tháng năm %(y)d", n=months, y=named)
        if self.kind == "year":
            return _("Năm %(y)d", y=year)
        return _(
            "Từ %(a)s đến %(b)s",
            a=self.start.strftime("%d/%m/%Y"),
            b=self.last_day.strftime("%d/%m/%Y"),
        )

    def heading(self) -> str:
        """The label where it stands alone (a title, a list of periods): capitalised, so the
        plan's reports read "Định kỳ năm 2026" there and "... định kỳ năm 2026" in a
        sentence."""
        text = self.label()
        return text[:1].upper() + text[1:]

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


def parse_period(text: str | None, school_id: int | None = None) -> Period:
    """A Period from its key; PeriodError for anything else (no partial matches).

    A periodic report's key (`2020-R3`) reads the school's dated rules (an app context)."""
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
        if m := _REPORT.fullmatch(text):
            return plan_report(_year(m.group(1)), int(m.group(2)), school_id)
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


def _shift(d: date, months: int, day: int | None = None) -> date:
    first = _add_months(date(d.year, d.month, 1), months)
    return first.replace(day=day or d.day)


def plan_report(year: int, months: int, school_id: int | None = None) -> Period:
    """The periodic report of `months` months of reporting year `year`, with its due date.

    The reporting year is named by the calendar year it ends in and starts on the
    `report_year_start` day (default 1 November: the plan's reports due 15/2, 15/5, 15/8 and
    10/11 then cover November–January, –April, –July and –October). With the cut-off
    "decree_09" each window runs from the 15th of the month before to the 14th of its last
    month (Decree 09/2019/NĐ-CP art. 12). The rules in force on 1 January of `year` apply.
    """
    on = date(year, 1, 1)
    pairs = dict(
        zip(
            get_rule("report_months", school_id, on),
            get_rule("report_due_dates", school_id, on),
            strict=False,
        )
    )
    if months not in pairs:
        raise PeriodError(f"{year}-R{months}")
    mm, dd = (int(x) for x in get_rule("report_year_start", school_id, on).split("-"))
    start = date(year, mm, dd) if (mm, dd) == (1, 1) else date(year - 1, mm, dd)
    end = _shift(start, months)
    if get_rule("report_cutoff", school_id, on) == "decree_09":
        start, end = _shift(start, -1, 15), _shift(end, -1, 15)
    due_mm, due_dd = (int(x) for x in pairs[months].split("-"))
    due = date(end.year, due_mm, min(due_dd, 28 if due_mm == 2 else due_dd))
    if due < end:
        due = due.replace(year=end.year + 1)
    return Period(f"{year:04d}-R{months}", "report", start, end, due)


def plan_reports(year: int, school_id: int | None = None) -> list[Period]:
    """The periodic reports of reporting year `year`, in the order of the rule."""
    months = get_rule("report_months", school_id, date(year, 1, 1))
    dues = get_rule("report_due_dates", school_id, date(year, 1, 1))
    return [plan_report(year, m, school_id) for m in months[: len(dues)]]


def next_plan_report(school_id: int | None, today: date) -> Period | None:
    """The periodic report due next (due on or after `today`)."""
    coming = [
        p
        for year in (today.year - 1, today.year, today.year + 1, today.year + 2)
        for p in plan_reports(year, school_id)
        if p.due is not None and p.due >= today  # a plan report always has its due date
    ]
    return min(coming, key=lambda p: (p.due, p.end), default=None)


def tentative_until(period: Period, today: date) -> date | None:
    """A period not yet over is "tạm tính" (provisional) up to today; None once it is over."""
    return today if period.end > today else None


def cover_lines(period: Period, today: date) -> list[str]:
    """What every report states on its cover: its window, its due date, whether provisional."""
    lines = [
        _(
            "Kỳ số liệu: từ ngày %(a)s đến ngày %(b)s",
            a=period.start.strftime("%d/%m/%Y"),
            b=period.last_day.strftime("%d/%m/%Y"),
        )
    ]
    if period.due:
        lines.append(_("Hạn gửi: trước ngày %(d)s", d=period.due.strftime("%d/%m/%Y")))
    if until := tentative_until(period, today):
        lines.append(_("Số liệu tạm tính đến ngày %(d)s", d=until.strftime("%d/%m/%Y")))
    return lines


def recent_choices(today: date, school_id: int | None = None) -> list[Period]:
    """Periods offered in the report picker: the last 12 months, the plan's periodic reports
    begun by today, then calendar cumulative ones."""
    this_month = date(today.year, today.month, 1)
    months = [month_of(_add_months(this_month, -i)) for i in range(12)]
    reports = [
        p
        for year in (today.year + 1, today.year, today.year - 1)
        for p in reversed(plan_reports(year, school_id))
        if p.start <= today
    ]
    cumulative = []
    for year in (today.year, today.year - 1):
        for key in (f"{year}-Q1", f"{year}-H1", f"{year}-9M", f"{year}"):
            p = parse_period(key)
            if p.start <= today:
                cumulative.append(p)
    return months + reports + cumulative
