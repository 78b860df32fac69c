"""Every figure of docs/figures.md, as SQL aggregates. The one home of every number.

Dashboard, charts, exports, CLI and tests call these functions. Nothing here loads rows
into Python: each function is one (or two) aggregate queries over a scope (one school, or
all schools when `school_id` is None) and a Period of local dates.

`group` splits a figure by "procedure" (code), "clerk" (received_by), "school" or "month"
(local month of the figure's own date column); None gives the whole scope under key None.
"""

from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    ColumnExpressionArgument,
    Integer,
    and_,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from survey_app import questions
from survey_app.cases import queries as case_queries
from survey_app.cases.models import Case
from survey_app.dated_rules import get_rule
from survey_app.dossiers import register
from survey_app.dossiers.models import (
    Apology,
    Dossier,
    DossierStatus,
    IntakeChannel,
    Notice,
    NoticeKind,
    Procedure,
)
from survey_app.extensions import db
from survey_app.reports.periods import Period
from survey_app.reports.sql import (
    days_between,
    dialect,
    local_month,
    median,
    unindexed,
)
from survey_app.survey.models import ASSISTED, SELF_SERVICE, Answer, Overall, Response
from survey_app.timeutil import day_start_utc, local_today

SATISFIED = (Overall.VERY_SATISFIED, Overall.SATISFIED)


def _n(condition):
    """COUNT of rows where `condition` holds (0, not NULL, on an empty group).

    COUNT(*) FILTER (WHERE ...) (PostgreSQL 9.4, SQLite 3.30): cheaper per row than
    SUM(CASE ...), which the intake's nineteen figures over a month's dossiers feel.
    """
    return func.count().filter(condition)


def _is_late() -> ColumnElement[bool]:
    """Dossier.is_late in SQL, for and_() and or_(): typed bool | None after its Python side
    (NULL while not resolved), which they are not typed to take; SQL takes it (not true)."""
    return cast(ColumnElement[bool], Dossier.is_late)


@dataclass
class Intake:
    """Dossiers received in the period, and the answers about them."""

    received: int = 0
    counter: int = 0
    postal: int = 0
    online_l3: int = 0
    online_l4: int = 0
    withdrawn: int = 0
    surveyed: int = 0  # dossiers with a response (at most one each: a unique constraint)
    satisfied: int = 0  # very satisfied + satisfied
    very_satisfied: int = 0
    satisfied_only: int = 0
    dissatisfied: int = 0
    qr: int = 0
    code: int = 0
    paper: int = 0
    kiosk: int = 0
    paper_late: int = 0  # paper forms entered after the link expired (with their reason)
    self_satisfied: int = 0
    assisted_satisfied: int = 0
    comments: int = 0
    suggestions: int = 0  # comments on satisfied responses

    @property
    def online(self) -> int:
        return self.online_l3 + self.online_l4

    @property
    def self_service(self) -> int:
        return self.qr + self.code

    @property
    def assisted(self) -> int:
        return self.paper + self.kiosk


@dataclass
class Returns:
    """Dossiers resolved in the period, against their due date: resolved is when the result
    was ready, the return (pickup) where no ready time was recorded (Dossier.is_late)."""

    returned: int = 0  # resolved (the one-stop table's "đã giải quyết")
    early: int = 0
    on_time: int = 0
    late: int = 0
    late_apologised: int = 0  # late, with an apology in time (Apology.in_time)
    apologised: int = 0  # late, with an apology (in time or not)
    apology_backdated: int = 0  # of those, apologies whose issue time was entered after the fact
    backdated: int = 0  # of the resolved, returns entered after the fact ("nhập bù")
    ready_recorded: int = 0  # of the resolved, with a ready time apart from the pickup

    @property
    def apologised_late(self) -> int:
        """Late, with an apology that was not in time."""
        return self.apologised - self.late_apologised


@dataclass
class Flow:
    """The rest of the one-stop table: carried over, withdrawn, still open at the end."""

    carried_over: int = 0
    withdrawn: int = 0
    open_end: int = 0
    open_end_past_due: int = 0

    @property
    def open_end_within_due(self) -> int:
        return self.open_end - self.open_end_past_due


@dataclass
class CaseFigures:
    opened: int = 0
    serious: int = 0
    resolved: int = 0
    open_end: int = 0
    overdue: int = 0
    median_days: float | None = None


def _scope(column, school_id: int | None):
    return column == school_id if school_id is not None else True


def _group_key(group: str | None, date_column):
    if group is None:
        return None
    if group == "procedure":
        return Procedure.code
    if group == "clerk":
        return Dossier.received_by_id
    if group == "school":
        return Dossier.school_id
    if group == "month":
        return local_month(date_column)
    raise ValueError(group)


def _grouped(base, group: str | None):
    """`base` joined to Procedure when grouping by procedure code (shared by all schools)."""
    if group == "procedure":
        return base.join(Procedure, Procedure.id == Dossier.procedure_id)
    return base


def _aggregate(cls, columns: dict, group_key, base) -> dict:
    """Run `base` with `columns` (named like cls's fields), grouped by `group_key`."""
    labelled = [expr.label(name) for name, expr in columns.items()]
    if group_key is not None:
        stmt = base.add_columns(group_key.label("k"), *labelled).group_by(group_key)
    else:
        stmt = base.add_columns(*labelled)
    out = {}
    for row in db.session.execute(stmt).mappings():
        key = row["k"] if group_key is not None else None
        out[key] = cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})
    if group_key is None and None not in out:
        out[None] = cls()
    return out


def total(cls, parts):
    """The sum of `parts` (Intake or Returns rows of a grouping that covers the scope, e.g.
    by school): the scope's figures without a second pass over the same rows."""
    return cls(**{f.name: sum(getattr(p, f.name) for p in parts) for f in fields(cls)})


def _received_ids(school_id: int | None, a, b) -> tuple[int, int] | None:
    """The lowest and highest id of the dossiers in scope received in [a, b), on PostgreSQL.

    Dossier ids follow the order of entry, so a period's dossiers are a narrow id range,
    and so are their responses in the indexes on response.dossier_id. Told it as constants,
    PostgreSQL reads it once and hash-joins it to the period's dossiers, instead of one
    index lookup per dossier; the bound follows from the join, so no figure changes. (On
    SQLite, which joins by lookups only, it would buy nothing: None.) min/max over
    `unindexed(id)` so that the planner does not walk the primary key looking for them.
    Kept for intake() (and national(), provenance(), which share its join: see
    _received_with_responses) and aspects(), each on its measurement: B3 measured intake 0.19 s
    with both, 1.11 s without the range and 0.98 s with a plain min/max (BENCHMARKS.md,
    "The request path, plain"); B7 (2,000 schools, 10 M responses) measured the office's
    answers' distribution 0.63 s with the range and 2.05 s without it, where PostgreSQL
    read all 10 M responses to find the month's 410,000 (BENCHMARKS.md, B7).
    """
    if dialect() != "postgresql":
        return None
    d = Dossier
    row = db.session.execute(
        select(func.min(unindexed(d.id)), func.max(unindexed(d.id))).where(
            _scope(d.school_id, school_id), d.received_at >= a, d.received_at < b
        )
    ).one()
    return None if row[0] is None else (row[0], row[1])


def _received_with_responses(school_id: int | None, period: Period, answered_only=False):
    """SELECT over the dossiers in scope received in `period`, joined to their responses
    (at most one each; outer unless `answered_only`): the rows of intake(), national() and
    provenance(). Both engines read the responses through the unique index on dossier_id,
    PostgreSQL as one range of it (see _received_ids); without the range it read the whole
    response table for one school's month (B3: national() 0.41 s, provenance() 0.27 s)."""
    a, b = period.bounds_utc
    r, d = Response, Dossier
    ids = _received_ids(school_id, a, b)
    # With the id range (PostgreSQL), the dossiers are held to its end: one entered after
    # it was read is left out of both sides, as if the report ran a moment earlier. (Not
    # to its start as well: taking the two ranges as independent, the planner would expect
    # a few thousand dossiers and give up the parallel plan.)
    on = and_(r.dossier_id == d.id, r.dossier_id.between(*ids) if ids else true())
    return (
        select()
        .select_from(d)
        .join(r, on, isouter=not answered_only)
        .where(_scope(d.school_id, school_id), d.received_at >= a, d.received_at < b)
        .where((d.id <= ids[1]) if ids else true())
    )


def intake(school_id: int | None, period: Period, group: str | None = None) -> dict:
    r, d = Response, Dossier
    empty: ColumnClause[str] = literal_column("''")
    has_comment = func.coalesce(func.trim(r.comment), empty) != empty
    sat = r.overall.in_(SATISFIED)
    columns = {
        "received": func.count(d.id),
        "counter": _n(d.intake_channel == IntakeChannel.COUNTER),
        "postal": _n(d.intake_channel == IntakeChannel.POSTAL),
        "online_l3": _n(d.intake_channel == IntakeChannel.ONLINE_L3),
        "online_l4": _n(d.intake_channel == IntakeChannel.ONLINE_L4),
        "withdrawn": _n(d.status == DossierStatus.WITHDRAWN),
        "surveyed": func.count(r.id),
        "satisfied": _n(sat),
        "very_satisfied": _n(r.overall == Overall.VERY_SATISFIED),
        "satisfied_only": _n(r.overall == Overall.SATISFIED),
        "dissatisfied": _n(r.overall == Overall.DISSATISFIED),
        "qr": _n(r.channel == "qr"),
        "code": _n(r.channel == "code"),
        "paper": _n(r.channel == "paper"),
        "kiosk": _n(r.channel == "kiosk"),
        "paper_late": _n(r.late_entry_reason.is_not(None)),
        "self_satisfied": _n(and_(r.channel.in_(SELF_SERVICE), sat)),
        "assisted_satisfied": _n(and_(r.channel.in_(ASSISTED), sat)),
        "comments": _n(has_comment),
        "suggestions": _n(and_(has_comment, sat)),
    }
    base = _received_with_responses(school_id, period)
    return _aggregate(Intake, columns, _group_key(group, d.received_at), _grouped(base, group))


def returns(school_id: int | None, period: Period, group: str | None = None) -> dict:
    a, b = period.bounds_utc
    d = Dossier
    resolved_on = d.resolved_on
    columns = {
        "returned": func.count(d.id),
        "early": _n(resolved_on < d.due_date),
        "on_time": _n(resolved_on == d.due_date),
        "late": _n(d.is_late),
        "late_apologised": _n(and_(_is_late(), Apology.in_time)),
        "apologised": _n(and_(_is_late(), Apology.id.is_not(None))),
        "apology_backdated": _n(and_(_is_late(), Apology.entered_at.is_not(None))),
        "backdated": _n(d.return_entered_at.is_not(None)),
        "ready_recorded": _n(d.ready_at.is_not(None)),
    }
    # Resolved in [a, b): by the ready time where recorded, else by the return time
    # (Dossier.resolved_at, indexed as such); withdrawn dossiers are closed, not resolved.
    resolved_in = and_(d.resolved_at >= a, d.resolved_at < b)
    base = (
        select()
        .select_from(d)
        .outerjoin(Apology, Apology.dossier_id == d.id)
        .where(_scope(d.school_id, school_id), resolved_in, d.status != DossierStatus.WITHDRAWN)
    )
    return _aggregate(Returns, columns, _group_key(group, d.resolved_at), _grouped(base, group))


@dataclass
class Notices:
    """One-stop forms issued in the period (docs/forms.md): supplement requests (Mẫu 02)
    and refusals (Mẫu 03), by their issue time; the refused dossiers also count as
    withdrawn in `flow`."""

    supplement: int = 0
    refusal: int = 0


def notices(school_id: int | None, period: Period) -> Notices:
    a, b = period.bounds_utc
    # From the period's forms (ix_notice_issued) to their dossiers. The school is checked
    # on each dossier found, not looked up through an index: SQLite, without statistics,
    # would otherwise walk every dossier of the school to find the few with a form (B3
    # SQLite 0.08 s against under 1 ms; BENCHMARKS.md).
    row = db.session.execute(
        select(
            _n(Notice.kind == NoticeKind.SUPPLEMENT).label("supplement"),
            _n(Notice.kind == NoticeKind.REFUSAL).label("refusal"),
        )
        .select_from(Notice)
        .join(Dossier, Dossier.id == Notice.dossier_id)
        .where(_scope(unindexed(Dossier.school_id), school_id))
        .where(Notice.issued_at >= a, Notice.issued_at < b)
    ).one()
    return Notices(**row._asdict())


def past_due_threshold(period: Period, today: date | None = None) -> date:
    """Due dates before this day are past: the period's end, or today while it runs."""
    return min(period.end, today or local_today())


def flow(
    school_id: int | None, period: Period, group: str | None = None, today: date | None = None
) -> dict:
    """Carried over, withdrawn in the period, open at its end (and past due) from dossiers.

    A dossier counts when it was open at some time in the period (received before its end,
    ended — returned, or withdrawn; at receipt if no time was recorded — not before its
    start) or was received in it. One received and returned within the period adds to none
    of these figures and is not read: the month's bulk never leaves the indexes. With
    `group`, a group appears when one of its figures is not zero.
    """
    keys = {
        "clerk": Dossier.received_by_id,
        "school": Dossier.school_id,
        "procedure": Dossier.procedure_id,
    }
    if group not in (None, *keys):
        raise ValueError(group)
    a, b = period.bounds_utc
    d = Dossier

    def part(ended_at, withdrawn: int, *where):
        columns = [
            d.received_at.label("received_at"),
            ended_at.label("ended_at"),
            d.due_date.label("due_date"),
            literal(withdrawn, Integer).label("withdrawn"),
        ]
        if group is not None:
            columns.append(keys[group].label("k"))
        return select(*columns).where(_scope(d.school_id, school_id), *where)

    # SQLite keeps no statistics unless ANALYZE runs: without them it reads "received before
    # the period's end" through (school, received_at), every dossier of the school's past,
    # instead of (school, returned_at, ...); unindexed() steers it there (B3 SQLite: flow
    # 0.24 s -> 0.07 s, ratio 8.9 -> 6.1; BENCHMARKS.md). PostgreSQL's statistics choose
    # well without it (steered, the office's month took 0.95 s instead of 0.42 s).
    received_before = (unindexed(d.received_at) if dialect() == "sqlite" else d.received_at) < b
    # Disjoint parts, each following an index. The check constraint "returned_has_time"
    # (status 'returned' exactly when returned_at is set) makes them complete. A dossier
    # ends when it is resolved (Dossier.resolved_at: ready, else returned), as in returns().
    rows = union_all(
        # returned: carried over into the period, or still open at its end; found on
        # (school, returned_at, received_at, due_date) (a result is ready before or when it
        # is returned, so none ready in or after the period is missed). One part with an OR,
        # not two ranges: split, PostgreSQL misjudged "returned after the start, received
        # before it" for one school (correlated columns) and read the whole table (B3's
        # flow 0.16 s against 0.03 s), for 0.14 s gained on the office's month (B7).
        part(
            d.resolved_at,
            0,
            d.returned_at >= a,
            received_before,
            or_(d.received_at < a, d.returned_at >= b),
        ),
        # open: (school, status, received_at, ...) (ended when its result is ready, still
        # waiting for the parent)
        part(d.ready_at, 0, d.status == DossierStatus.RECEIVED, d.received_at < b),
        # withdrawn, received in the period (whenever withdrawn, if at all recorded)
        part(
            func.coalesce(d.withdrawn_at, d.received_at),
            1,
            d.status == DossierStatus.WITHDRAWN,
            d.received_at >= a,
            d.received_at < b,
        ),
        # withdrawn, received before the period and withdrawn from its start on (one
        # withdrawn without a recorded time ended at receipt, before the period)
        part(
            d.withdrawn_at,
            1,
            d.status == DossierStatus.WITHDRAWN,
            d.received_at < a,
            d.withdrawn_at >= a,
        ),
    ).subquery()
    open_at_end = or_(rows.c.ended_at.is_(None), rows.c.ended_at >= b)
    columns = {
        "carried_over": _n(
            and_(rows.c.received_at < a, or_(rows.c.ended_at.is_(None), rows.c.ended_at >= a))
        ),
        "withdrawn": _n(and_(rows.c.withdrawn == 1, rows.c.ended_at < b)),
        "open_end": _n(open_at_end),
        "open_end_past_due": _n(
            and_(open_at_end, rows.c.due_date < past_due_threshold(period, today))
        ),
    }
    stmt = select().select_from(rows)
    group_key: ColumnExpressionArgument[Any] | None = rows.c.k if group is not None else None
    if group == "procedure":
        stmt = stmt.join(Procedure, Procedure.id == rows.c.k)
        group_key = Procedure.code
    return _aggregate(Flow, columns, group_key, stmt)


def cases(
    school_id: int | None, period: Period, group: str | None = None, today: date | None = None
) -> dict:
    """Cases opened / resolved in the period, open and overdue at its end (or today)."""
    if group not in (None, "school"):
        raise ValueError(group)
    a, b = period.bounds_utc
    c = Case
    ended_at = func.coalesce(c.resolved_at, c.closed_at)
    open_at_end = or_(ended_at.is_(None), ended_at >= b)
    columns = {
        "opened": _n(c.opened_at >= a),
        "serious": _n(and_(c.opened_at >= a, c.serious)),
        "resolved": _n(and_(ended_at >= a, ended_at < b)),
        "open_end": _n(open_at_end),
        "overdue": _n(and_(open_at_end, c.due_date < past_due_threshold(period, today))),
    }
    base = (
        select()
        .select_from(c)
        .where(
            _scope(c.school_id, school_id),
            c.opened_at < b,
            or_(ended_at.is_(None), ended_at >= a),
        )
    )
    out = _aggregate(CaseFigures, columns, c.school_id if group else None, base)
    if group is None:
        out[None].median_days = median(
            days_between(c.opened_at, ended_at),
            c,
            _scope(c.school_id, school_id),
            ended_at >= a,
            ended_at < b,
        )
    return out


@dataclass
class Aspect:
    """Answers to one detail question, over the responses about the period's dossiers."""

    question: questions.Question
    counts: dict  # value -> count, in the question's order
    answered: int
    negative: int


def aspects(school_id: int | None, period: Period) -> tuple[list[Aspect], dict[str, int]]:
    """Per detail question: counts per answer and negatives; and the ticked reasons."""
    a, b = period.bounds_utc
    ids = _received_ids(school_id, a, b)
    stmt = (
        select(Answer.question_code, Answer.value, func.count())
        .join(Response, Response.id == Answer.response_id)
        .join(Dossier, Dossier.id == Response.dossier_id)
        .where(_scope(Dossier.school_id, school_id), Dossier.received_at >= a)
        .where(Dossier.received_at < b)
        .where(Response.dossier_id.between(*ids) if ids else true())
        .group_by(Answer.question_code, Answer.value)
    )
    rows = db.session.execute(stmt).all()
    counts: dict[str, dict[str, int]] = {}
    for code, value, n in rows:
        counts.setdefault(code, {})[value] = n
    out = []
    for q in questions.DETAILS:
        got = counts.get(q.code, {})
        ordered = {value: got.get(value, 0) for value, _label in q.choices}
        out.append(Aspect(q, ordered, sum(ordered.values()), sum(ordered[v] for v in q.negative)))
    reasons_got = counts.get(questions.REASONS_CODE, {})
    reasons = {code: reasons_got.get(code, 0) for code, _label in questions.REASONS}
    return out, reasons


@dataclass
class Provenance:
    """Where the answers about the period's dossiers came from (docs/figures.md, honest figures).

    Over the same dossiers as `intake` (received in the period). looks_assisted counts the
    self-service answers that are desk_soon (from the school's desk network less than the
    `assisted_minutes` rule after the return) or same_device (their device key answered at
    least `assisted_device_answers` of the school's dossiers that day); one answer may be
    both, and counts once.
    """

    surveyed: int = 0
    self_service: int = 0
    assisted: int = 0
    looks_assisted: int = 0
    desk_soon: int = 0
    same_device: int = 0


def assisted_rules(school_id: int | None, period: Period) -> tuple[int, int]:
    """(assisted_minutes, assisted_device_answers) in force on the period's last day."""
    day = period.last_day
    minutes = get_rule("assisted_minutes", school_id, day)
    answers = get_rule("assisted_device_answers", school_id, day)
    return int(minutes), int(answers)


def provenance(school_id: int | None, period: Period, group: str | None = None) -> dict:
    """Self-service, assisted, and self-service that looks assisted.

    `group`: None; "clerk" (who returned the dossier: the one a parent's answer is about);
    "clerk_month" ((local month of receipt "YYYY-MM", clerk id) keys). The per-clerk groups
    are the principal's only (never the office's, never a clerk's).
    """
    keys = {
        None: [],
        "clerk": [Dossier.returned_by_id],
        "clerk_month": [local_month(Dossier.received_at), Dossier.returned_by_id],
    }[group]
    a, b = period.bounds_utc
    r = Response
    minutes, repeat = assisted_rules(school_id, period)
    # A device key belongs to one local day (its hash key rotates daily), so the school's
    # answers per key are the answers per device and day. Answers about the period's
    # dossiers come after its start, and a day's answers share a key: none is missed.
    same = aliased(Response)
    per_key = (
        select(same.school_id, same.device_key, func.count().label("n"))
        .where(_scope(same.school_id, school_id), same.device_key.is_not(None))
        .where(same.submitted_at >= a)
        .group_by(same.school_id, same.device_key)
        .subquery()
    )
    self_service = r.channel.in_(SELF_SERVICE)
    desk_soon = and_(self_service, r.from_desk_network.is_(True), r.minutes_after_return < minutes)
    day_answers = func.coalesce(r.device_day_answers, per_key.c.n, 0)
    same_device = and_(self_service, day_answers >= repeat)
    columns = {
        "surveyed": func.count(r.id),
        "self_service": _n(self_service),
        "assisted": _n(r.channel.in_(ASSISTED)),
        "looks_assisted": _n(or_(desk_soon, same_device)),
        "desk_soon": _n(desk_soon),
        "same_device": _n(same_device),
    }
    stmt = (
        _received_with_responses(school_id, period, answered_only=True)
        .add_columns(*(k.label(f"k{i}") for i, k in enumerate(keys)))
        .outerjoin(
            per_key, and_(per_key.c.school_id == r.school_id, per_key.c.device_key == r.device_key)
        )
        .add_columns(*(expr.label(name) for name, expr in columns.items()))
    )
    if keys:
        stmt = stmt.group_by(*keys)
    out: dict[Any, Provenance] = {}
    for row in db.session.execute(stmt).mappings():
        parts = tuple(row[f"k{i}"] for i in range(len(keys)))
        key = None if not keys else parts[0] if len(keys) == 1 else parts
        out[key] = Provenance(**{f.name: row[f.name] for f in fields(Provenance)})
    if not keys:
        out.setdefault(None, Provenance())
    return out


# --- the national index (Decision 766/QĐ-TTg, 23/6/2022), beside the plan's figures -------


@dataclass
class National:
    """Counts for the indicators of Decision 766/QĐ-TTg that a school desk can compute.

    `dossiers` are those received in the period; `not_satisfied` those of them with a
    "Không hài lòng" answer, a follow-up case (a complaint), or past their due date
    (resolved after it, or still open after it). The online counts are over the dossiers of
    the procedures offered online (docs/figures.md, "online share"; Decree 42/2022/NĐ-CP
    names the two kinds). docs/figures-national.md has the definitions and what the
    Decision's text did not let us verify.
    """

    dossiers: int = 0
    not_satisfied: int = 0
    offered_online: int = 0
    online_of_offered: int = 0
    full_online_of_offered: int = 0


def national(school_id: int | None, period: Period, today: date | None = None) -> National:
    d, r = Dossier, Response
    overdue = or_(
        _is_late(),  # resolved (result ready, else returned) after the due date
        and_(
            d.resolved_at.is_(None),
            d.status == DossierStatus.RECEIVED,
            d.due_date < past_due_threshold(period, today),
        ),
    )
    online = d.intake_channel.in_((IntakeChannel.ONLINE_L3, IntakeChannel.ONLINE_L4))
    offered = Procedure.online_level.is_not(None)
    columns = {
        "dossiers": func.count(d.id),
        "not_satisfied": _n(or_(r.overall == Overall.DISSATISFIED, Case.id.is_not(None), overdue)),
        "offered_online": _n(offered),
        "online_of_offered": _n(and_(offered, online)),
        "full_online_of_offered": _n(and_(offered, d.intake_channel == IntakeChannel.ONLINE_L4)),
    }
    row = db.session.execute(
        _received_with_responses(school_id, period)
        .join(Procedure, Procedure.id == d.procedure_id)
        .outerjoin(Case, Case.response_id == r.id)
        .add_columns(*(c.label(k) for k, c in columns.items()))
    ).one()
    return National(**row._asdict())


# --- the dashboard's to-do list: what needs doing today (counts; the lists are the register,
# the inbox and the day's slips, which filter on the same conditions) ---------------------


@dataclass
class Todo:
    overdue_cases: int = 0
    dossiers_due: int = 0  # not resolved, due today or earlier
    dossiers_overdue: int = 0  # of those, due before today
    without_apology: int = 0  # late or overdue, no apology letter
    slips_today: int = 0  # results returned today: a slip each to print


def todo(school_id: int | None, today: date) -> Todo:
    """The to-do counts of one school (or all) on `today`: one query per table."""
    d = Dossier
    start, end = day_start_utc(today), day_start_utc(today + timedelta(days=1))
    dossiers = db.session.execute(
        select(
            _n(register.due(today)).label("dossiers_due"),
            _n(register.overdue(today)).label("dossiers_overdue"),
            _n(register.without_apology(today)).label("without_apology"),
            _n(
                and_(
                    d.status == DossierStatus.RETURNED, d.returned_at >= start, d.returned_at < end
                )
            ).label("slips_today"),
        ).where(_scope(d.school_id, school_id))
    ).one()
    overdue_cases = db.session.execute(
        select(func.count())
        .select_from(Case)
        .where(_scope(Case.school_id, school_id), case_queries.overdue_clause(today))
    ).scalar_one()
    return Todo(overdue_cases=overdue_cases, **dossiers._mapping)
