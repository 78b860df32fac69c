"""Case queries: the inbox filters and the counts (SQL aggregates, never Python loops)."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnExpressionArgument, Row, Select, and_, case, func, select, true
from sqlalchemy.orm import aliased, joinedload

from survey_app import questions
from survey_app.cases.models import Case, CaseEvent, CaseStatus, EventKind
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db
from survey_app.schools import School
from survey_app.survey.models import Overall, Response

ACTIVE = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS)
DONE = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
FILTERS = ("all", "open", "in_progress", "overdue", "serious", "resolved")


def overdue_clause(today: date):
    return and_(Case.status.in_(ACTIVE), Case.due_date < today)


def filter_clause(name: str, today: date):
    """The WHERE clause of an inbox tab."""
    return {
        "open": Case.status == CaseStatus.OPEN,
        "in_progress": Case.status == CaseStatus.IN_PROGRESS,
        "overdue": overdue_clause(today),
        "serious": Case.serious.is_(True),
        "resolved": Case.status.in_(DONE),
        "all": true(),
    }[name]


def _count(clause):
    return func.coalesce(func.sum(case((clause, 1), else_=0)), 0)


# Each case's latest verdict from its parent, read from the timeline, which keeps every
# verdict. The case row keeps only the verdict on its current resolution: resolving the case
# again clears it, so counted from the row a "Không" would vanish once the school answered
# again. A verdict that reopened the case ("Không") has a to_status; a "Có" has none
# (survey.loop.record_answer writes both).
_LATEST_VERDICT = (
    select(CaseEvent.case_id, func.max(CaseEvent.id).label("event_id"))
    .where(CaseEvent.kind == EventKind.PARENT)
    .group_by(CaseEvent.case_id)
    .subquery("latest_verdict")
)
_VERDICT = aliased(CaseEvent, name="verdict")


def _with_verdicts(query: Select) -> Select:
    """`query` over cases, joined to each case's latest verdict (if any) for count_columns."""
    return query.outerjoin(_LATEST_VERDICT, _LATEST_VERDICT.c.case_id == Case.id).outerjoin(
        _VERDICT, _VERDICT.id == _LATEST_VERDICT.c.event_id
    )


def count_columns(today: date) -> list:
    """One labelled SUM per inbox tab, plus the parents' verdicts on resolutions: the cases
    whose parent has given one, and of those the cases whose latest one is satisfied (the
    query must go through _with_verdicts)."""
    columns = [_count(filter_clause(name, today)).label(name) for name in FILTERS[1:]]
    answered = _VERDICT.id.is_not(None)
    return [
        func.count(Case.id).label("all"),
        *columns,
        _count(and_(answered, _VERDICT.to_status.is_(None))).label("parent_satisfied"),
        _count(answered).label("parent_answered"),
    ]


def case_counts(school_id: int, today: date) -> dict[str, int]:
    """How many cases each inbox tab holds, for one school."""
    query = _with_verdicts(select(*count_columns(today)).select_from(Case))
    row = db.session.execute(query.where(Case.school_id == school_id)).one()
    return {key: int(value) for key, value in row._mapping.items()}


def counts_by_school(today: date, school_id: int | None = None) -> Sequence[Row[Any]]:
    """Per-school counts (office: every school; principal: theirs). No personal data."""
    query = (
        _with_verdicts(
            select(School.id, School.code, School.name, *count_columns(today)).join(
                Case, Case.school_id == School.id, isouter=True
            )
        )
        .group_by(School.id, School.code, School.name)
        .order_by(School.name)
    )
    if school_id is not None:
        query = query.where(School.id == school_id)
    return db.session.execute(query).all()


def inbox_query(school_id: int, name: str, today: date) -> Select:
    """The cases of one tab, with what a row shows loaded up front (no N+1)."""
    order: tuple[ColumnExpressionArgument[Any], ...]
    if name == "resolved":
        order = (Case.resolved_at.desc(), Case.id.desc())
    else:  # cases still to work first, the serious ones on top, then by deadline
        active_first = case((Case.status.in_(ACTIVE), 0), else_=1)
        order = (active_first, Case.serious.desc(), Case.due_date, Case.id)
    return (
        select(Case)
        .where(Case.school_id == school_id, filter_clause(name, today))
        .options(
            joinedload(Case.response).joinedload(Response.dossier).joinedload(Dossier.procedure),
            joinedload(Case.response).selectinload(Response.answers),
        )
        .order_by(*order)
    )


def suggestions_query(school_id: int) -> Select:
    """Comments on satisfied responses that opened no case, newest first."""
    return (
        select(Response)
        .outerjoin(Case, Case.response_id == Response.id)
        .where(
            Response.school_id == school_id,
            Case.id.is_(None),
            Response.overall.in_([Overall(v) for v in questions.SATISFIED_VALUES]),
            Response.comment.is_not(None),
            Response.comment != "",
        )
        .options(joinedload(Response.dossier).joinedload(Dossier.procedure))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
    )


def overdue_cases(school_id: int, today: date) -> list[Case]:
    """A school's overdue cases, most overdue first (the daily digest)."""
    return list(
        db.session.scalars(
            select(Case)
            .where(Case.school_id == school_id, overdue_clause(today))
            .options(
                joinedload(Case.response).joinedload(Response.dossier).joinedload(Dossier.procedure)
            )
            .order_by(Case.due_date, Case.id)
        )
    )


def case_for_school(case_id: int, school_id: int, for_update: bool = False) -> Case | None:
    """One case of the school (another school's case is as good as missing)."""
    query = select(Case).where(Case.id == case_id, Case.school_id == school_id)
    if for_update:
        query = query.with_for_update(of=Case)
    return db.session.scalars(query).first()
