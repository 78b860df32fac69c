"""Status changes of a case, each with its timeline event (the caller audits and commits)."""

from survey_app.cases.models import Case, CaseEvent, CaseStatus, EventKind
from survey_app.cases.routing import case_due_date
from survey_app.extensions import db
from survey_app.timeutil import utcnow

# action -> (statuses it starts from, status it leads to); resolving has its own form.
TRANSITIONS = {
    "start": ((CaseStatus.OPEN,), CaseStatus.IN_PROGRESS),
    "resolve": ((CaseStatus.OPEN, CaseStatus.IN_PROGRESS), CaseStatus.RESOLVED),
    "close": ((CaseStatus.RESOLVED,), CaseStatus.CLOSED),
    "reopen": ((CaseStatus.RESOLVED, CaseStatus.CLOSED), CaseStatus.OPEN),
}


def allowed(case: Case, action: str) -> bool:
    return case.status in TRANSITIONS[action][0]


def add_event(
    case: Case, kind: EventKind, author_id: int | None, text: str = "", **statuses
) -> CaseEvent:
    event = CaseEvent(case=case, kind=kind, author_id=author_id, text=text or "", **statuses)
    db.session.add(event)  # SQLAlchemy 2 no longer cascades along the backref
    return event


def change_status(
    case: Case,
    action: str,
    author_id: int | None,
    text: str = "",
    kind: EventKind = EventKind.STATUS,
) -> CaseEvent:
    """Move the case along TRANSITIONS[action] and record it on the timeline."""
    sources, target = TRANSITIONS[action]
    if case.status not in sources:
        raise ValueError(f"cannot {action} a case that is {case.status}")
    before = case.status
    now = utcnow()
    case.status = target
    if target is CaseStatus.RESOLVED:
        case.resolved_at = now
        case.closed_at = None
        # A new answer for the parent: their verdict on it is asked afresh.
        case.parent_satisfied = None
        case.parent_answered_at = None
    elif target is CaseStatus.CLOSED:
        case.closed_at = now
    elif action == "reopen":
        case.resolved_at = None
        case.closed_at = None
        # Reopened work gets its own deadline, counted from today.
        case.due_date = case_due_date(case.school_id, now)
    return add_event(case, kind, author_id, text, from_status=before.value, to_status=target.value)
