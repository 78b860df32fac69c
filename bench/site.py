"""The benchmark site: a fresh `hl_bench` database with a school's history, served by gunicorn.

B1, B2, B4 and B6 talk to the gunicorn it starts; B5 runs in-process on the same database.
`hl_bench` is dropped and rebuilt every run (B1 consumes its survey tokens).
"""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from bench.common import (
    BENCH_APP,
    Database,
    Gunicorn,
    create_database,
    database,
    log,
    make_app,
    migrate,
)
from bench.seed import Base, history_bounds, seed_base, seed_history

HISTORY_MONTHS = 24
HISTORY_DOSSIERS = 24 * 600  # a busy school: ~600 dossiers a month, 80% answered
# Another name lets two benchmark runs share the machine without dropping each other's site.
SITE_NAME = os.environ.get("HL_BENCH_SITE", "hl_bench")


@dataclass
class Site:
    db: Database
    app: object  # the Flask app in this process, on the same database
    base: Base
    server: Gunicorn | None

    def count(self, table: str) -> int:
        from survey_app.extensions import db as sa

        with self.app.app_context():
            return sa.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def build(kind: str, name: str = SITE_NAME) -> tuple[Database, object, Base]:
    """A fresh database: migrations, a school with 24 months of history."""
    db = database(kind, name)
    log(f"building {kind} {name}")
    create_database(db, fresh=True)
    app = make_app(db, ARGON2_FAST=True)
    migrate(app)
    base = seed_base(app)
    start, end = history_bounds(HISTORY_MONTHS, date.today())
    seed_history(app, db, base, HISTORY_DOSSIERS, start, end)
    if kind == "postgresql":
        from survey_app.extensions import db as sa

        with app.app_context(), sa.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return db, make_app(db), base


@contextlib.contextmanager
def site(kind: str, serve: bool = True, wsgi_app: str = BENCH_APP) -> Iterator[Site]:
    """A fresh site (see build), served by gunicorn running `wsgi_app` unless not `serve`."""
    db, app, base = build(kind)
    if not serve:
        yield Site(db, app, base, None)
        return
    with Gunicorn(db, app=wsgi_app) as server:
        log(f"gunicorn on {server.url}, {len(server.workers())} workers ({kind})")
        yield Site(db, app, base, server)


def wrk_main(doc: str, run, argv: list[str] | None = None) -> int:
    """Command line of a wrk benchmark: run it on each database, print JSON results."""
    import argparse
    import json

    from bench.common import machine

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    out = {"machine": machine(), "results": []}
    for kind in kinds:
        with site(kind) as s:
            out["results"].append(run(s, args.reps, args.duration))
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0
