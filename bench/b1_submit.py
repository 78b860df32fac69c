"""B1 submit throughput: POST /s/<token> (step 1) against the raw-SQL floor, on one gunicorn.

Subject: each POST uses a fresh, pre-seeded survey token with its token-bound CSRF value
(the HMAC TokenCSRF ("survey-csrf") computes), so every request runs the whole path of step
1, the answer that counts: token lookup, form validation, insert of the response, audit
row, and for 1 in 10 (dissatisfied) a case and the principal's mail in the outbox. Step 1
takes the overall answer alone (the details, reasons, comment and phone come on step 2).
Baseline: `POST /bench/floor/<token>` (bench.floor_app) with the same bodies and fresh
tokens of its own: the same database work alone, no validation, ORM or case. Ratio =
submit ÷ floor, ≥ 0.5. `GET /hello` runs beside each pair and the ratios to it are kept
for history only (floor ÷ hello is the most any submit could reach on this stack).
wrk (one thread) cycles through a file of pre-built requests; a pool holds duration ×
warm-up rate × 1.5 × 2 tokens per repetition, so no token is used twice (a repetition that
still used its pool up is run again with a pool twice the size). Afterwards every issued
submit must be stored: the stored responses equal wrk's 303s plus the few requests cut off
in flight when wrk stops (at most one per connection), and no request of either side got
any other status.

    .venv/bin/python -m bench.b1_submit [--db sqlite|postgresql|both] [--reps 5] [--duration 10]
"""

import math
import statistics
import sys
import time
from datetime import timedelta
from urllib.parse import urlencode

from bench.common import (
    BENCH_DIR,
    SECRET_KEY,
    alternate,
    csrf_for,
    db_version,
    log,
    write_requests,
    wrk,
)
from bench.seed import seed_tokens
from bench.site import Site, wrk_main

THRESHOLD = 0.5  # submit ÷ floor
DISSATISFIED_EVERY = 10
CONNECTIONS = 8
POOL_MARGIN = 2  # × the brief's 1.5: the warm-up rate is noisy on a shared machine


def body(token: str, k: int, key: str = SECRET_KEY) -> str:
    """A valid step 1; every 10th dissatisfied (opens a case, mails the principal)."""
    if k % DISSATISFIED_EVERY == 0:
        overall = "dissatisfied"
    else:
        overall = "very_satisfied" if k % 3 else "satisfied"
    return urlencode([("csrf_token", csrf_for(token, key)), ("overall", overall)])


def submit_file(tokens: list[str], name: str, floor: bool = False):
    prefix = "/bench/floor/" if floor else "/s/"
    lines = [("POST", f"{prefix}{t}", body(t, k)) for k, t in enumerate(tokens)]
    return write_requests(BENCH_DIR / "wrk" / name, lines)


def hello_file():
    return write_requests(BENCH_DIR / "wrk" / "hello.txt", [("GET", "/hello", "")])


def _new_tokens(s: Site, n: int, prefix: str) -> list[str]:
    from survey_app.timeutil import utcnow

    return seed_tokens(s.app, s.base, n, utcnow() - timedelta(hours=1), prefix)


def settled_count(s: Site, table: str) -> int:
    """The row count once in-flight requests have finished (two equal reads 0.3 s apart)."""
    last = s.count(table)
    for _ in range(50):
        time.sleep(0.3)
        now = s.count(table)
        if now == last:
            return now
        last = now
    return last


def run(s: Site, reps: int = 5, duration: float = 10.0) -> dict:
    url = s.server.url
    hello = hello_file()
    # Warm-up (workers import, compile templates, fill pools) and the rates that size the
    # pools: each side's own, the floor being about twice as fast.
    wrk(url, hello, 3, CONNECTIONS)
    rates = {False: 0.0, True: 0.0}
    for n in range(2):  # the first pass also warms the workers up
        for floor in rates:
            pool = submit_file(_new_tokens(s, 2000, f"W{n}{int(floor)}-"), "warm.txt", floor)
            warm = wrk(url, pool, 3, CONNECTIONS)
            rates[floor] = max(
                rates[floor], warm["statuses"].get(303, 0) / (warm["duration_us"] / 1e6)
            )
    sizes = {f: max(2000, math.ceil(duration * r * 1.5 * POOL_MARGIN)) for f, r in rates.items()}
    log(
        f"B1 {s.db.kind}: warm-up {rates[False]:.0f} submits/s, floor {rates[True]:.0f}/s; "
        f"seeding {reps} × ({sizes[False]} + {sizes[True]}) tokens"
    )
    files = {
        f: [
            submit_file(_new_tokens(s, sizes[f], f"R{i}{int(f)}-"), f"b1-{i}-{int(f)}.txt", f)
            for i in range(reps)
        ]
        for f in (False, True)
    }
    runs: dict[bool, list[dict]] = {False: [], True: []}
    discarded: list[dict] = []
    hello_rps: list[float] = []

    def measured(i: int, floor: bool) -> float:
        pool = files[floor][i]
        for attempt in range(3):
            before = s.count("response")
            result = wrk(url, pool, duration, CONNECTIONS)
            result["stored"] = settled_count(s, "response") - before
            if not result["wrapped"]:
                break
            # The pool ran out (a token reused gets a fast 409): run again with a bigger one.
            discarded.append(result)
            size = 2 * result["issued"]
            log(f"B1 {s.db.kind}: pool of rep {i + 1} used up; again with {size} tokens")
            name = f"b1-{i}-{int(floor)}.txt"
            pool = submit_file(_new_tokens(s, size, f"R{i}{int(floor)}x{attempt}-"), name, floor)
        runs[floor].append(result)
        return result["rps"]

    def baseline(i):
        hello_rps.append(wrk(url, hello, duration, CONNECTIONS)["rps"])  # history only
        return measured(i, True)

    cases_before, outbox_before = s.count("follow_up_case"), s.count("outbox")
    alt = alternate(baseline, lambda i: measured(i, False), reps, "req/s", True, f"B1 {s.db.kind}")
    created = s.count("follow_up_case") - cases_before
    mails = s.count("outbox") - outbox_before
    submits, floors = runs[False], runs[True]
    answered = sum(r["statuses"].get(303, 0) for r in submits)
    # wrk calls request() once per run before it starts, to check the script: that first
    # request (the file's first token) is built but never sent.
    sent = sum(r["issued"] - 1 for r in submits)
    other = {code: n for r in submits for code, n in r["statuses"].items() if code != 303}
    errors = {k: sum(r["errors"][k] for r in submits) for k in submits[0]["errors"]}
    stored = sum(r["stored"] for r in submits)
    floor_sent = sum(r["issued"] - 1 for r in floors)
    floor_stored = sum(r["stored"] for r in floors)

    def over_hello(values: list[float]) -> dict:
        ratios = [v / h for v, h in zip(values, hello_rps, strict=True) if h]
        return {
            "ratio": round(statistics.median(ratios), 3),
            "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3),
        }

    return {
        "benchmark": "B1",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        **alt.summary(THRESHOLD),
        "baseline_name": "floor",
        "connections": CONNECTIONS,
        "duration_s": duration,
        "tokens_per_rep": sizes[False],
        "floor_tokens_per_rep": sizes[True],
        "hello_rps": [round(h) for h in hello_rps],
        "submit_over_hello": over_hello(alt.subject),  # history only
        "floor_over_hello": over_hello(alt.baseline),  # the most a submit could reach
        "answered_303": answered,
        "sent": sent,
        "stored_responses": stored,
        # Requests still in flight when wrk stops are stored but not counted by wrk: every
        # request sent must be stored, and at most one per connection per run cut off.
        "stored_equals_sent": stored == sent,
        "cut_off_in_flight": sent - answered,
        "floor_sent": floor_sent,
        "floor_stored": floor_stored,
        "accounting_ok": stored == sent
        and floor_stored == floor_sent
        and 0 <= sent - answered <= CONNECTIONS * len(submits)
        and not any(code != 303 for r in submits + floors for code in r["statuses"]),
        "other_statuses": other,
        "socket_errors": errors,
        "pool_wrapped": sum(r["wrapped"] for r in submits + floors),
        "reps_rerun_with_bigger_pool": len(discarded),
        "cases_opened": created,
        "outbox_mails": mails,
        "latency_p50_ms": [r["latency_p50_ms"] for r in submits],
        "latency_p99_ms": [r["latency_p99_ms"] for r in submits],
        "memory": s.server.memory(),
    }


def main(argv: list[str] | None = None) -> int:
    return wrk_main(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
