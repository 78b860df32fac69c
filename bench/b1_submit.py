"""B1 submit throughput: POST /s/<token> (step 1) against GET /hello, on the same gunicorn.

Each POST uses a fresh, pre-seeded survey token with its token-bound CSRF value (the HMAC
TokenCSRF ("survey-csrf") computes), so every request runs the whole path of step 1, the answer that
counts: token lookup, form validation, insert of the response, audit row, and for 1 in 10
(dissatisfied) a case and the principal's mail in the outbox. Step 1 takes the overall
answer alone (the details, reasons, comment and phone come on the optional step 2).
wrk (one thread) cycles through a file of pre-built requests; the pool holds
duration × warm-up rate × 1.5 × 2 tokens per repetition, so no token is used twice (a
repetition that still used its pool up is run again with a pool twice the size).
Afterwards every issued request must be stored: the stored responses equal wrk's 303s plus
the few requests cut off in flight when wrk stops (at most one per connection), and no
request got any other status.

    .venv/bin/python -m bench.b1_submit [--db sqlite|postgresql|both] [--reps 5] [--duration 10]
"""

import math
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

THRESHOLD = 0.20
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


def submit_file(tokens: list[str], name: str):
    lines = [("POST", f"/s/{t}", body(t, k)) for k, t in enumerate(tokens)]
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
    # Warm-up (workers import, compile templates, fill pools) and the rate that sizes the pool.
    wrk(url, hello, 3, CONNECTIONS)
    rate = 0.0
    for n in range(2):  # the first pass also warms the workers up
        warm = wrk(url, submit_file(_new_tokens(s, 2000, f"W{n}-"), "warm.txt"), 3, CONNECTIONS)
        rate = max(rate, warm["statuses"].get(303, 0) / (warm["duration_us"] / 1e6))
    per_rep = max(2000, math.ceil(duration * rate * 1.5 * POOL_MARGIN))
    log(f"B1 {s.db.kind}: warm-up {rate:.0f} submits/s, seeding {reps} × {per_rep} tokens")
    files = [submit_file(_new_tokens(s, per_rep, f"R{i}-"), f"submit-{i}.txt") for i in range(reps)]
    runs: list[dict] = []
    discarded: list[dict] = []

    def baseline(_i):
        return wrk(url, hello, duration, CONNECTIONS)["rps"]

    def subject(i):
        pool = files[i]
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
            pool = submit_file(_new_tokens(s, size, f"R{i}x{attempt}-"), f"submit-{i}.txt")
        runs.append(result)
        return result["rps"]

    cases_before, outbox_before = s.count("follow_up_case"), s.count("outbox")
    alt = alternate(baseline, subject, reps, "req/s", True, f"B1 {s.db.kind}")
    created = s.count("follow_up_case") - cases_before
    mails = s.count("outbox") - outbox_before
    answered = sum(r["statuses"].get(303, 0) for r in runs)
    # wrk calls request() once per run before it starts, to check the script: that first
    # request (the file's first token) is built but never sent.
    sent = sum(r["issued"] - 1 for r in runs)
    other = {code: n for r in runs for code, n in r["statuses"].items() if code != 303}
    errors = {k: sum(r["errors"][k] for r in runs) for k in runs[0]["errors"]}
    stored = sum(r["stored"] for r in runs)
    return {
        "benchmark": "B1",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        **alt.summary(THRESHOLD),
        "connections": CONNECTIONS,
        "duration_s": duration,
        "tokens_per_rep": per_rep,
        "answered_303": answered,
        "sent": sent,
        "stored_responses": stored,
        # Requests still in flight when wrk stops are stored but not counted by wrk: every
        # request sent must be stored, and at most one per connection per run cut off.
        "stored_equals_sent": stored == sent,
        "cut_off_in_flight": sent - answered,
        "accounting_ok": stored == sent
        and 0 <= sent - answered <= CONNECTIONS * len(runs)
        and not any(code != 303 for r in runs for code in r["statuses"]),
        "other_statuses": other,
        "socket_errors": errors,
        "pool_wrapped": sum(r["wrapped"] for r in runs),
        "reps_rerun_with_bigger_pool": len(discarded),
        "cases_opened": created,
        "outbox_mails": mails,
        "latency_p50_ms": [r["latency_p50_ms"] for r in runs],
        "latency_p99_ms": [r["latency_p99_ms"] for r in runs],
        "memory": s.server.memory(),
    }


def main(argv: list[str] | None = None) -> int:
    return wrk_main(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
