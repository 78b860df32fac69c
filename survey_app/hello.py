"""`GET /hello`: a constant answer, the baseline the benchmarks compare every page with.

Registered only when the BENCH_HELLO setting (or environment variable) is true; off by
default and in production unless a benchmark run turns it on.
"""

import os

from flask import Flask, Response

HELLO = "Hello, world!\n"


def register(app: Flask) -> None:
    enabled = app.config.get("BENCH_HELLO")
    if enabled is None and not app.testing:
        enabled = os.environ.get("BENCH_HELLO", "").strip().lower() in {"1", "true", "yes", "on"}
    if not enabled:
        return

    @app.get("/hello")
    def hello():
        return Response(HELLO, mimetype="text/plain")
