"""`flask data purge --before DATE`: personal data goes, every figure stays, audited."""

import json
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from survey_app.audit import Audit
from survey_app.cases.models import Case, CaseStatus
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db
from survey_app.reports import periods, queries
from survey_app.retention import PURGED_NAME
from survey_app.survey.models import Response
from survey_app.timeutil import local_today, utcnow

YEAR = periods.custom(date(2025, 1, 1), date(2025, 12, 31))


def _old(make, school, day=10, **kw):
    """A dossier received and returned in March 2025 (before the cut-off)."""
    return make.dossier(
        school=school,
        received_at=datetime(2025, 3, day, 9, 0),
        returned_at=datetime(2025, 3, day + 7, 15, 0),
        **kw,
    )


def _case(response, status=CaseStatus.OPEN):
    case = Case(
        school_id=response.school_id,
        response_id=response.id,
        opened_at=datetime(2025, 3, 20, 3, 0),
        due_date=date(2025, 3, 27),
        status=status,
    )
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.resolution, case.root_cause = "Đã gọi lại", "other"
        case.resolved_at = datetime(2025, 3, 24, 3, 0)
    db.session.add(case)
    db.session.commit()
    return case


def _figures(school_id):
    """Every figure the reports show for 2025, plus plain counts."""
    plain = db.session.execute(
        select(
            func.count(Dossier.id),
            func.count(Dossier.returned_at),
            func.count(Response.id),
            func.count(Response.contact_consent).filter(Response.contact_consent),
        )
        .select_from(Dossier)
        .outerjoin(Response, Response.dossier_id == Dossier.id)
        .where(Dossier.school_id == school_id)
    ).one()
    return (
        tuple(plain),
        queries.intake(school_id, YEAR, group="month"),
        queries.returns(school_id, YEAR, group="month"),
        queries.flow(school_id, YEAR, today=date(2026, 1, 1)),
        queries.cases(school_id, YEAR, today=date(2026, 1, 1)),
    )


def _setup(make):
    school = make.school()
    plain = _old(make, school, day=3)
    called_back = _old(make, school, day=4)
    make.response(plain, overall="very_satisfied")
    answered = make.response(
        called_back, overall="dissatisfied", contact_consent=True, contact_phone="0912345678"
    )
    _case(answered, CaseStatus.RESOLVED)  # followed up: the number has served its purpose
    open_case = _old(make, school, day=5, applicant_name="Lê Thị Mở")
    _case(
        make.response(
            open_case, overall="dissatisfied", contact_consent=True, contact_phone="0987654321"
        )
    )
    pending = make.dossier(school=school, received_at=datetime(2025, 3, 6, 9, 0))  # not returned
    recent = make.dossier(
        school=school,
        received_at=datetime(2025, 7, 1, 9, 0),
        returned_at=datetime(2025, 7, 3, 9, 0),
    )
    make.response(recent, overall="satisfied", contact_consent=True, contact_phone="0900000000")
    return school, plain, called_back, open_case, pending, recent


def test_purge_removes_names_and_phones_and_keeps_every_figure(app, make, runner):
    school, plain, called_back, open_case, pending, recent = _setup(make)
    other = make.school(code="OTHER", name="Trường Khác")
    other_old = _old(make, other)
    before = _figures(school.id)

    result = runner.invoke(args=["data", "purge", "--before", "2025-06-01", "--school", "TEST"])
    assert result.exit_code == 1 and "Aborted" in result.output  # asks first; "no" by default
    assert db.session.get(Dossier, plain.id).applicant_name == "Trần Văn Cha"

    result = runner.invoke(
        args=["data", "purge", "--before", "2025-06-01", "--school", "TEST", "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "Purged personal data of 2 dossiers and 1 call-back phones" in result.output
    assert "kept 2 still in progress" in result.output
    db.session.expire_all()

    for dossier in (plain, called_back):
        row = db.session.get(Dossier, dossier.id)
        assert (row.applicant_name, row.applicant_phone) == (None, None)
        assert row.student_name == PURGED_NAME and row.personal_data_purged_at is not None
        assert row.student_class == "6A1"  # not identifying alone, and a report breakdown
    assert db.session.get(Response, _response_id(called_back)).contact_phone is None
    # An open case still needs its call-back number; an unfinished dossier its applicant.
    assert db.session.get(Response, _response_id(open_case)).contact_phone == "0987654321"
    assert db.session.get(Dossier, open_case.id).applicant_name == "Lê Thị Mở"
    assert db.session.get(Dossier, pending.id).applicant_phone == "0901234567"
    # Received after the cut-off, or another school: untouched.
    assert db.session.get(Dossier, recent.id).applicant_name == "Trần Văn Cha"
    assert db.session.get(Response, _response_id(recent)).contact_phone == "0900000000"
    assert db.session.get(Dossier, other_old.id).applicant_name == "Trần Văn Cha"

    assert _figures(school.id) == before

    (row,) = db.session.scalars(select(Audit).where(Audit.action == "purge_personal_data"))
    assert row.school_id == school.id and row.user_id is None
    assert json.loads(row.detail) == {"before": "2025-06-01", "dossiers": 2, "phones": 1}

    again = runner.invoke(args=["data", "purge", "--before", "2025-06-01", "--yes"])
    assert again.exit_code == 0, again.output
    assert "Purged personal data of 1 dossiers and 0 call-back phones" in again.output  # OTHER
    assert db.session.scalar(select(func.count(Audit.id))) == 2
    nothing = runner.invoke(args=["data", "purge", "--before", "2025-06-01", "--yes"])
    assert "Nothing to purge" in nothing.output


def _response_id(dossier) -> int:
    return db.session.scalar(select(Response.id).where(Response.dossier_id == dossier.id))


def test_purge_after_the_case_is_resolved(app, make, runner):
    school, _plain, _cb, open_case, *_ = _setup(make)
    case = db.session.scalar(select(Case).where(Case.response_id == _response_id(open_case)))
    case.status, case.resolution, case.root_cause = "resolved", "Đã xin lỗi", "other"
    case.resolved_at = utcnow()
    db.session.commit()
    result = runner.invoke(args=["data", "purge", "--before", "2025-06-01"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "3 dossiers and 2 call-back phones" in result.output
    assert db.session.get(Dossier, open_case.id).applicant_name is None


def test_purge_refuses_bad_input(app, make, runner):
    make.school()
    future = (local_today() + timedelta(days=2)).isoformat()
    cases = {
        ("--before", future): "must not be in the future",
        ("--before", "2025-13-01"): "Invalid value for '--before'",
        ("--before", "2025-06-01", "--school", "NOPE"): "Unknown school",
    }
    for args, message in cases.items():
        result = runner.invoke(args=["data", "purge", *args, "--yes"])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert db.session.scalar(select(func.count(Audit.id))) == 0
