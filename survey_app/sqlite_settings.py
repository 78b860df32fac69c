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
"""

from flask import Flask, has_request_context, request
from sqlalchemy import event

from survey_app.extensions import db


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
        else:
            writes = immediate_outside_requests
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    event.listen(engine, "begin", begin)
    app.extensions["sqlite_begin"] = begin  # tests swap it for a plain BEGIN (the regression)
