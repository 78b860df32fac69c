"""B7 a city on one database: the oversight office's month across 2,000 schools.

Subject: what the office's dashboard computes for one month over every school — the
side-by-side table (`reports.figures.breakdown(None, month, "school")`) and the whole
scope's figures (`reports.figures.compute(None, month, by_school=table)`, whose intake and
resolved counts are the table's sums).
Baseline: `SELECT count(*) FROM response WHERE submitted_at >= :m AND submitted_at < :m_next`
on the same connection, alternating with the subject; ratio = subject / baseline (≤ 5).

12,500,000 dossiers (80% answered: 10,000,000 responses, ~60 M answers) over 24 months,
spread over 2,000 schools, seeded in bulk SQL on PostgreSQL only (a city runs on
PostgreSQL). The database `hl_bench_city` is kept between runs and reused when its seed
marker matches; `--fresh` rebuilds it (about 12 minutes on 2 cores).

    .venv/bin/python -m bench.b7_city [--reps 5] [--fresh] [--schools 2000] [--responses N]
"""

import argparse
import json
import sys
from datetime import date

from sqlalchemy import text

from bench.b3_aggregate import Capture, explain, report_month
from bench.common import (
    Database,
    _pg_admin,
    alternate,
    create_database,
    database,
    db_version,
    log,
    machine,
    make_app,
    migrate,
    timed,
)
from bench.seed import history_bounds, seed_base, seed_history

N_SCHOOLS = 2_000
N_RESPONSES = 10_000_000
MONTHS = 24
THRESHOLD = 5.0
SEED_VERSION = "3"  # 2: dates by the intake rule; 3: case due dates by the case rule
BASELINE_SQL = "SELECT count(*) FROM response WHERE submitted_at >= :m AND submitted_at < :m_next"


def _marker(n: int, schools: int) -> str:
    return f"v{SEED_VERSION} n={n} schools={schools} months={MONTHS}"


def _meta(app) -> dict:
    from survey_app.extensions import db as sa

    with app.app_context():
        try:
            return dict(sa.session.execute(text("SELECT key, value FROM bench_meta")).all())
        except Exception:  # noqa: BLE001 - no table yet: not seeded
            sa.session.rollback()
            return {}


def _add_schools(app, count: int) -> int:
    """`count` schools with consecutive ids in one statement; the first id."""
    from survey_app.extensions import db as sa

    with app.app_context():
        first = sa.session.scalar(text("SELECT COALESCE(MAX(id), 0) + 1 FROM school"))
        sa.session.execute(
            text(
                "INSERT INTO school (id, code, name, address, created_at) "
                "SELECT :first + i, 'C' || lpad(CAST(i AS TEXT), 5, '0'), "
                "'Trường THCS số ' || CAST(i + 1 AS TEXT), 'TP. Hồ Chí Minh', now() "
                "FROM generate_series(0, :n - 1) AS g(i)"
            ),
            {"first": first, "n": count},
        )
        sa.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('school', 'id'), "
                "(SELECT MAX(id) FROM school))"
            )
        )
        sa.session.commit()
    return first


def prepare(db: Database, n_dossiers: int, schools: int, fresh: bool):
    create_database(db, fresh=fresh)
    for setting in ("random_page_cost = 1.1", "jit = off"):  # README's, for an SSD
        _pg_admin(f'ALTER DATABASE "{db.name}" SET {setting}')
    app = make_app(db, ARGON2_FAST=True)
    migrate(app)
    meta = {} if fresh else _meta(app)
    start, end = history_bounds(MONTHS, date.today())
    if meta.get("seed") == _marker(n_dossiers, schools):
        log(f"B7: reusing {db.name} ({meta['seed']}, seeded {meta['seeded_on']})")
        return app, date.fromisoformat(meta["start"])
    if meta:
        create_database(db, fresh=True)
        migrate(app)
    log(f"B7: seeding {n_dossiers:,} dossiers over {schools:,} schools into {db.name}")
    base = seed_base(app)
    first = _add_schools(app, schools)
    seed_history(app, db, base, n_dossiers, start, end, prefix="C", schools=(first, schools))
    from survey_app.extensions import db as sa

    with app.app_context():
        with sa.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        sa.session.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT, value TEXT)"))
        sa.session.execute(text("DELETE FROM bench_meta"))
        for key, value in (
            ("seed", _marker(n_dossiers, schools)),
            ("start", start.isoformat()),
            ("seeded_on", date.today().isoformat()),
        ):
            sa.session.execute(
                text("INSERT INTO bench_meta VALUES (:k, :v)"), {"k": key, "v": value}
            )
        sa.session.commit()
    return app, start


def run(reps: int = 5, fresh: bool = False, schools: int = N_SCHOOLS, responses: int = N_RESPONSES):
    db = database("postgresql", "hl_bench_city")
    n_dossiers = responses * 5 // 4  # every 5th dossier unanswered, as in B3
    app, start = prepare(db, n_dossiers, schools, fresh)
    period = report_month(start, MONTHS - 6)
    from survey_app.extensions import db as sa
    from survey_app.reports import figures

    with app.app_context():
        conn = sa.session.connection()
        a, b = period.bounds_utc
        params = {"m": a, "m_next": b}

        def office_month():  # as the office's report builds it (summary_tables.build)
            rows = figures.breakdown(None, period, "school")
            figures.compute(None, period, by_school=rows)

        def baseline(_i=0):
            return timed(lambda: conn.execute(text(BASELINE_SQL), params).scalar())

        def subject(_i=0):
            return timed(office_month)

        baseline(), subject()  # warm the caches once, as a running server has them
        alt = alternate(baseline, subject, reps, "s", False, "B7 postgresql")
        month_responses = conn.execute(text(BASELINE_SQL), params).scalar()
        with Capture(sa.engine) as cap:
            office_month()
        plans = [explain(s, p, "postgresql") for s, p in cap.statements]
        with Capture(sa.engine) as cap_count:
            conn.execute(text(BASELINE_SQL), params).scalar()
        baseline_plan = explain(*cap_count.statements[0], "postgresql")
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()  # noqa: S608
            for t in ("school", "dossier", "response", "answer", "follow_up_case")
        }
        sa.session.rollback()
    return {
        "benchmark": "B7",
        "db": "postgresql",
        "db_version": db_version(db),
        "month": period.key,
        "rows": counts,
        "month_responses": month_responses,
        **alt.summary(THRESHOLD),
        "statements": len(plans),
        "plans": plans,
        "baseline_plan": baseline_plan,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="re-seed the city database")
    parser.add_argument("--schools", type=int, default=N_SCHOOLS)
    parser.add_argument("--responses", type=int, default=N_RESPONSES)
    args = parser.parse_args(argv)
    out = {
        "machine": machine(),
        "results": [run(args.reps, args.fresh, args.schools, args.responses)],
    }
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
