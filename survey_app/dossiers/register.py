"""The register's query: filters by status, procedure, month, state, and a search."""

from datetime import date, datetime

from sqlalchemy import Date, Select, and_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.functions import FunctionElement

from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.parsing import parse_month
from survey_app.timeutil import LOCAL_TZ, period_bounds_utc

# Viet Nam keeps UTC+7 all year (no daylight saving since 1975).
_OFFSET_HOURS = int(LOCAL_TZ.utcoffset(datetime(2000, 1, 1)).total_seconds() // 3600)

STATES = ("late", "at_risk", "overdue")


class local_date(FunctionElement):  # noqa: N801 - reads like the SQL function it is
    """The school's local calendar day of a naive-UTC timestamp column, in SQL."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{_OFFSET_HOURS} hours')"


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(({inner} + INTERVAL '{_OFFSET_HOURS} hours') AS DATE)"


def returned_late():
    """Returned on a local day after the due date."""
    return and_(
        Dossier.status == DossierStatus.RETURNED,
        local_date(Dossier.returned_at) > Dossier.due_date,
    )


def overdue(today: date):
    """Past due and not returned (withdrawn ones are closed, not overdue)."""
    return and_(Dossier.status == DossierStatus.RECEIVED, Dossier.due_date < today)


def at_risk(today: date, calendar: WorkCalendar):
    """Not returned and due today or on the next working day."""
    return and_(
        Dossier.status == DossierStatus.RECEIVED,
        Dossier.due_date >= today,
        Dossier.due_date <= calendar.next_working_day(today),
    )


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """UTC bounds of a local calendar month given as YYYY-MM (ParseError, a ValueError,
    when malformed or outside 2000-2100)."""
    start = parse_month(month)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return period_bounds_utc(start, end)


def register_query(
    school_id: int,
    *,
    today: date,
    calendar: WorkCalendar,
    status: str | None = None,
    procedure_id: int | None = None,
    month: str | None = None,
    state: str | None = None,
    q: str | None = None,
) -> Select:
    """The school's dossiers matching the filters, by due date then code."""
    query = (
        select(Dossier)
        .options(joinedload(Dossier.procedure))
        .where(Dossier.school_id == school_id)
        .order_by(Dossier.due_date, Dossier.code)
    )
    if status:
        query = query.where(Dossier.status == DossierStatus(status))
    if procedure_id:
        query = query.where(Dossier.procedure_id == procedure_id)
    if month:
        start, end = month_bounds(month)
        query = query.where(Dossier.received_at >= start, Dossier.received_at < end)
    if state == "late":
        query = query.where(returned_late())
    elif state == "overdue":
        query = query.where(overdue(today))
    elif state == "at_risk":
        query = query.where(at_risk(today, calendar))
    if q:
        q = q.strip()
        query = query.where(
            or_(
                Dossier.code.icontains(q, autoescape=True),
                Dossier.student_name.icontains(q, autoescape=True),
            )
        )
    return query
