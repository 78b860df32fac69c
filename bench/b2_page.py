"""B2 survey page render: GET /s/<token> (returned, unanswered) against GET /healthz.

wrk (one thread) cycles through 1,000 pre-seeded tokens: token lookup, answered/expired
checks, the form and the template, as a parent's phone asks for it. Every answer must be 200.
Baseline: `GET /healthz`, the app's health check (`SELECT 1`, the unsent mail's count and
age, and a Redis ping when Redis holds the limits). B1, run before on the same site, leaves
its cases' mail unsent (no mail server here): it is marked sent first, as a running site's
outbox is, so that the health check does not count thousands of unsent mails. No page or
fragment is cached between requests.

    .venv/bin/python -m bench.b2_page [--db sqlite|postgresql|both] [--reps 5] [--duration 10]
"""

import sys
from datetime import timedelta

from sqlalchemy import update

from bench.b1_submit import CONNECTIONS
from bench.common import BENCH_DIR, alternate, db_version, write_requests, wrk
from bench.seed import seed_tokens
from bench.site import Site, wrk_main

THRESHOLD = 0.5
TOKENS = 1000


def _deliver_outbox(s: Site) -> None:
    from survey_app.extensions import db
    from survey_app.notify.models import Outbox
    from survey_app.timeutil import utcnow

    with s.app.app_context():
        db.session.execute(update(Outbox).where(Outbox.sent_at.is_(None)).values(sent_at=utcnow()))
        db.session.commit()


def run(s: Site, reps: int = 5, duration: float = 10.0) -> dict:
    from survey_app.timeutil import utcnow

    tokens = seed_tokens(s.app, s.base, TOKENS, utcnow() - timedelta(hours=2), "P")
    _deliver_outbox(s)
    pages = write_requests(BENCH_DIR / "wrk" / "page.txt", [("GET", f"/s/{t}", "") for t in tokens])
    health = write_requests(BENCH_DIR / "wrk" / "healthz.txt", [("GET", "/healthz", "")])
    url = s.server.url
    wrk(url, health, 2, CONNECTIONS)  # warm-up: templates compiled, pools filled
    wrk(url, pages, 2, CONNECTIONS)
    runs: list[dict] = []
    health_statuses: dict = {}

    def baseline(_i):
        result = wrk(url, health, duration, CONNECTIONS)
        for code, n in result["statuses"].items():
            health_statuses[code] = health_statuses.get(code, 0) + n
        return result["rps"]

    def subject(_i):
        result = wrk(url, pages, duration, CONNECTIONS)
        runs.append(result)
        return result["rps"]

    alt = alternate(baseline, subject, reps, "req/s", True, f"B2 {s.db.kind}")
    other = {code: n for r in runs for code, n in r["statuses"].items() if code != 200}
    return {
        "benchmark": "B2",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        **alt.summary(THRESHOLD),
        "connections": CONNECTIONS,
        "duration_s": duration,
        "other_statuses": other,
        "baseline_statuses": health_statuses,  # 200 unless the health check found a fault
        "latency_p50_ms": [r["latency_p50_ms"] for r in runs],
        "latency_p99_ms": [r["latency_p99_ms"] for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    return wrk_main(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
