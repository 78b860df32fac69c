"""Seeding for the benchmarks: a school, and dossiers/responses in bulk SQL, never row by row.

`seed_history` writes N dossiers spread evenly over M months with INSERT ... SELECT from a
number series (PostgreSQL `generate_series`, SQLite a recursive CTE): 80% answered, 5%
withdrawn, returned 1 to 8 days after receipt, 6 detail answers per response, 5%
dissatisfied with a reason and a resolved case. Values are deterministic functions of the
id, so two runs seed the same data; received_on, due date, link expiry and a case's due
date are the app rules' answers (`_rule_tables`). `seed_tokens` adds returned, unanswered
dossiers with fresh survey tokens.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import create_engine, insert, select, text

from bench.common import Database, log
from survey_app import questions

PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway account in a throwaway database
RESPONSE_EVERY = 5  # ids divisible by 5 have no response (80% coverage)
WITHDRAWN_EVERY = 20  # ids divisible by 20 are withdrawn
CHUNK = 250_000


@dataclass(frozen=True)
class Base:
    school_id: int
    principal_id: int
    clerk_ids: tuple[int, ...]
    procedure_ids: tuple[int, ...]
    clerk_username: str


def seed_base(app, code: str = "BENCH") -> Base:
    """A school with a principal (with e-mail: cases enqueue mail), 3 clerks, procedures."""
    from survey_app.auth.models import Role, User
    from survey_app.auth.passwords import hash_password
    from survey_app.dossiers.procedures import seed_procedures
    from survey_app.extensions import db
    from survey_app.schools import School

    with app.app_context():
        school = db.session.scalars(select(School).where(School.code == code)).first()
        if school is None:
            school = School(code=code, name=f"Trường THCS {code}", address="TP. Hồ Chí Minh")
            db.session.add(school)
            seed_procedures(school)
            password = hash_password(PASSWORD)
            lower = code.lower()
            db.session.add(
                User(
                    school=school,
                    username=f"{lower}-principal",
                    full_name="Hiệu trưởng",
                    email=f"{lower}-principal@example.invalid",
                    password_hash=password,
                    role=Role.PRINCIPAL,
                )
            )
            for n in range(3):
                db.session.add(
                    User(
                        school=school,
                        username=f"{lower}-clerk{n}",
                        full_name=f"Văn thư {n}",
                        password_hash=password,
                        role=Role.CLERK,
                    )
                )
            db.session.commit()
        users = db.session.scalars(
            select(User).where(User.school_id == school.id).order_by(User.id)
        ).all()
        from survey_app.dossiers.models import Procedure

        procedures = db.session.scalars(
            select(Procedure.id).where(Procedure.school_id == school.id).order_by(Procedure.id)
        ).all()
        clerks = tuple(u.id for u in users if u.role == Role.CLERK)
        principal = next(u.id for u in users if u.role == Role.PRINCIPAL)
        clerk_name = next(u.username for u in users if u.role == Role.CLERK)
        return Base(school.id, principal, clerks, tuple(procedures), clerk_name)


def history_bounds(months: int, today: date) -> tuple[date, date]:
    """The `months` whole local months before the current one: [start, end)."""
    end = date(today.year, today.month, 1)
    m = end.year * 12 + end.month - 1 - months
    return date(m // 12, m % 12 + 1, 1), end


class _Sql:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, dialect: str):
        self.pg = dialect == "postgresql"

    def series(self, lo: int, hi: int) -> tuple[str, str]:
        """(WITH prefix, FROM source) of a column `i` from lo to hi."""
        if self.pg:
            return "", f"generate_series(CAST({lo} AS BIGINT), {hi}) AS g(i)"
        return (
            f"WITH RECURSIVE g(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM g WHERE i < {hi}) ",
            "g",
        )

    def ts(self, value: datetime) -> str:
        literal = value.strftime("%Y-%m-%d %H:%M:%S")
        return f"TIMESTAMP '{literal}'" if self.pg else f"'{literal}'"

    def add_seconds(self, ts: str, seconds: str) -> str:
        if self.pg:
            return f"({ts} + ({seconds}) * INTERVAL '1 second')"
        return f"datetime({ts}, '+' || ({seconds}) || ' seconds')"

    def stored(self, ts: str) -> str:
        """A timestamp as the ORM stores it (SQLite: text with microseconds)."""
        return ts if self.pg else f"({ts} || '.000000')"

    def local_date(self, ts: str) -> str:
        return f"CAST({ts} + INTERVAL '7 hours' AS DATE)" if self.pg else f"date({ts}, '+7 hours')"

    def pad(self, expr: str, width: int) -> str:
        if self.pg:
            return f"lpad(CAST({expr} AS TEXT), {width}, '0')"
        return f"printf('%0{width}d', {expr})"


def _answer_rows() -> str:
    """VALUES (k, code, usual, other usual, negative) per detail question, from `questions`."""
    rows = []
    for k, q in enumerate(questions.DETAILS, start=1):
        values = [v for v, _label in q.choices]
        usual = values[0]
        other = values[1] if values[1] not in q.negative else values[0]
        negative = q.choices[0][0] if q.serious else q.negative[0]
        rows.append(f"({k}, '{q.code}', '{usual}', '{other}', '{negative}')")
    return ", ".join(rows)


def _reason_case(expr: str) -> str:
    codes = [c for c, _label in questions.REASONS]
    whens = " ".join(f"WHEN {n} THEN '{c}'" for n, c in enumerate(codes))
    return f"CASE ({expr}) % {len(codes)} {whens} END"


def seed_history(
    app,
    db: Database,
    base: Base,
    n: int,
    start: date,
    end: date,
    prefix: str = "H",
    schools: tuple[int, int] | None = None,
) -> None:
    """`n` dossiers received evenly over local [start, end), with their answers and cases.

    `schools` = (first id, count) spreads the dossiers over that many consecutive school
    ids (B7's city); by default they all belong to `base`'s school.

    Written by SQL alone (INSERT ... SELECT): a Python call per row would ship B7's 12.5 M
    rows one by one. Their received_on, due date, link expiry and case due date still come
    from the app's rules: `_rule_tables` asks `dossier_fields` once per half hour and
    procedure that occur (`link_expiry` and `case_due_date` once per day), and the INSERTs
    join those answers.
    """
    from survey_app.timeutil import local_to_utc

    engine = create_engine(db.url)
    sql = _Sql(engine.dialect.name)
    start_utc = local_to_utc(datetime.combine(start, datetime.min.time()))
    end_utc = local_to_utc(datetime.combine(end, datetime.min.time()))
    span = int((end_utc - start_utc).total_seconds())
    with engine.connect() as conn:
        if sql.pg:
            conn.execute(text("SET session_replication_role = replica"))  # no FK triggers
        else:
            conn.execute(text("PRAGMA synchronous=OFF"))
            conn.execute(text("PRAGMA cache_size=-400000"))
        id0 = conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM dossier"))
        _rule_tables(app, conn, sql, base, start_utc, span, id0, n)
        for lo in range(1, n + 1, CHUNK):
            hi = min(n, lo + CHUNK - 1)
            _seed_chunk(conn, sql, base, id0, lo, hi, n, start_utc, span, prefix, schools)
            conn.commit()
            log(f"seeded {hi:,}/{n:,} dossiers ({db.kind})")
        if sql.pg:
            for table in ("dossier", "response", "answer", "follow_up_case"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
            conn.commit()
    engine.dispose()


SLOT = 1800  # seconds: the desk's hours open and close on the half hour
HASH_MUL, HASH_MOD = 2654435761, 1000003


def _offset(i: int, span: int, n: int) -> int:
    """Seconds from the start to the receipt of the i-th of n dossiers (1 <= i <= n), as
    the INSERT computes it (`_seed_chunk`)."""
    return 1 + (i - 1) * span // n


def _hash(dossier_id: int) -> int:
    """The pseudo-random draw of a dossier, as the INSERT computes it (`_seed_chunk`)."""
    return dossier_id * HASH_MUL % HASH_MOD


def _rule_tables(
    app, conn, sql: _Sql, base: Base, start_utc: datetime, span: int, id0: int, n: int
) -> None:
    """The intake rule's answers over the span, as two temporary tables the INSERT joins.

    seed_intake(slot, k, received_on, due_date): `dossier_fields` for procedure k of a
    receipt in half hour `slot`, i.e. at offsets (slot * SLOT, (slot + 1) * SLOT] seconds
    from `start_utc`. The receipt day only moves forward with the receipt time, so equal
    answers at both ends of a half hour are its answer throughout; a desk whose hours end
    off the half hour fails here, loudly, instead of seeding wrong dates.
    seed_expiry(day, seconds): how long `link_expiry` keeps a link returned on local day
    `day` (days since `start_utc`) valid.
    seed_case_due(opened_on, due_date): `case_due_date` of a case opened on that local day.
    Only the (half hour, procedure) pairs the n dossiers fall on are asked: a few thousand
    for a school's history, all of them for B7's city (about a minute).
    """
    from survey_app.cases.routing import case_due_date
    from survey_app.dossiers.intake import dossier_fields, link_expiry
    from survey_app.dossiers.models import Procedure
    from survey_app.dossiers.workdays import WorkCalendar
    from survey_app.extensions import db
    from survey_app.schools import School
    from survey_app.timeutil import local_to_utc, to_local

    np_ = len(base.procedure_ids)
    pairs = {((_offset(i, span, n) - 1) // SLOT, _hash(id0 + i) % np_) for i in range(1, n + 1)}
    days = span // 86400 + 12  # returns come up to 8 days later, answers 2 days after that
    intake, expiry, case_due = [], [], []
    with app.app_context():
        school = db.session.get_one(School, base.school_id)
        procedures = [db.session.get_one(Procedure, pid) for pid in base.procedure_ids]
        calendar = WorkCalendar(school.id)
        now = start_utc + timedelta(seconds=span + 86400)

        def rule(procedure, offset: int) -> tuple[str, str]:
            row = dossier_fields(
                school,
                procedure,
                calendar,
                student_name="-",
                received_at=start_utc + timedelta(seconds=offset),
                now=now,
            )
            return row["received_on"].isoformat(), row["due_date"].isoformat()

        for slot, k in sorted(pairs):
            procedure = procedures[k]
            first, last = rule(procedure, slot * SLOT + 1), rule(procedure, (slot + 1) * SLOT)
            if first != last:
                raise RuntimeError(f"the intake rule changes inside half hour {slot}")
            intake.append({"slot": slot, "k": k, "on": first[0], "due": first[1]})
        for day in range(days):
            at = start_utc + timedelta(days=day)
            expiry.append({"day": day, "s": int((link_expiry(calendar, at) - at).total_seconds())})
        first_day = to_local(start_utc).date()
        for day in range(days + 1):
            opened_on = first_day + timedelta(days=day)
            opened_at = local_to_utc(datetime.combine(opened_on, time(12)))
            due = case_due_date(school.id, opened_at)
            case_due.append({"on": opened_on.isoformat(), "due": due.isoformat()})
    date_type = "DATE" if sql.pg else "TEXT"
    conn.execute(text("DROP TABLE IF EXISTS seed_intake"))
    conn.execute(text("DROP TABLE IF EXISTS seed_expiry"))
    conn.execute(text("DROP TABLE IF EXISTS seed_case_due"))
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE seed_intake (slot BIGINT, k INTEGER, "
            f"received_on {date_type}, due_date {date_type}, PRIMARY KEY (slot, k))"
        )
    )
    conn.execute(text("CREATE TEMPORARY TABLE seed_expiry (day BIGINT PRIMARY KEY, s BIGINT)"))
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE seed_case_due (opened_on {date_type} PRIMARY KEY, "
            f"due_date {date_type})"
        )
    )
    cast = "CAST(:on AS DATE), CAST(:due AS DATE)" if sql.pg else ":on, :due"
    conn.execute(text(f"INSERT INTO seed_intake VALUES (:slot, :k, {cast})"), intake)
    conn.execute(text("INSERT INTO seed_expiry VALUES (:day, :s)"), expiry)
    conn.execute(text(f"INSERT INTO seed_case_due VALUES ({cast})"), case_due)
    conn.commit()


def _seed_chunk(
    conn, sql: _Sql, base: Base, id0, lo, hi, n, start_utc, span, prefix, schools=None
) -> None:
    with_, source = sql.series(lo, hi)
    school = f"{schools[0]} + id % {schools[1]}" if schools else str(base.school_id)
    received = sql.add_seconds(sql.ts(start_utc), "off")
    returned = sql.add_seconds("rec", "(1 + h % 8) * 86400")
    expires = sql.add_seconds(returned, "e.s")
    withdrawn = sql.add_seconds("rec", "2 * 86400")
    nc, np_ = len(base.clerk_ids), len(base.procedure_ids)
    inserted = conn.execute(
        text(f"""
        INSERT INTO dossier (id, school_id, code, procedure_id, applicant_name, student_name,
            student_class, intake_channel, return_channel, received_at, received_on, due_date,
            returned_at, status, received_by_id, returned_by_id, withdrawn_at, token,
            short_code, token_expires_at, created_at)
        {with_}
        SELECT id, {school}, '{prefix}' || CAST(id AS TEXT),
            {base.procedure_ids[0]} + h % {np_},
            'Phụ huynh ' || CAST(id AS TEXT), 'Học sinh ' || CAST(id AS TEXT), '6A',
            CASE WHEN h % 10 < 7 THEN 'counter' WHEN h % 10 = 7 THEN 'postal'
                 WHEN h % 10 = 8 THEN 'online_l3' ELSE 'online_l4' END,
            'counter', {sql.stored("rec")}, r.received_on, r.due_date,
            CASE WHEN id % {WITHDRAWN_EVERY} = 0 THEN NULL ELSE {sql.stored(returned)} END,
            CASE WHEN id % {WITHDRAWN_EVERY} = 0 THEN 'withdrawn' ELSE 'returned' END,
            {base.clerk_ids[0]} + h % {nc}, {base.clerk_ids[0]} + (h / 7) % {nc},
            CASE WHEN id % {WITHDRAWN_EVERY} = 0 THEN {sql.stored(withdrawn)} END,
            '{prefix}-tok-' || CAST(id AS TEXT),
            CASE WHEN id < 10000000 THEN '0' || {sql.pad("id", 7)} ELSE CAST(id AS TEXT) END,
            CASE WHEN id % {WITHDRAWN_EVERY} = 0 THEN NULL
                 ELSE {sql.stored(expires)} END,
            {sql.stored("rec")}
        FROM (SELECT id, h, off, {received} AS rec
              FROM (SELECT {id0} + i AS id, (({id0} + i) * {HASH_MUL}) % {HASH_MOD} AS h,
                           1 + (i - 1) * {span} / {n} AS off
                    FROM {source}) AS y) AS x
        JOIN seed_intake r ON r.slot = (x.off - 1) / {SLOT} AND r.k = x.h % {np_}
        JOIN seed_expiry e ON e.day = x.off / 86400 + 1 + x.h % 8
        """)
    )
    if inserted.rowcount != hi - lo + 1:  # a row without its rule's answer is not seeded
        raise RuntimeError(f"seeded {inserted.rowcount} of dossiers {lo}..{hi}")
    a, b = id0 + lo, id0 + hi
    channel = "(d.id / 3) % 10"
    overall = "(d.id / 7) % 20"
    submitted = sql.add_seconds("d.returned_at", "((CAST(d.id AS BIGINT) * 7919) % 48) * 3600")
    conn.execute(
        text(f"""
        INSERT INTO response (id, dossier_id, school_id, submitted_at, channel, overall,
            comment, contact_consent, entered_by_id, questions_version)
        SELECT d.id, d.id, d.school_id, {sql.stored(submitted)},
            CASE WHEN {channel} < 6 THEN 'qr' WHEN {channel} < 8 THEN 'code'
                 WHEN {channel} = 8 THEN 'paper' ELSE 'kiosk' END,
            CASE WHEN {overall} < 12 THEN 'very_satisfied' WHEN {overall} < 19 THEN 'satisfied'
                 ELSE 'dissatisfied' END,
            CASE WHEN d.id % 11 = 0 THEN 'Góp ý số ' || CAST(d.id AS TEXT) END,
            FALSE, CASE WHEN {channel} >= 8 THEN {base.clerk_ids[0]} END, '{questions.VERSION}'
        FROM dossier d
        WHERE d.id BETWEEN {a} AND {b} AND d.id % {RESPONSE_EVERY} <> 0
        """)
    )
    conn.execute(
        text(f"""
        INSERT INTO answer (id, response_id, question_code, value)
        WITH q(k, code, usual, other, negative) AS (VALUES {_answer_rows()})
        SELECT r.id * 8 + q.k, r.id, q.code,
            CASE WHEN r.overall = 'dissatisfied' THEN q.negative
                 WHEN (r.id + q.k) % 3 = 0 THEN q.other ELSE q.usual END
        FROM response r CROSS JOIN q
        WHERE r.id BETWEEN {a} AND {b}
        """)
    )
    conn.execute(
        text(f"""
        INSERT INTO answer (id, response_id, question_code, value)
        SELECT r.id * 8 + 7, r.id, '{questions.REASONS_CODE}', {_reason_case("r.id")}
        FROM response r
        WHERE r.id BETWEEN {a} AND {b} AND r.overall = 'dissatisfied'
        """)
    )
    resolved = sql.stored(sql.add_seconds("r.submitted_at", "3 * 86400"))
    # LEFT JOIN: a day without the rule's answer leaves due_date NULL, which the NOT NULL
    # column refuses, so the seed fails instead of dropping the case.
    conn.execute(
        text(f"""
        INSERT INTO follow_up_case (id, school_id, response_id, opened_at, due_date, status,
            serious, assignee_id, resolution, root_cause, resolved_at)
        SELECT r.id, r.school_id, r.id, r.submitted_at, c.due_date, 'resolved', FALSE,
            {base.principal_id}, 'Đã liên hệ phụ huynh', 'other', {resolved}
        FROM response r
        LEFT JOIN seed_case_due c ON c.opened_on = {sql.local_date("r.submitted_at")}
        WHERE r.id BETWEEN {a} AND {b} AND r.overall = 'dissatisfied'
        """)
    )


def seed_tokens(app, base: Base, n: int, returned_at: datetime, prefix: str) -> list[str]:
    """`n` returned, unanswered dossiers with fresh survey tokens (one executemany); each
    received three days before `returned_at` by the intake rule (`dossier_fields`)."""
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

    received = returned_at - timedelta(days=3)
    rows = []
    with app.app_context():
        school = db.session.get_one(School, base.school_id)
        procedures = [db.session.get_one(Procedure, pid) for pid in base.procedure_ids]
        calendar = WorkCalendar(school.id)
        for k in range(n):
            row = dossier_fields(
                school,
                procedures[k % len(procedures)],
                calendar,
                student_name=f"Học sinh {prefix}{k}",
                received_at=received,
                received_by_id=base.clerk_ids[k % len(base.clerk_ids)],
            )
            row.update(
                code=f"{prefix}{k:07d}",
                returned_at=returned_at,
                status=DossierStatus.RETURNED,
                token=new_token(),
                short_code=new_short_code(),
                token_expires_at=link_expiry(calendar, returned_at),
                created_at=received,
            )
            rows.append(row)
        db.session.execute(insert(Dossier), rows)
        db.session.commit()
    return [r["token"] for r in rows]
