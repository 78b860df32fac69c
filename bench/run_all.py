"""`make bench`: B1–B6 on SQLite and PostgreSQL, results into BENCHMARKS.md.

Per database: a fresh `hl_bench` with a school's 24-month history served by gunicorn
(B1 submit, B2 page, B4 slips, B6 page weight against it), B5 in-process on the same
database, then B3 on the cached 1 M-response `hl_bench_big`. Writes the whole run as JSON to
bench/results/ (not committed) and rewrites the generated block of BENCHMARKS.md.
About 20–25 minutes on 2 cores (plus ~2 minutes the first time, to seed hl_bench_big).

    .venv/bin/python -m bench.run_all [--db sqlite|postgresql|both] [--reps 5] [--duration 10]
                                      [--only B1,B3] [--no-write]
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg2
from sqlalchemy.exc import DBAPIError

from bench import b1_submit, b2_page, b3_aggregate, b4_slips, b5_charts, page_weight
from bench.common import (
    RESULTS_DIR,
    Database,
    Disturbed,
    database,
    db_version,
    drop_database,
    log,
    machine,
    pg_started_at,
    write_json,
)
from bench.report import markdown, update_benchmarks_md
from bench.seed import seed_tokens
from bench.site import Site, site

ALL = ("B1", "B2", "B3", "B4", "B5", "B6")


def b6(s: Site) -> dict:
    """B6 (bench/page_weight.py) against this run's gunicorn, for one fresh survey link."""
    from survey_app.timeutil import utcnow

    tokens = seed_tokens(s.app, s.base, 3, utcnow() - timedelta(hours=1), "PW")
    weight = page_weight.weigh_steps([f"{s.server.url}/s/{token}" for token in tokens])
    statuses = [r["status"] for r in weight["detail"]]
    if statuses[:1] != [200]:
        raise Disturbed(f"the survey page answered {statuses}")
    worst = max(weight["steps"].values(), key=lambda step: step["ratio"])
    return {
        "benchmark": "B6",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        "unit": "bytes",
        "baseline": weight["baseline_bytes"],
        "subject": weight["gzip_plus_headers"],
        "ratio": weight["ratio"],
        "ratio_min": None,
        "ratio_max": None,
        "threshold": "≤ 1 and 1 request, each step",
        "pass": weight["pass"] and worst["ratio"] <= 1.0,
        "steps": weight["steps"],
        "requests": weight["requests"],
        "raw_bytes": weight["raw_bytes"],
        "gzip_bytes": weight["gzip_bytes"],
        "header_bytes": weight["header_bytes"],
    }


ATTEMPTS = 4


def guarded(db: Database, name: str, fn: Callable[[], dict]) -> dict:
    """Run one benchmark; on PostgreSQL, run it again if the server restarted meanwhile.

    Other work on this machine (fault-injection tests) restarts PostgreSQL now and then: a
    result measured across a restart is thrown away, never reported. After the last attempt
    the benchmark is reported as not measured, and the run goes on.
    """
    error = ""
    for attempt in range(1, ATTEMPTS + 1):
        started = pg_started_at(db)
        try:
            result = fn()
        except (DBAPIError, psycopg2.Error, Disturbed) as exc:
            if db.kind != "postgresql":
                raise
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
        else:
            if started == pg_started_at(db):
                result["attempt"] = attempt
                _save_partial(result)
                return result
            error = "PostgreSQL restarted during the run"
        log(f"{name} {db.kind}: {error}; attempt {attempt}/{ATTEMPTS}")
        time.sleep(15)
    return {
        "benchmark": name,
        "db": db.kind,
        "error": f"not measured: {error} in all {ATTEMPTS} attempts",
        "baseline": None,
        "subject": None,
        "ratio": None,
        "threshold": "",
        "pass": None,
    }


def _save_partial(result: dict) -> None:
    """Every finished benchmark at once, so a later failure loses nothing."""
    path = RESULTS_DIR / "partial.json"
    done = json.loads(path.read_text()) if path.exists() else []
    write_json(path, [*done, result])


def run_database(
    kind: str, only: set[str], reps: int, duration: float, reports: int = 200
) -> list[dict]:
    out = []
    served = only & {"B1", "B2", "B4", "B6"}
    db = database(kind, "hl_bench")
    if served or "B5" in only:
        pg_started_at(db)
        with site(kind, serve=bool(served)) as s:
            steps = {
                "B1": lambda: b1_submit.run(s, reps, duration),
                "B2": lambda: b2_page.run(s, reps, duration),
                "B6": lambda: b6(s),
                "B4": lambda: b4_slips.run(s, reps, keep_pdf=True),
            }
            for name, step in steps.items():
                if name in only:
                    out.append(guarded(db, name, step))
            if s.server is not None:
                s.server.stop()
            if "B5" in only:
                out.append(guarded(db, "B5", lambda: b5_charts.run(s, reps, reports)))
        drop_database(db)
    if "B3" in only:
        big = database(kind, "hl_bench_big")
        out.append(guarded(big, "B3", lambda: b3_aggregate.run(big, max(reps, 7))))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--only", default=",".join(ALL), help="e.g. B1,B3")
    parser.add_argument("--reports", type=int, default=200, help="B5's RSS check")
    parser.add_argument("--no-write", action="store_true", help="leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    only = {b.strip().upper() for b in args.only.split(",") if b.strip()}
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    started = time.time()
    (RESULTS_DIR / "partial.json").unlink(missing_ok=True)
    run = {"machine": machine(), "results": []}
    for kind in kinds:
        run["results"] += run_database(kind, only, args.reps, args.duration, args.reports)
    run["machine"]["load_end"] = os.getloadavg()
    run["machine"]["elapsed_min"] = round((time.time() - started) / 60, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    write_json(RESULTS_DIR / f"run-{stamp}.json", run)
    text = markdown(run)
    complete = only == set(ALL) and len(kinds) == 2 and args.reps >= 5 and args.reports >= 200
    if complete:
        write_json(RESULTS_DIR / "latest.json", run)
    if not args.no_write and complete:
        update_benchmarks_md(text)
        log("BENCHMARKS.md updated")
    print(text)
    print(json.dumps({r["benchmark"] + " " + r["db"]: r["ratio"] for r in run["results"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
