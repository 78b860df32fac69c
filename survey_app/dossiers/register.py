"""The register's query: filters by status, procedure, month, state, and a search."""

from datetime import date, datetime
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import joinedload

from survey_app.dossiers.models import Dossier, DossierStatus, Notice, NoticeKind
from survey_app.dossiers.search import query_patterns
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.enums import LabelledEnum
from survey_app.parsing import parse_month
from survey_app.timeutil import period_bounds_utc


class RegisterState(LabelledEnum):
    """The register's "due" filter (?state=...); the dashboard's to-do numbers link to it."""

    AT_RISK = "at_risk", _l("Sắp đến hạn")
    DUE = "due", _l("Quá hạn hoặc đến hạn hôm nay")
    OVERDUE = "overdue", _l("Quá hạn")
    LATE = "late", _l("Đã trả trễ hạn")
    NO_APOLOGY = "no_apology", _l("Trễ hạn, chưa có thư xin lỗi")


STATES = tuple(s.value for s in RegisterState)


def returned_late():
    """Resolved (ready, else returned) on a local day after the due date: Dossier.is_late."""
    # is_late is typed bool | None after its Python side (NULL while not resolved), which
    # and_() is not typed to take; SQL takes it (NULL is not true).
    return and_(
        Dossier.status != DossierStatus.WITHDRAWN, cast(ColumnElement[bool], Dossier.is_late)
    )


def awaiting_supplement():
    """A supplement request still waits for the complete dossier: the clock is stopped."""
    return exists().where(
        Notice.dossier_id == Dossier.id,
        Notice.kind == NoticeKind.SUPPLEMENT,
        Notice.completed_at.is_(None),
    )


def overdue(today: date):
    """Past due and not resolved (withdrawn ones are closed, ready ones wait for the parent,
    ones awaiting a supplement wait for the papers)."""
    return and_(
        Dossier.status == DossierStatus.RECEIVED,
        Dossier.ready_at.is_(None),
        Dossier.due_date < today,
        ~awaiting_supplement(),
    )


def due(today: date):
    """Not resolved and due today or earlier: what the desk must finish today (ones awaiting
    a supplement wait for the papers)."""
    return and_(
        Dossier.status == DossierStatus.RECEIVED,
        Dossier.ready_at.is_(None),
        Dossier.due_date <= today,
        ~awaiting_supplement(),
    )


def without_apology(today: date):
    """Late (resolved after the due date) or overdue, with no apology letter recorded: the
    register's twin of intake.needs_apology (an open supplement request stops the clock)."""
    return and_(~Dossier.apology.has(), or_(returned_late(), overdue(today)))


def at_risk(today: date, calendar: WorkCalendar):
    """Not resolved and due today or on the next working day."""
    return and_(
        Dossier.status == DossierStatus.RECEIVED,
        Dossier.ready_at.is_(None),
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
    """The school's dossiers matching the filters: those in progress by nearest due date
    (what needs action first), any other selection newest first."""
    query = (
        select(Dossier).options(joinedload(Dossier.procedure)).where(Dossier.school_id == school_id)
    )
    if status == DossierStatus.RECEIVED.value or state in ("overdue", "at_risk", "due"):
        query = query.order_by(Dossier.due_date, Dossier.code)
    else:
        query = query.order_by(Dossier.received_at.desc(), Dossier.code.desc())
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
    elif state == "due":
        query = query.where(due(today))
    elif state == "no_apology":
        query = query.where(without_apology(today))
    patterns = query_patterns(q or "")
    if patterns:
        query = query.where(
            or_(*(Dossier.search_text.contains(p, autoescape=True) for p in patterns))
        )
    return query
