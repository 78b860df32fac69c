"""The routing rule (docs/survey.md): which responses open a case, how serious, when due."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from survey_app.audit import Audit
from survey_app.cases.models import Case, CaseStatus
from survey_app.cases.routing import route_response
from survey_app.dated_rules import set_rule
from survey_app.dossiers.models import CalendarDay, DayKind
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.timeutil import local_to_utc

# Friday 3 October 2025, 10:00 in Ho Chi Minh City (no public holiday the week after).
FRIDAY = local_to_utc(datetime(2025, 10, 3, 10, 0))


def _route(make, overall="satisfied", details=None, now=FRIDAY, **kw):
    dossier = make.dossier(returned_at=datetime(2025, 10, 1, 9, 0), **kw.pop("dossier", {}))
    response = make.response(dossier, overall=overall, details=details or {}, **kw)
    case = route_response(response, details or {}, now=now)
    db.session.commit()
    return dossier, response, case


@pytest.mark.parametrize(
    ("overall", "details", "serious"),
    [
        ("dissatisfied", {}, False),
        ("satisfied", {"visits": "2+"}, False),
        ("very_satisfied", {"info_clear": "dissatisfied"}, False),
        ("satisfied", {"extra_papers": "yes"}, False),
        ("satisfied", {"staff_attitude": "dissatisfied"}, False),
        ("satisfied", {"result_correct": "dissatisfied"}, False),
        ("very_satisfied", {"extra_payment": "yes"}, True),
        ("dissatisfied", {"extra_payment": "yes", "visits": "1"}, True),
    ],
)
def test_follow_up_answers_open_a_case(make, overall, details, serious):
    make.user("principal", username="ht", email="ht@school.test")
    dossier, response, case = _route(make, overall, details, comment="Chờ lâu quá")
    stored = db.session.scalars(select(Case)).one()
    assert stored.id == case.id and stored.response_id == response.id
    assert stored.status is CaseStatus.OPEN
    assert stored.serious is serious
    assert stored.assignee.username == "ht"
    mail = db.session.scalars(select(Outbox)).one()
    assert mail.recipient == "ht@school.test"
    assert dossier.code in mail.subject and dossier.code in mail.body
    assert "Chờ lâu quá" in mail.body
    assert mail.subject.startswith("[NGHIÊM TRỌNG]") is serious
    assert f"http://localhost/cases/{case.id}" in mail.body
    audit = db.session.scalars(select(Audit).where(Audit.action == "case_opened")).one()
    assert audit.entity_id == case.id


@pytest.mark.parametrize(
    "details",
    [{}, {"visits": "1", "extra_papers": "no", "extra_payment": "no"}, {"info_clear": "satisfied"}],
)
def test_satisfied_answers_open_nothing(make, details):
    make.user("principal")
    _dossier, _response, case = _route(make, "satisfied", details, comment="Cảm ơn thầy cô")
    assert case is None
    assert db.session.scalars(select(Case)).all() == []
    assert db.session.scalars(select(Outbox)).all() == []


@pytest.mark.parametrize(
    ("opened_utc", "due"),
    [
        (FRIDAY, date(2025, 10, 10)),  # Mon 6 .. Fri 10
        # Thursday 18:00 UTC is already Friday 01:00 in Ho Chi Minh City.
        (datetime(2025, 10, 2, 18, 0), date(2025, 10, 10)),
        # Saturday local: the weekend does not count.
        (local_to_utc(datetime(2025, 10, 4, 9, 0)), date(2025, 10, 10)),
        # 30/4, 1/5 and the substituted day off 2/5/2025: Tue 29/4, then 5, 6, 7, 8 May.
        (local_to_utc(datetime(2025, 4, 28, 9, 0)), date(2025, 5, 8)),
    ],
)
def test_due_date_counts_working_days(make, opened_utc, due):
    make.user("principal")
    _d, _r, case = _route(make, "dissatisfied", now=opened_utc)
    assert case.due_date == due


def test_extra_day_off_and_configured_deadline(make):
    school = make.school()
    make.user("principal")
    db.session.add(CalendarDay(school_id=school.id, day=date(2025, 10, 8), kind=DayKind.OFF))
    db.session.commit()
    _d, _r, case = _route(make, "dissatisfied")
    assert case.due_date == date(2025, 10, 13)  # Wed 8 off: Mon, Tue, Thu, Fri, Mon
    set_rule("case_due_working_days", 2, date(2025, 1, 1), school.id)
    db.session.commit()
    _d, _r, case = _route(make, "dissatisfied")
    assert case.due_date == date(2025, 10, 7)


def test_mail_only_to_this_schools_active_principals(make):
    here = make.school()
    other = make.school("OTHER", "Trường khác")
    make.user("principal", username="ht", email="ht@here.test", school=here)
    gone = make.user("principal", username="old", email="old@here.test", school=here)
    gone.active = False
    make.user("principal", username="there", email="there@other.test", school=other)
    make.user("clerk", username="vt", email="vt@here.test", school=here)
    db.session.commit()
    _route(make, "dissatisfied")
    assert [m.recipient for m in db.session.scalars(select(Outbox))] == ["ht@here.test"]


def test_case_without_any_principal_email_still_opens(make):
    principal = make.user("principal")
    principal.email = None
    db.session.commit()
    _d, _r, case = _route(make, "dissatisfied")
    assert case is not None and case.assignee_id == principal.id
    assert db.session.scalars(select(Outbox)).all() == []
