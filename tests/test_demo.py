"""`flask demo`: a year of realistic data, quickly, once."""

import re
import time
from datetime import timedelta

from sqlalchemy import func, select

from survey_app.auth.models import User
from survey_app.auth.passwords import verify_password
from survey_app.cases.models import Case, CaseStatus
from survey_app.dossiers.intake import dossier_fields
from survey_app.dossiers.models import Apology, Dossier, DossierStatus
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.reports import figures as F
from survey_app.reports import periods
from survey_app.schools import School
from survey_app.survey.models import Response
from survey_app.timeutil import local_today


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_makes_a_realistic_year_once(app, runner):
    started = time.perf_counter()
    result = runner.invoke(args=["demo"])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 30
    assert "demo-password-123" in result.output
    school = db.session.scalars(select(School).where(School.code == "DEMO")).one()
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert {"hieutruong", "vanthu", "phong"} <= set(users)
    assert users["hieutruong"].role.value == "principal" and users["phong"].school_id is None
    assert verify_password(users["vanthu"].password_hash, "demo-password-123")

    dossiers = _count(Dossier, Dossier.school_id == school.id)
    assert 3000 < dossiers < 6000  # ~15 a working day
    codes = db.session.scalars(select(Dossier.code).where(Dossier.school_id == school.id)).all()
    assert len(set(codes)) == dossiers and all(re.fullmatch(r"\d{4}-\d{6}", c) for c in codes)
    assert _count(Dossier, Dossier.status == DossierStatus.WITHDRAWN) > 0
    calendar = WorkCalendar(school.id)
    for d in db.session.scalars(select(Dossier).where(Dossier.id % 20 == 0)):  # the app's rule
        rule = dossier_fields(
            school, d.procedure, calendar, student_name="A", received_at=d.received_at
        )
        assert (d.received_on, d.due_date) == (rule["received_on"], rule["due_date"])
    assert _count(Apology) > 0

    today = local_today()
    year = periods.custom(today - timedelta(days=360), today - timedelta(days=30))
    figures = F.compute(school.id, year, today=today)
    assert 0.65 < figures.rate("coverage").value < 0.85
    assert 0.93 <= figures.rate("satisfaction").value <= 0.97
    assert 0.9 < figures.rate("on_time").value < 0.99
    assert 0.5 < figures.rate("apology").value < 1.0
    assert figures.intake.self_service and figures.intake.assisted
    assert figures.intake.online_l4 and figures.intake.online_l3 and figures.intake.counter
    cases = _count(Case)
    assert cases > 50 and _count(Case, Case.status == CaseStatus.RESOLVED) > cases / 2
    assert _count(Case, Case.opened_at < today_utc_minus(300)) > 0  # opened when answered

    responses = _count(Response)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert "demo-password-123" not in again.output
    assert (_count(Dossier), _count(Response), _count(Case)) == (dossiers, responses, cases)


def today_utc_minus(days: int):
    from survey_app.timeutil import utcnow

    return utcnow() - timedelta(days=days)


def test_demo_can_make_several_schools(app, runner):
    result = runner.invoke(args=["demo", "--schools", "2", "--years", "1", "--per-day", "2"])
    assert result.exit_code == 0, result.output
    assert _count(School) == 2
    by_school = F.breakdown(None, periods.trailing_months(local_today(), 12), "school")
    assert [row.intake.received > 100 for row in by_school] == [True, True]
