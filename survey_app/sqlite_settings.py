"""SQLite's settings: WAL, a busy timeout, foreign keys, full sync, and BEGIN IMMEDIATE
for writers. PostgreSQL needs none of it.

A request that may write (anything but GET and HEAD) and a CLI command begin their
transaction with `BEGIN IMMEDIATE`: SQLite's write lock is taken at the first statement and
held to COMMIT, so a read snapshot is never upgraded to a write mid-transaction. That upgrade
fails at once with "database is locked" when another worker committed in between, whatever
the busy timeout: parents submitting at once got errors with a plain deferred `BEGIN`
(tests/test_survey_concurrency.py, fault test F6). A writer that finds the lock taken waits
in SQLite's busy handler, up to busy_timeout. Pages that only read begin a deferred
transaction and take no write lock.

One view is `@reads_first`: the parent's answer (step 1). Its reads (the token, the form,
what a case needs) run in SQLite's autocommit mode, each statement its own snapshot with no
transaction to upgrade, and `begin_writes()` takes the write lock just before its inserts,
so five workers' answers queue for the inserts and COMMIT only. Measured back to back, B1
on SQLite: 0.201 and 0.212 with it against 0.122 and 0.132 without, p99 latency halved
(BENCHMARKS.md, "The request path, plain"). A race it opens (two answers to one link) ends
at the unique constraint on response.dossier_id, as on PostgreSQL.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event

from survey_app.extensions import db

View = TypeVar("View", bound=Callable)


def reads_first(view: View) -> View:
    """Mark a view (under its route decorator) that calls begin_writes() before writing."""
    view.reads_first = True  # type: ignore[attr-defined]  # a marker read by begin()
    return view


def begin_writes() -> None:
    """Before a @reads_first request's first write: SQLite's write lock (BEGIN IMMEDIATE) on
    the session's connection. Elsewhere (another view, PostgreSQL) it does nothing."""
    if not has_request_context():
        return
    conn = db.session.connection()  # begins the session's transaction if it had not
    if g.pop("sqlite_reads_first", False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _is_reads_first() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "reads_first", False)


def configure_engine(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    # CLI commands write; a test's own session (TESTING) only reads between requests.
    immediate_outside_requests = not app.testing

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    def begin(conn) -> None:
        if has_request_context():
            writes = request.method not in ("GET", "HEAD")
            if writes and _is_reads_first():
                g.sqlite_reads_first = True  # autocommit reads until begin_writes()
                return
        else:
            writes = immediate_outside_requests
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    event.listen(engine, "begin", begin)
    app.extensions["sqlite_begin"] = begin  # tests swap it for a plain BEGIN (the regression)
