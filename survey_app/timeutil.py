"""Time helpers: datetimes are stored as naive UTC; the school lives in Asia/Ho_Chi_Minh."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Viet Nam keeps UTC+7 all year (no daylight saving since 1975).
_offset = LOCAL_TZ.utcoffset(datetime(2000, 1, 1))
assert _offset is not None  # a ZoneInfo gives every datetime an offset
LOCAL_OFFSET: timedelta = _offset
_OFFSET_HOURS = int(LOCAL_OFFSET.total_seconds() // 3600)


def utcnow() -> datetime:
    """Naive UTC now, the form every datetime column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(dt: datetime) -> datetime:
    """A stored naive-UTC datetime as local (aware) time."""
    return dt.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def local_to_utc(dt: datetime) -> datetime:
    """A local wall-clock datetime (naive or aware) as naive UTC for storage."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LOCAL_TZ)
    return dt.astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def day_start_utc(d: date) -> datetime:
    """Naive-UTC instant at which local day `d` begins."""
    return local_to_utc(datetime.combine(d, time.min))


def period_bounds_utc(start: date, end_exclusive: date) -> tuple[datetime, datetime]:
    """Half-open UTC bounds of the local days [start, end_exclusive)."""
    return day_start_utc(start), day_start_utc(end_exclusive)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M %d/%m/%Y")


class sql_local_date(FunctionElement):  # noqa: N801 - reads like the SQL function it is
    """The school's local calendar day of a naive-UTC timestamp column, in SQL (to_local's
    twin: models' hybrid properties, the register and the reports all use this one)."""

    type = Date()
    inherit_cache = True


@compiles(sql_local_date)  # SQLite, and str(statement)
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{_OFFSET_HOURS} hours')"


@compiles(sql_local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(({inner} + INTERVAL '{_OFFSET_HOURS} hours') AS DATE)"


__all__ = ["timedelta"]
