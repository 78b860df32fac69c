"""Time helpers: datetimes are stored as naive UTC; the school lives in Asia/Ho_Chi_Minh."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


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


__all__ = ["timedelta"]
