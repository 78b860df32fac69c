"""`flask demo`: demo schools with a year (or more) of realistic dossiers and responses.

Idempotent: a school that already exists is left alone. Rows are written with bulk inserts
(one statement per table and school); only responses that call for follow-up go through
`cases.routing.route_response`, so their cases, audits and (no) mail are the real thing.
The accounts share one DEMO-ONLY password, printed once when they are created.
"""

import random
from datetime import date, datetime, time, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import insert, select

from survey_app import questions
from survey_app.auth.models import Role, User
from survey_app.auth.passwords import hash_password
from survey_app.cases.models import Case, CaseStatus, RootCause
from survey_app.cases.routing import route_response
from survey_app.dated_rules import set_rule
from survey_app.dossiers.intake import apology_deadline, dossier_fields, link_expiry, next_code
from survey_app.dossiers.models import (
    Apology,
    Dossier,
    DossierStatus,
    IntakeChannel,
    Procedure,
    new_short_code,
    new_token,
)
from survey_app.dossiers.procedures import seed_procedures
from survey_app.dossiers.search import search_text_of
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.kiosk.models import KioskDevice
from survey_app.schools import School
from survey_app.survey import provenance
from survey_app.survey.models import Answer, Response
from survey_app.timeutil import local_to_utc, local_today, to_local, utcnow

DEMO_PASSWORD = "demo-password-123"  # noqa: S105  demo only: change it before real use

# procedure code -> relative weight at a lower-secondary school's desk
WEIGHTS = {
    "XAC-NHAN-HS": 40,
    "BAN-SAO-VB": 18,
    "CHUYEN-TRUONG": 12,
    "HO-TRO-CPHT": 10,
    "HO-SO-HOC-BA": 8,
    "CHINH-SUA-VB": 5,
    "XIN-HOC-LAI": 4,
    "TIEP-NHAN-HS": 3,
}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Gia", "Thanh", "Hoài", "Quốc", "Bảo", "Khánh")
GIVEN = (
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Khoa",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nhi",
    "Phúc",
    "Quân",
    "Thảo",
    "Trang",
    "Tú",
    "Vy",
    "Yến",
)
COMPLAINTS = (
    "Phải đi lại ba lần mới nộp đủ giấy tờ, mong nhà trường hướng dẫn rõ hơn ngay từ đầu.",
    "Trễ hẹn hai ngày mà không ai gọi báo trước.",
    "Cán bộ tiếp nhận trả lời cộc lốc, không hướng dẫn tận tình.",
    "Phòng chờ nóng, không có chỗ ngồi.",
    "Bảng hướng dẫn thủ tục khó hiểu, thiếu mẫu đơn.",
)
SUGGESTIONS = (
    "Cảm ơn thầy cô, thủ tục nhanh gọn.",
    "Nên có thêm hướng dẫn nộp hồ sơ trực tuyến.",
    "Mong nhà trường gửi tin nhắn khi có kết quả.",
)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


@click.command("demo")
@click.option("--schools", default=1, type=click.IntRange(1, 500), help="How many schools.")
@click.option("--years", default=1, type=click.IntRange(1, 10), help="Years of history.")
@click.option("--per-day", default=15, type=click.IntRange(1, 500), help="Dossiers a day.")
@click.option("--seed", default=2020, help="Random seed (same seed, same data).")
@with_appcontext
def demo(schools, years, per_day, seed):
    """Create the demo school DEMO (and DEMO002...) with realistic history (idempotent)."""
    rng = random.Random(seed)
    password_hash = None
    made_users = []
    for n in range(schools):
        code = "DEMO" if n == 0 else f"DEMO{n + 1:03d}"
        if db.session.scalars(select(School).where(School.code == code)).first():
            click.echo(f"Demo school {code} already present.")
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        school, users = _school(code, n, password_hash)
        made_users += [u.username for u in users]
        count = generate(school, users, years, per_day, rng)
        db.session.commit()
        click.echo(
            f"Created demo school {code}: {count[0]} dossiers, {count[1]} responses, "
            f"{count[2]} cases."
        )
    if not db.session.scalars(select(User).where(User.username == "phong")).first():
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        db.session.add(
            User(
                username="phong",
                # Since 1/7/2025 a ward's People's Committee runs its schools through its
                # Culture and Society Office (Decree 150/2025/NĐ-CP); the districts' education
                # offices (the plan's "Phòng GD&ĐT Quận 8") are gone.
                full_name="Phòng Văn hóa - Xã hội phường Chánh Hưng",
                role=Role.OFFICE,
                password_hash=password_hash,
            )
        )
        db.session.commit()
        made_users.append("phong")
    if made_users:
        click.echo(
            f"Demo accounts {', '.join(made_users)}; password (demo only, change it): "
            f"{DEMO_PASSWORD}"
        )


def _school(code: str, n: int, password_hash: str) -> tuple[School, list[User]]:
    suffix = "" if n == 0 else f"{n + 1:03d}"
    school = School(
        code=code,
        name=f"Trường THCS Demo {suffix}".strip(),
        address="Phường Chánh Hưng, TP. Hồ Chí Minh",
        # The parent body on the letterhead: a public lower-secondary school answers to its
        # ward People's Committee since 1/7/2025 (District 8 became Chánh Hưng, Bình Đông and
        # Phú Định wards); the city's Department of Education guides it professionally.
        authority="Ủy ban nhân dân phường Chánh Hưng",
    )
    db.session.add(school)
    seed_procedures(school)
    specs = (
        ("hieutruong", "Phạm Ứng Dũng", Role.PRINCIPAL),
        ("vanthu", "Lê Thị Văn Thư", Role.CLERK),
        ("motcua", "Trần Minh Một Cửa", Role.CLERK),
    )
    users = [
        User(
            username=f"{name}{suffix.lower()}",
            full_name=full,
            role=role,
            school=school,
            password_hash=password_hash,
        )
        for name, full, role in specs
    ]
    db.session.add_all(users)
    # The desk's tablet, enrolled by the principal (no usable credential: the demo's kiosk
    # answers only name it; enrol a real tablet on /kiosks).
    db.session.add(KioskDevice(school=school, name="Máy tính bảng quầy 1", created_by=users[0]))
    db.session.flush()
    set_rule("desk_phone", "028 3855 1234", date(2000, 1, 1), school.id)  # printed on slips
    return school, users


def generate(
    school: School, users: list[User], years: int, per_day: int, rng: random.Random
) -> tuple[int, int, int]:
    """Dossiers, apologies, responses, answers and cases from `years` ago until now."""
    now, today = utcnow(), local_today()
    calendar = WorkCalendar(school.id)
    procedures = list(school_procedures(school))
    weights = [WEIGHTS.get(p.code, 3) for p in procedures]
    clerks = [u for u in users if u.role is Role.CLERK]
    kiosk_id = db.session.scalar(select(KioskDevice.id).where(KioskDevice.school_id == school.id))
    dossiers, apologies, plans = [], [], []
    numbers: dict[int, int] = {}
    short_codes: set[str] = set()
    day = today - timedelta(days=365 * years)
    while day <= today:
        if calendar.is_working_day(day):
            season = 1.6 if day.month in (6, 7, 8) else 1.0  # transfers before the school year
            for _ in range(max(0, round(rng.gauss(per_day * season, per_day * 0.3)))):
                row, plan = _dossier(school, day, rng, procedures, weights, clerks, calendar, now)
                if row is None:
                    continue
                year = day.year
                if year not in numbers:
                    numbers[year] = int(next_code(school.id, year)[5:]) - 1
                numbers[year] += 1
                row["code"] = f"{year}-{numbers[year]:06d}"
                while (code := new_short_code()) in short_codes:
                    pass
                short_codes.add(code)
                row["short_code"] = code
                row["search_text"] = search_text_of(row)  # a bulk insert runs no ORM events
                dossiers.append(row)
                plans.append(plan)
        day += timedelta(days=1)
    ids = db.session.scalars(
        insert(Dossier).returning(Dossier.id, sort_by_parameter_order=True), dossiers
    ).all()
    responses, answer_sets = [], []
    for dossier_id, row, plan in zip(ids, dossiers, plans, strict=True):
        if plan.get("apology_at"):
            apologies.append(
                {
                    "dossier_id": dossier_id,
                    "reason": "Hồ sơ cần xác minh thêm.",
                    "new_due_date": plan["new_due"],
                    "channel": "phone",
                    "issued_at": plan["apology_at"],
                    "created_at": plan["apology_at"],
                    "in_time_by": plan["in_time_by"],
                }
            )
        response = _response(dossier_id, row, clerks, kiosk_id, rng, now)
        if response:
            responses.append(response[0])
            answer_sets.append(response[1])
    if apologies:
        db.session.execute(insert(Apology), apologies)
    response_ids = (
        db.session.scalars(
            insert(Response).returning(Response.id, sort_by_parameter_order=True), responses
        ).all()
        if responses
        else []
    )
    answers = [
        {"response_id": rid, "question_code": code, "value": value}
        for rid, (details, reasons) in zip(response_ids, answer_sets, strict=True)
        for code, value in [*details.items(), *((questions.REASONS_CODE, r) for r in reasons)]
    ]
    if answers:
        db.session.execute(insert(Answer), answers)
    cases = 0
    for rid, row, (details, _reasons) in zip(response_ids, responses, answer_sets, strict=True):
        if questions.needs_follow_up(row["overall"], details):
            response = db.session.get_one(Response, rid)
            case = route_response(response, details, now=response.submitted_at)
            if case is not None:
                _follow_up(case, rng, now)
                cases += 1
    return len(ids), len(response_ids), cases


def school_procedures(school: School):
    return db.session.scalars(
        select(Procedure).where(Procedure.school_id == school.id).order_by(Procedure.id)
    )


def _local(day: date, hour: float) -> datetime:
    return local_to_utc(datetime.combine(day, time()) + timedelta(hours=hour))


def _dossier(school, day, rng, procedures, weights, clerks, calendar, now):
    """One dossier row (a dict for the bulk insert) and what happens to it later."""
    procedure = rng.choices(procedures, weights)[0]
    received_at = _local(day, rng.uniform(7.5, 17.0))
    if received_at > now:
        return None, None
    level = procedure.online_level or 0
    roll = rng.random()
    channel = (
        IntakeChannel.ONLINE_L4
        if level == 4 and roll < 0.6
        else IntakeChannel.ONLINE_L3
        if level >= 3 and roll < 0.25
        else IntakeChannel.POSTAL
        if roll > 0.96
        else IntakeChannel.COUNTER
    )
    clerk = rng.choice(clerks)
    row = dossier_fields(  # the intake rule: the office hours decide the day, then the due date
        school,
        procedure,
        calendar,
        student_name=_name(rng),
        student_class=f"{rng.randint(6, 9)}A{rng.randint(1, 6)}",
        applicant_name=_name(rng),
        applicant_phone=f"09{rng.randint(0, 99999999):08d}",
        intake_channel=channel,
        received_at=received_at,
        received_by_id=clerk.id,
        now=now,
    )
    received_on, due = row["received_on"], row["due_date"]
    row.update(
        token=new_token(),
        created_at=received_at,
        returned_at=None,
        returned_by_id=None,
        withdrawn_at=None,
        withdraw_reason=None,
        token_expires_at=None,
    )
    plan: dict = {}
    fate = rng.random()
    if fate < 0.02:
        withdrawn_at = received_at + timedelta(days=rng.uniform(0.2, 2))
        if withdrawn_at <= now:
            row.update(
                status=DossierStatus.WITHDRAWN,
                withdrawn_at=withdrawn_at,
                withdraw_reason="Phụ huynh xin rút hồ sơ.",
            )
        return row, plan
    if fate < 0.06:  # late
        back_on = calendar.add_working_days(due, rng.randint(1, 3))
        if rng.random() < 0.85:
            in_time = rng.random() < 0.9
            plan["in_time_by"] = apology_deadline(due, calendar)
            apology_on = plan["in_time_by"] if in_time else back_on
            plan["apology_at"] = max(_local(apology_on, rng.uniform(8, 11)), received_at)
            plan["new_due"] = back_on
            if plan["apology_at"] > now:
                plan.clear()
    elif fate < 0.36 and procedure.working_days > 1:  # early
        back_on = calendar.add_working_days(received_on, rng.randint(1, procedure.working_days - 1))
    else:
        back_on = due
    returned_at = _local(back_on, rng.uniform(8, 16.5))
    if received_at < returned_at <= now:  # otherwise: still open today
        row.update(
            status=DossierStatus.RETURNED,
            returned_at=returned_at,
            returned_by_id=clerk.id,
            token_expires_at=link_expiry(calendar, returned_at),
        )
    return row, plan


def _response(dossier_id, row, clerks, kiosk_id, rng, now):
    """A response row and its (details, reasons), for ~75% of the returned dossiers."""
    if row["status"] is not DossierStatus.RETURNED or rng.random() > 0.75:
        return None
    channel = rng.choices(("qr", "code", "paper", "kiosk"), (40, 10, 40, 10))[0]
    assisted = channel in ("paper", "kiosk")
    delay = (
        timedelta(minutes=rng.uniform(2, 20))
        if assisted
        else timedelta(hours=rng.expovariate(1 / 20))
    )
    submitted_at = row["returned_at"] + delay
    if submitted_at > now:
        return None
    late = to_local(row["returned_at"]).date() > row["due_date"]
    dissatisfied = rng.random() < (0.25 if late else 0.04)
    overall = (
        "dissatisfied" if dissatisfied else "very_satisfied" if rng.random() < 0.62 else "satisfied"
    )
    details, reasons, comment = {}, [], None
    if dissatisfied or rng.random() < 0.4:
        for q in questions.DETAILS:
            if rng.random() < 0.7:
                bad = dissatisfied and rng.random() < 0.35 and q.code != "extra_payment"
                good = [v for v, _label in q.choices if v not in q.negative]
                weights = (80, 20) if q.code == "visits" else (62, 38) if len(good) == 2 else (1,)
                details[q.code] = q.negative[0] if bad else rng.choices(good, weights)[0]
    if dissatisfied:
        reasons = rng.sample([c for c, _label in questions.REASONS][:8], rng.randint(1, 2))
        comment = rng.choice(COMPLAINTS) if rng.random() < 0.7 else None
    elif details.get("visits") is None and rng.random() < 0.015:
        details["visits"] = "2+"  # satisfied overall, but a negative detail: a case too
    elif rng.random() < 0.08:
        comment = rng.choice(SUGGESTIONS)
    handler = row["received_by_id"]
    typist = next((c.id for c in clerks if c.id != handler), handler)
    # Paper: typed by a clerk other than the handler; kiosk: the tablet, nobody signed in.
    entered_by = typist if channel == "paper" or (channel == "kiosk" and not kiosk_id) else None
    consent = dissatisfied and rng.random() < 0.3
    return {
        "dossier_id": dossier_id,
        "school_id": row["school_id"],
        "submitted_at": submitted_at,
        "channel": channel,
        "overall": overall,
        "comment": comment,
        "contact_consent": consent,
        "contact_phone": row["applicant_phone"] if consent else None,
        "entered_by_id": entered_by,
        "kiosk_device_id": kiosk_id if channel == "kiosk" else None,
        "questions_version": questions.VERSION,
        **_provenance(dossier_id, row["returned_at"], channel, submitted_at, now),
    }, (details, reasons)


def _provenance(dossier_id, returned_at, channel, submitted_at, now) -> dict:
    """Where a demo self-service answer came from: now and then one from the desk network
    minutes after the return; device keys for the last 30 days only (older ones forgotten)."""
    if channel in ("paper", "kiosk"):
        return dict(provenance.NONE)
    rng = random.Random(dossier_id)  # its own draws: the demo's other figures stay the same
    minutes = provenance.minutes_between(returned_at, submitted_at)
    assert minutes is not None  # an answered dossier was returned
    fresh = now - submitted_at < timedelta(days=provenance.DEVICE_KEY_DAYS)
    return {
        "from_desk_network": minutes < 15 and rng.random() < 0.5,
        "minutes_after_return": minutes,
        "device_key": f"{rng.getrandbits(128):032x}" if fresh else None,
        "device_day_answers": None if fresh else 1,
    }


def _follow_up(case: Case, rng: random.Random, now: datetime) -> None:
    """Most cases older than a week were handled; a few are still open or overdue."""
    age = now - case.opened_at
    if age < timedelta(days=3) or rng.random() < 0.03:
        return
    resolved_at = case.opened_at + timedelta(days=rng.uniform(0.5, 9))
    if resolved_at > now:
        case.status = CaseStatus.IN_PROGRESS
        return
    case.status = CaseStatus.RESOLVED
    case.resolved_at = resolved_at
    case.root_cause = rng.choice(list(RootCause))
    case.resolution = "Đã gọi điện trao đổi với phụ huynh và điều chỉnh cách hướng dẫn."
