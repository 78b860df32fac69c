"""B1's floor on PostgreSQL: the cheapest possible submit beside the real one, in one run.

B1 asks `POST /s/<token>` ÷ `GET /hello` ≥ 0.20. This measures what the fixed stack (Flask,
gunicorn sync workers, psycopg2, PostgreSQL with synchronous_commit on, this machine) leaves
for that: `bench.floor_app` adds `POST /bench/floor/<token>` to the production app, which
stores the same form's response, answers and audit row with one raw SQL statement and no
validation at all. Each repetition runs hello, floor, hello, submit (wrk, 8 connections,
fresh tokens for every request), so each subject has its own adjacent baseline:

- floor ÷ hello: B1's ceiling here (no real submit can beat a submit that checks nothing);
- submit ÷ hello: B1 itself, as `make bench` measures it;
- submit ÷ floor: what validation, CSRF, the ORM lookup, case routing and the
  transaction cost on top of the bare database work.

Not part of `make bench` (B1 is); `make bench-floor` runs it (about 4 minutes) and writes
bench/results/b1-floor-<time>.json.

    .venv/bin/python -m bench.b1_floor [--reps 5] [--duration 10]
"""

import argparse
import json
import math
import statistics
import sys
from datetime import UTC, datetime

from bench.b1_submit import CONNECTIONS, POOL_MARGIN, THRESHOLD, _new_tokens, body, hello_file
from bench.common import (
    BENCH_DIR,
    RESULTS_DIR,
    Alternation,
    db_version,
    log,
    machine,
    write_json,
    write_requests,
    wrk,
)
from bench.site import Site, site

FLOOR_APP = "bench.floor_app:create()"


def request_file(tokens: list[str], name: str, floor: bool):
    prefix = "/bench/floor/" if floor else "/s/"
    lines = [("POST", f"{prefix}{t}", body(t, k)) for k, t in enumerate(tokens)]
    return write_requests(BENCH_DIR / "wrk" / name, lines)


def run(s: Site, reps: int = 5, duration: float = 10.0) -> dict:
    url = s.server.url
    hello = hello_file()
    wrk(url, hello, 3, CONNECTIONS)
    rate = 0.0
    for n, floor in enumerate((False, True, True)):  # warms both routes; the faster sizes pools
        warm = request_file(_new_tokens(s, 3000, f"FW{n}-"), "floor-warm.txt", floor)
        result = wrk(url, warm, 3, CONNECTIONS)
        rate = max(rate, result["statuses"].get(303, 0) / (result["duration_us"] / 1e6))
    per_rep = max(3000, math.ceil(duration * rate * 1.5 * POOL_MARGIN))
    log(f"B1 floor: warm-up {rate:.0f} submits/s, seeding {2 * reps} × {per_rep} tokens")
    floor_alt = Alternation("req/s", True)
    submit_alt = Alternation("req/s", True)
    checks: list[dict] = []
    for i in range(reps):
        for alt, floor in ((floor_alt, True), (submit_alt, False)):
            name = f"{'floor' if floor else 'submit'}-{i}.txt"
            pool = request_file(_new_tokens(s, per_rep, f"F{i}{int(floor)}-"), name, floor)
            alt.baseline.append(wrk(url, hello, duration, CONNECTIONS)["rps"])
            result = wrk(url, pool, duration, CONNECTIONS)
            alt.subject.append(result["rps"])
            checks.append({"statuses": result["statuses"], "wrapped": result["wrapped"]})
        log(
            f"B1 floor rep {i + 1}/{reps}: floor {floor_alt.subject[-1]:.0f}/s "
            f"(hello {floor_alt.baseline[-1]:.0f}), submit {submit_alt.subject[-1]:.0f}/s "
            f"(hello {submit_alt.baseline[-1]:.0f})"
        )
    over_floor = [s / f for s, f in zip(submit_alt.subject, floor_alt.subject, strict=True)]
    return {
        "benchmark": "B1-floor",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        "connections": CONNECTIONS,
        "duration_s": duration,
        "floor_over_hello": floor_alt.summary(THRESHOLD),
        "submit_over_hello": submit_alt.summary(THRESHOLD),
        "submit_over_floor": round(statistics.median(over_floor), 3),
        "submit_over_floor_all": [round(r, 3) for r in over_floor],
        # Every request of every subject run answered 303 with a fresh token.
        "accounting_ok": all(set(c["statuses"]) == {303} and not c["wrapped"] for c in checks),
        "memory": s.server.memory(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    with site("postgresql", wsgi_app=FLOOR_APP) as s:
        out = {"machine": machine(), "result": run(s, args.reps, args.duration)}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    write_json(RESULTS_DIR / f"b1-floor-{stamp}.json", out)
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
