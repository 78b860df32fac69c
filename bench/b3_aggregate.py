"""B3 monthly aggregate: a school's month of figures over 1,000,000 stored responses.

Subject: `reports.figures.compute(school, month)`, the figures the monthly report is made of
(intake with satisfaction and channels, returns, flow, cases with their median, per-question
answers and reasons). Also timed, for information: `reports.summary_tables.build(...)`, every query
of the monthly report (figures + targets + the per-procedure breakdown).
Baseline: `SELECT count(*) FROM response WHERE submitted_at >= :m AND submitted_at < :m_next`
on the same connection. Both alternate; ratio = subject time / baseline time (≤ 5).

The 1,250,000 dossiers (80% answered: 1,000,000 responses, ~6 M answers) over 24 months
belong to one school, so the report reads the same month of rows the count does. The
database is kept between runs (instance/bench/hl_bench_big.db, PostgreSQL hl_bench_big) and
reused when its seed marker matches; `--fresh` rebuilds it.

    .venv/bin/python -m bench.b3_aggregate [--db sqlite|postgresql|both] [--reps 7] [--fresh]
"""

import argparse
import json
import re
import statistics
import sys
from datetime import date

from sqlalchemy import event, text

from bench.common import (
    Database,
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

N_RESPONSES = 1_000_000
N_DOSSIERS = N_RESPONSES * 5 // 4  # every 5th dossier unanswered
MONTHS = 24
REPORT_MONTH_INDEX = 18  # the 19th of 24 months: history before it and after it
SEED_VERSION = "4"  # 3: dates by the intake rule; 4: case due dates by the case rule
THRESHOLD = 5.0
SSD_RANDOM_PAGE_COST = 1.1  # PostgreSQL's default 4 assumes spinning disks
BASELINE_SQL = "SELECT count(*) FROM response WHERE submitted_at >= :m AND submitted_at < :m_next"
SCOPED_SQL = BASELINE_SQL + " AND school_id = :s"


def _marker(n: int) -> str:
    return f"v{SEED_VERSION} n={n} months={MONTHS}"


def _read_meta(db: Database) -> dict:
    from sqlalchemy import create_engine

    engine = create_engine(db.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT key, value FROM bench_meta")).all()
            return dict(rows)
    except Exception:  # noqa: BLE001 - no database / no table yet: not seeded
        return {}
    finally:
        engine.dispose()


def prepare(db: Database, n: int = N_DOSSIERS, fresh: bool = False) -> tuple:
    """(app, base, history start) of a seeded big database, reusing a matching one."""
    meta = {} if fresh else _read_meta(db)
    if meta.get("seed") == _marker(n):
        log(f"B3: reusing {db.kind} {db.name} ({meta['seed']}, seeded {meta['seeded_on']})")
        app = make_app(db)
        migrate(app)  # a new migration (an index) applies to the kept data
        with app.app_context():
            from survey_app.extensions import db as sa

            if db.kind == "postgresql":
                sa.session.execute(text("ANALYZE"))
                sa.session.commit()
        return app, seed_base(app), date.fromisoformat(meta["start"])
    log(f"B3: seeding {n:,} dossiers into {db.kind} {db.name} (cached for the next runs)")
    create_database(db, fresh=True)
    app = make_app(db, ARGON2_FAST=True)
    migrate(app)
    base = seed_base(app)
    start, end = history_bounds(MONTHS, date.today())
    seed_history(app, db, base, n, start, end)
    with app.app_context():
        from survey_app.extensions import db as sa

        if db.kind == "postgresql":
            sa.session.commit()
            with sa.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        sa.session.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT, value TEXT)"))
        sa.session.execute(text("DELETE FROM bench_meta"))
        for key, value in (
            ("seed", _marker(n)),
            ("start", start.isoformat()),
            ("seeded_on", date.today().isoformat()),
        ):
            sa.session.execute(
                text("INSERT INTO bench_meta VALUES (:k, :v)"), {"k": key, "v": value}
            )
        sa.session.commit()
    return make_app(db), base, start


def report_month(start: date, index: int = REPORT_MONTH_INDEX):
    from survey_app.reports.periods import month

    m = start.year * 12 + start.month - 1 + index
    return month(m // 12, m % 12 + 1)


class Capture:
    """The SQL statements (with parameters) a block of code sends to the database."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[tuple[str, object]] = []

    def _hook(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hook)


_INDEX = re.compile(
    r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan using|Bitmap Index Scan on)"
    r" (\w+)"
)
_FULL = re.compile(r"(?:^|\s)(?:SCAN (\w+)(?! USING)(?:\s|$)|Seq Scan on (\w+))", re.M)


def explain(statement: str, parameters, kind: str) -> dict:
    """The plan of one captured statement, with the indexes it uses and any full scans."""
    from survey_app.extensions import db as sa

    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if kind == "postgresql" else "EXPLAIN QUERY PLAN "
    rows = sa.session.connection().exec_driver_sql(prefix + statement, parameters).all()
    if kind == "postgresql":
        plan = "\n".join(r[0] for r in rows)
    else:
        plan = "\n".join(f"{'  ' * (r[1] > 0)}{r[-1]}" for r in rows)
    full = sorted({a or b for a, b in _FULL.findall(plan)})
    return {
        "sql": " ".join(statement.split())[:300],
        "indexes": sorted(set(_INDEX.findall(plan))),
        "full_scans": full,
        "plan": plan,
    }


def run(db: Database, reps: int = 7, fresh: bool = False, n: int = N_DOSSIERS) -> dict:
    app, base, start = prepare(db, n, fresh)
    period = report_month(start)
    from survey_app.extensions import db as sa
    from survey_app.reports import figures, queries, summary_tables
    from survey_app.schools import School

    with app.app_context():
        school = sa.session.get(School, base.school_id)
        conn = sa.session.connection()  # one connection for subject and baseline

        def pair(p, label: str, count_reps: int):
            a, b = p.bounds_utc
            params = {"m": a, "m_next": b, "s": base.school_id}

            def baseline(_i=0):
                return timed(lambda: conn.execute(text(BASELINE_SQL), params).scalar())

            def subject(_i=0):
                return timed(lambda: figures.compute(base.school_id, p))

            baseline(), subject()  # warm the caches once, as a running server has them
            return alternate(baseline, subject, count_reps, "s", False, label), params, baseline

        alt, params, baseline = pair(period, f"B3 {db.kind}", reps)
        month_count = conn.execute(text(BASELINE_SQL), params).scalar()

        def report_queries(_i=0):
            return timed(lambda: summary_tables.build(school, period, personal=False))

        alt_build = alternate(
            baseline, report_queries, max(3, reps // 2), "s", False, f"B3 report queries {db.kind}"
        )
        scoped = statistics.median(
            timed(lambda: conn.execute(text(SCOPED_SQL), params).scalar()) for _ in range(reps)
        )
        parts = {}
        for name in ("intake", "returns", "flow", "cases", "aspects"):
            fn = getattr(queries, name)
            parts[name] = statistics.median(
                timed(lambda fn=fn: fn(base.school_id, period)) for _ in range(3)
            )
        with Capture(sa.engine) as cap:
            figures.compute(base.school_id, period)
        plans = [explain(s, p, db.kind) for s, p in cap.statements]
        with Capture(sa.engine) as cap_count:
            conn.execute(text(BASELINE_SQL), params).scalar()
        baseline_plan = explain(*cap_count.statements[0], db.kind)
        variants = {}
        latest = report_month(start, MONTHS - 1)
        variants[f"latest month {latest.key} (no later data)"] = pair(
            latest, f"B3 latest month {db.kind}", 3
        )[0].summary(THRESHOLD)
        if db.kind == "postgresql":
            conn.execute(text(f"SET random_page_cost = {SSD_RANDOM_PAGE_COST}"))
            conn.execute(text("SET jit = off"))
            variants[f"{period.key} with random_page_cost = {SSD_RANDOM_PAGE_COST}, jit = off"] = (
                pair(period, f"B3 tuned {db.kind}", 3)[0].summary(THRESHOLD)
            )
            conn.execute(text("RESET random_page_cost"))
            conn.execute(text("RESET jit"))
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("dossier", "response", "answer", "follow_up_case")
        }
        sa.session.rollback()
    summary = alt.summary(THRESHOLD)
    return {
        "benchmark": "B3",
        "db": db.kind,
        "db_version": db_version(db),
        "month": period.key,
        "rows": counts,
        "month_responses": month_count,
        **summary,
        "report_queries": alt_build.summary(THRESHOLD),
        "scoped_count_s": round(scoped, 4),
        "ratio_vs_scoped_count": round(summary["subject"] / scoped, 1) if scoped else None,
        "per_function_s": {k: round(v, 4) for k, v in parts.items()},
        "statements": len(plans),
        "plans": plans,
        "baseline_plan": baseline_plan,
        "variants": variants,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="re-seed the big database")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    out = {"machine": machine(), "results": []}
    for kind in kinds:
        out["results"].append(run(database(kind, "hl_bench_big"), args.reps, args.fresh))
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
