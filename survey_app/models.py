"""Every model in one import, for Alembic and the shell."""

from survey_app.audit import Audit
from survey_app.auth.models import Role, User
from survey_app.cases.models import Case, CaseEvent, CaseStatus, EventKind, RootCause
from survey_app.dated_rules import Rule
from survey_app.dossiers.models import (
    Apology,
    CalendarDay,
    DayKind,
    Dossier,
    DossierStatus,
    IntakeChannel,
    Procedure,
    ReturnChannel,
)
from survey_app.kiosk.models import KioskDevice
from survey_app.notify.models import Outbox
from survey_app.reports.models import FiledReport
from survey_app.schools import School
from survey_app.survey.models import Answer, Overall, Response, ResponseChannel

__all__ = [
    "Answer",
    "Apology",
    "Audit",
    "CalendarDay",
    "Case",
    "CaseEvent",
    "CaseStatus",
    "DayKind",
    "Dossier",
    "DossierStatus",
    "EventKind",
    "FiledReport",
    "IntakeChannel",
    "KioskDevice",
    "Outbox",
    "Overall",
    "Procedure",
    "Response",
    "ResponseChannel",
    "ReturnChannel",
    "Role",
    "RootCause",
    "Rule",
    "School",
    "User",
]
