"""Portable SQL pieces the figures need: local dates of stored UTC times, day spans, median.

Datetimes are stored as naive UTC. Asia/Ho_Chi_Minh has kept a fixed UTC+7 offset since 1975
(no daylight saving), so the local date of a stored time is `date(t + 7 hours)` on both
engines; the offset is read from the zone, not written here.
"""

from sqlalchemy import Float, cast, func, select

from survey_app.extensions import db
from survey_app.timeutil import LOCAL_OFFSET, sql_local_date

_HOURS = f"+{int(LOCAL_OFFSET.total_seconds() // 3600)} hours"


def dialect() -> str:
    return db.session.get_bind().dialect.name


def local_date(column):
    """The local calendar date of a naive-UTC datetime column."""
    return sql_local_date(column)


def local_month(column):
    """ "YYYY-MM" of the local date of a naive-UTC datetime column."""
    if dialect() == "postgresql":
        return func.to_char(column + LOCAL_OFFSET, "YYYY-MM")
    return func.strftime("%Y-%m", column, _HOURS)


def unindexed(column):
    """The same value, which no index can serve: steers the planner to another index."""
    return func.coalesce(column, column)


def days_between(start, end):
    """(end - start) in days, fractional."""
    if dialect() == "postgresql":
        return cast(func.extract("epoch", end - start), Float) / 86400.0
    return func.julianday(end) - func.julianday(start)


def median(value, table, *where) -> float | None:
    """The median of `value` over the rows matching `where`, computed by the database.

    PostgreSQL: percentile_cont. SQLite has no percentile: count the rows, then read the
    middle one (or the two middle ones) with ORDER BY ... LIMIT ... OFFSET.
    """
    if dialect() == "postgresql":
        result = db.session.scalar(
            select(func.percentile_cont(0.5).within_group(value.asc()))
            .select_from(table)
            .where(*where)
        )
        return None if result is None else float(result)
    n = db.session.scalar(select(func.count()).select_from(table).where(*where))
    if not n:
        return None
    middle = (
        select(value.label("v"))
        .select_from(table)
        .where(*where)
        .order_by(value)
        .limit(2 - n % 2)
        .offset((n - 1) // 2)
        .subquery()
    )
    return float(db.session.execute(select(func.avg(middle.c.v))).scalar_one())
