"""Rows for the served app, written in-process through the app's own models."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tests.faults.common import PASSWORD

# --- seeding through the app's own models ----------------------------------------------


@dataclass
class Seed:
    school_id: int
    school_code: str
    principal: str
    tokens: list[str] = field(default_factory=list)


def seed(url: str, tokens: int = 0, code: str = "FAULT", returned_at: datetime | None = None):
    """A school, its principal and `tokens` returned dossiers whose links are open."""
    from survey_app import create_app
    from survey_app.auth.models import Role, User
    from survey_app.auth.passwords import hash_password
    from survey_app.dossiers.procedures import seed_procedures
    from survey_app.extensions import db
    from survey_app.schools import School

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        school = School(code=code, name=f"Trường THCS {code}", address="TP. Hồ Chí Minh")
        db.session.add(school)
        seed_procedures(school)
        principal = User(
            username=f"ht_{code.lower()}",
            role=Role.PRINCIPAL,
            full_name="Hiệu Trưởng Thử",
            email=f"ht_{code.lower()}@school.test",
            password_hash=hash_password(PASSWORD),
            school=school,
        )
        db.session.add(principal)
        db.session.commit()
        made = Seed(school.id, code, principal.username)
        made.tokens = add_dossiers(school, tokens, returned_at)
        db.session.remove()
        db.engine.dispose()
    return made


def add_dossiers(school, n: int, returned_at: datetime | None = None) -> list[str]:
    """`n` returned dossiers (naive-UTC `returned_at`, default yesterday), received two days
    before by the intake rule (`dossier_fields`); their tokens."""
    from sqlalchemy import select

    from survey_app.dossiers.intake import dossier_fields, link_expiry
    from survey_app.dossiers.models import (
        Dossier,
        DossierStatus,
        Procedure,
        new_short_code,
        new_token,
    )
    from survey_app.dossiers.workdays import WorkCalendar
    from survey_app.extensions import db
    from survey_app.timeutil import utcnow

    if n == 0:
        return []
    procedure = db.session.scalars(select(Procedure).where(Procedure.school_id == school.id))
    procedure = procedure.first()
    returned = returned_at or utcnow() - timedelta(days=1)
    received = returned - timedelta(days=2)
    calendar = WorkCalendar(school.id)
    start = db.session.scalar(select(db.func.count(Dossier.id)))
    codes: set[str] = set()
    rows = []
    for i in range(n):
        while (short := new_short_code()) in codes:
            pass
        codes.add(short)
        fields = dossier_fields(
            school, procedure, calendar, student_name="Học Sinh Thử", received_at=received
        )
        fields.update(
            code=f"F{school.id}-{start + i:07d}",
            returned_at=returned,
            status=DossierStatus.RETURNED,
            token=new_token(),
            short_code=short,
            token_expires_at=link_expiry(calendar, utcnow()),
        )
        rows.append(Dossier(**fields))
    tokens = [d.token for d in rows]
    db.session.add_all(rows)
    db.session.commit()
    return tokens


def fill_month(url: str, code: str, year: int, month: int, n: int, seed_value: int = 7) -> int:
    """`n` dossiers returned in a local month, each with a response and its detail answers.

    Bulk inserts through the models' tables (one statement per table); returns the number of
    responses stored in that month.
    """
    import random
    from datetime import date

    from sqlalchemy import insert, select

    from survey_app import create_app, questions
    from survey_app.dossiers.intake import dossier_fields, link_expiry
    from survey_app.dossiers.models import (
        Dossier,
        DossierStatus,
        Procedure,
        new_short_code,
        new_token,
    )
    from survey_app.dossiers.workdays import WorkCalendar
    from survey_app.extensions import db
    from survey_app.schools import School
    from survey_app.survey.models import Answer, Response
    from survey_app.timeutil import local_to_utc, utcnow

    rng = random.Random(seed_value)
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        school = db.session.scalars(select(School).where(School.code == code)).one()
        procedures = list(
            db.session.scalars(select(Procedure).where(Procedure.school_id == school.id))
        )
        calendar = WorkCalendar(school.id)
        days = [d for d in range(1, 29) if date(year, month, d).weekday() < 5]
        dossiers, plans = [], []
        for i in range(n):
            day = date(year, month, rng.choice(days))
            received = local_to_utc(
                datetime(year, month, day.day, 7, 30) + timedelta(minutes=rng.randint(0, 500))
            )
            returned = received + timedelta(hours=rng.randint(1, 48))
            row = dossier_fields(  # the intake rule's days; the rest in bulk, here
                school,
                rng.choice(procedures),
                calendar,
                student_name="Học Sinh Tháng",
                student_class=f"{rng.randint(6, 9)}A{rng.randint(1, 5)}",
                received_at=received,
            )
            row.update(
                code=f"M{year}{month:02d}-{i:06d}",
                returned_at=returned,
                status=DossierStatus.RETURNED,
                token=new_token(),
                short_code=new_short_code(),
                token_expires_at=link_expiry(calendar, returned),
                created_at=utcnow(),
            )
            dossiers.append(row)
            plans.append(returned + timedelta(minutes=rng.randint(5, 600)))
        ids = db.session.scalars(
            insert(Dossier).returning(Dossier.id, sort_by_parameter_order=True), dossiers
        ).all()
        responses = []
        for dossier_id, submitted in zip(ids, plans, strict=True):
            overall = rng.choices(["very_satisfied", "satisfied", "dissatisfied"], [5, 4, 1])[0]
            responses.append(
                {
                    "dossier_id": dossier_id,
                    "school_id": school.id,
                    "submitted_at": submitted,
                    "channel": rng.choice(["qr", "code"]),
                    "overall": overall,
                    "comment": "Cán bộ nhiệt tình, hướng dẫn rõ ràng."
                    if rng.random() < 0.2
                    else None,
                    "contact_consent": False,
                    "questions_version": questions.VERSION,
                }
            )
        rids = db.session.scalars(
            insert(Response).returning(Response.id, sort_by_parameter_order=True), responses
        ).all()
        answers = [
            {"response_id": rid, "question_code": q.code, "value": rng.choice(q.choices)[0]}
            for rid in rids
            for q in questions.DETAILS
        ]
        db.session.execute(insert(Answer), answers)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return len(rids)
