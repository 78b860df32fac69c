"""Working days: properties of the arithmetic, and worked cases from real calendars."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.dated_rules import set_rule
from survey_app.dossiers.models import CalendarDay, DayKind
from survey_app.dossiers.workdays import WorkCalendar, parse_hours, shipped_swaps, swaps_of
from survey_app.extensions import db
from survey_app.timeutil import local_to_utc

DAYS = st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31))
OVERRIDES = st.dictionaries(DAYS, st.sampled_from(["off", "work"]), max_size=30)
SETTINGS = settings(max_examples=150, deadline=None)


def _calendar(overrides) -> WorkCalendar:
    """A calendar without the database: public holidays plus these overrides."""
    return WorkCalendar(None, overrides=overrides)


@SETTINGS
@given(start=DAYS, n=st.integers(1, 40), overrides=OVERRIDES)
def test_result_is_a_working_day_after_the_start(start, n, overrides):
    cal = _calendar(overrides)
    due = cal.add_working_days(start, n)
    assert cal.is_working_day(due)
    assert due > start


@SETTINGS
@given(start=DAYS, overrides=OVERRIDES)
def test_zero_days_is_the_start_itself(start, overrides):
    assert _calendar(overrides).add_working_days(start, 0) == start


@SETTINGS
@given(start=DAYS, a=st.integers(0, 30), b=st.integers(0, 30), overrides=OVERRIDES)
def test_monotonic_in_days_and_in_start(start, a, b, overrides):
    cal = _calendar(overrides)
    lo, hi = sorted((a, b))
    assert cal.add_working_days(start, lo) <= cal.add_working_days(start, hi)
    later = start + timedelta(days=abs(a - b))
    assert cal.add_working_days(start, lo) <= cal.add_working_days(later, lo)


@SETTINGS
@given(start=DAYS, n=st.integers(0, 40), overrides=OVERRIDES)
def test_working_days_between_inverts_add(start, n, overrides):
    cal = _calendar(overrides)
    assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


@SETTINGS
@given(start=DAYS, a=st.integers(0, 20), b=st.integers(0, 20), overrides=OVERRIDES)
def test_adding_in_two_steps_equals_adding_once(start, a, b, overrides):
    cal = _calendar(overrides)
    assert cal.add_working_days(cal.add_working_days(start, a), b) == cal.add_working_days(
        start, a + b
    )


@SETTINGS
@given(a=DAYS, b=DAYS, overrides=OVERRIDES)
def test_working_days_between_is_antisymmetric_and_bounded(a, b, overrides):
    cal = _calendar(overrides)
    assert cal.working_days_between(a, b) == -cal.working_days_between(b, a)
    assert abs(cal.working_days_between(a, b)) <= abs((b - a).days)


@SETTINGS
@given(day=DAYS)
def test_overrides_win_over_the_default(day):
    assert _calendar({day: "work"}).is_working_day(day)
    assert not _calendar({day: "off"}).is_working_day(day)


# --- worked cases ------------------------------------------------------------------

PLAIN = _calendar({})


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Tết 2020: Thursday 23/01 to Wednesday 29/01 off, with the weekend inside.
        (date(2020, 1, 22), 1, date(2020, 1, 30)),
        (date(2020, 1, 22), 3, date(2020, 2, 3)),
        (date(2020, 1, 21), 1, date(2020, 1, 22)),
        # 30/4 (Thursday) and 1/5 (Friday) 2020, then the weekend.
        (date(2020, 4, 29), 1, date(2020, 5, 4)),
        (date(2020, 4, 28), 2, date(2020, 5, 4)),
        # National Day 2/9/2020 (Wednesday).
        (date(2020, 9, 1), 1, date(2020, 9, 3)),
        # Two days of National Day since 2021: Monday 1/9 and Tuesday 2/9/2025.
        (date(2025, 8, 29), 1, date(2025, 9, 3)),
        # 2024: Monday 29/4 off in exchange for Saturday 4/5, a working day.
        (date(2024, 4, 26), 1, date(2024, 5, 2)),
        (date(2024, 5, 3), 1, date(2024, 5, 4)),
        (date(2024, 5, 4), 1, date(2024, 5, 6)),
        # An ordinary week: Friday + 1 is Monday.
        (date(2020, 3, 6), 1, date(2020, 3, 9)),
    ],
)
def test_worked_cases_from_the_public_calendar(start, n, due):
    assert PLAIN.add_working_days(start, n) == due


def test_tet_2020_days_are_off():
    for day in range(23, 30):
        assert not PLAIN.is_working_day(date(2020, 1, day))
    assert PLAIN.is_working_day(date(2020, 1, 22)) and PLAIN.is_working_day(date(2020, 1, 30))
    assert PLAIN.working_days_between(date(2020, 1, 22), date(2020, 1, 31)) == 2


def test_extra_day_off_and_make_up_saturday_from_calendar_rows(app, make):
    school = make.school()
    db.session.add_all(
        [
            CalendarDay(school_id=school.id, day=date(2020, 2, 3), kind=DayKind.OFF, note="nghỉ"),
            CalendarDay(school_id=school.id, day=date(2020, 2, 8), kind=DayKind.WORK, note="bù"),
        ]
    )
    db.session.commit()
    cal = WorkCalendar(school.id)
    assert cal.add_working_days(date(2020, 1, 22), 3) == date(2020, 2, 4)  # skips Mon 3/2
    assert cal.add_working_days(date(2020, 2, 7), 1) == date(2020, 2, 8)  # Saturday worked
    # Another school keeps the plain calendar.
    other = make.school(code="OTHER", name="Trường khác")
    assert WorkCalendar(other.id).add_working_days(date(2020, 1, 22), 3) == date(2020, 2, 3)


def test_office_row_applies_to_all_and_the_schools_own_row_wins(app, make):
    school = make.school()
    other = make.school(code="OTHER", name="Trường khác")
    db.session.add_all(
        [
            CalendarDay(school_id=None, day=date(2020, 3, 9), kind=DayKind.OFF, note="toàn phường"),
            CalendarDay(school_id=school.id, day=date(2020, 3, 9), kind=DayKind.WORK, note="trực"),
        ]
    )
    db.session.commit()
    assert WorkCalendar(school.id).is_working_day(date(2020, 3, 9))
    assert not WorkCalendar(other.id).is_working_day(date(2020, 3, 9))


@pytest.mark.parametrize(
    ("local_received", "receipt_day", "due_in_one_day"),
    [
        (datetime(2020, 3, 2, 8, 0), date(2020, 3, 2), date(2020, 3, 3)),
        # 16:45 is inside the default hours (until 17:00): no extra day.
        (datetime(2020, 3, 2, 16, 45), date(2020, 3, 2), date(2020, 3, 3)),
        (datetime(2020, 3, 2, 17, 0), date(2020, 3, 2), date(2020, 3, 3)),  # closing minute
        # 17:30 is after closing: received at the next opening, Tuesday 07:30.
        (datetime(2020, 3, 2, 17, 30), date(2020, 3, 3), date(2020, 3, 4)),
        # The lunch break: the next opening is 13:30 the same day.
        (datetime(2020, 3, 2, 12, 0), date(2020, 3, 2), date(2020, 3, 3)),
        (datetime(2020, 3, 2, 6, 15), date(2020, 3, 2), date(2020, 3, 3)),  # before opening
        (datetime(2020, 3, 6, 17, 30), date(2020, 3, 9), date(2020, 3, 10)),  # Friday evening
        (datetime(2020, 3, 7, 9, 0), date(2020, 3, 9), date(2020, 3, 10)),  # a Saturday
        (datetime(2020, 1, 22, 16, 45), date(2020, 1, 22), date(2020, 1, 30)),  # eve of Tết
        (datetime(2020, 1, 25, 10, 0), date(2020, 1, 30), date(2020, 1, 31)),  # during Tết
    ],
)
def test_office_hours_and_days_off_move_the_receipt(
    app, make, local_received, receipt_day, due_in_one_day
):
    cal = WorkCalendar(make.school().id)
    received_utc = local_to_utc(local_received)
    assert cal.receipt_day(received_utc) == receipt_day
    assert cal.due_date(received_utc, 1) == due_in_one_day
    assert cal.due_date(received_utc, 0) == receipt_day


def test_the_next_opening_is_the_instant_a_dossier_counts_from(app, make):
    cal = WorkCalendar(make.school().id)
    at = local_to_utc(datetime(2020, 3, 2, 16, 45))
    assert cal.is_open(at) and cal.next_opening(at) == at
    lunch = local_to_utc(datetime(2020, 3, 2, 12, 0))
    assert not cal.is_open(lunch)
    assert cal.next_opening(lunch) == local_to_utc(datetime(2020, 3, 2, 13, 30))
    evening = local_to_utc(datetime(2020, 3, 2, 17, 30))
    assert cal.next_opening(evening) == local_to_utc(datetime(2020, 3, 3, 7, 30))
    # Online on a Saturday: the next opening is Monday morning.
    saturday = local_to_utc(datetime(2026, 3, 7, 21, 5))
    assert cal.next_opening(saturday) == local_to_utc(datetime(2026, 3, 9, 7, 30))
    assert cal.due_date(saturday, 5) == date(2026, 3, 16)


def test_office_hours_are_a_dated_rule_of_the_school(app, make):
    school = make.school()
    set_rule("office_hours", [["07:00", "11:00"], ["13:00", "16:00"]], date(2020, 3, 1), school.id)
    db.session.commit()
    cal = WorkCalendar(school.id)
    assert cal.receipt_day(local_to_utc(datetime(2020, 3, 2, 16, 45))) == date(2020, 3, 3)
    assert cal.receipt_day(local_to_utc(datetime(2020, 2, 28, 16, 45))) == date(2020, 2, 28)
    assert cal.next_opening(local_to_utc(datetime(2020, 3, 2, 16, 45))) == local_to_utc(
        datetime(2020, 3, 3, 7, 0)
    )
    other = make.school(code="OTHER", name="Trường khác")
    assert WorkCalendar(other.id).receipt_day(local_to_utc(datetime(2020, 3, 2, 16, 45))) == date(
        2020, 3, 2
    )


def test_unreadable_office_hours_are_refused():
    for bad in ([], [["11:30", "07:30"]], [["07:30", "12:00"], ["11:00", "17:00"]], [["x", "y"]]):
        with pytest.raises(ValueError):
            parse_hours(bad)
    assert parse_hours([["13:30", "17:00"], ["07:30", "11:30"]])[0] == (time(7, 30), time(11, 30))


# --- the government's yearly swaps ------------------------------------------------


def test_new_year_2026_swap_friday_off_saturday_worked():
    assert not PLAIN.is_working_day(date(2026, 1, 2))  # Friday 2/1/2026 off
    assert PLAIN.is_working_day(date(2026, 1, 10))  # Saturday 10/1/2026 worked
    assert not PLAIN.is_working_day(date(2026, 1, 3))
    # Wednesday 31/12/2025 + 1 working day: Thu 1/1 (holiday), Fri 2/1 (swapped off), weekend.
    assert PLAIN.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    assert PLAIN.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)
    assert PLAIN.add_working_days(date(2026, 1, 9), 2) == date(2026, 1, 12)
    assert PLAIN.working_days_between(date(2026, 1, 4), date(2026, 1, 11)) == 6


def test_new_year_2026_swap_on_a_dossier_received_there(app, make):
    cal = WorkCalendar(make.school().id)
    on_saturday = local_to_utc(datetime(2026, 1, 10, 9, 0))  # the desk is open: a working day
    assert cal.receipt_day(on_saturday) == date(2026, 1, 10)
    assert cal.due_date(on_saturday, 1) == date(2026, 1, 12)
    on_friday = local_to_utc(datetime(2026, 1, 2, 9, 0))  # swapped off: counts from Monday
    assert cal.receipt_day(on_friday) == date(2026, 1, 5)


def test_a_due_date_crossing_tet_2026():
    # Tết Bính Ngọ: Saturday 14/2 to Sunday 22/2/2026 off.
    for day in range(14, 23):
        assert not PLAIN.is_working_day(date(2026, 2, day))
    assert PLAIN.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert PLAIN.add_working_days(date(2026, 2, 11), 5) == date(2026, 2, 25)  # 12, 13, 23, 24, 25
    assert PLAIN.working_days_between(date(2026, 2, 12), date(2026, 2, 24)) == 3


def test_shipped_swaps_name_their_source_and_move_real_days():
    swaps = shipped_swaps()
    assert swaps[date(2026, 1, 2)].kind == "off"
    assert "12729/VPCP-KGVX" in swaps[date(2026, 1, 2)].source
    assert swaps[date(2026, 1, 10)].kind == "work"
    for swap in swaps.values():
        assert swap.source and swap.description
        if not swap.verified:
            assert "chưa xác minh" in swap.source  # an unverified number says so
        if swap.kind == "work":
            assert swap.day.weekday() >= 5  # a make-up day is a weekend day
        else:
            assert swap.day.weekday() < 5
    assert [s.day for s in swaps_of(2026)][:2] == [date(2026, 1, 2), date(2026, 1, 10)]


def test_a_schools_own_day_wins_over_the_shipped_swap(app, make):
    school = make.school()
    db.session.add(
        CalendarDay(school_id=school.id, day=date(2026, 1, 10), kind=DayKind.OFF, note="trường")
    )
    db.session.commit()
    assert not WorkCalendar(school.id).is_working_day(date(2026, 1, 10))
    assert WorkCalendar(make.school(code="B", name="B").id).is_working_day(date(2026, 1, 10))
