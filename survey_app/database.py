"""Engine settings: SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writes."""

import os

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
    # Test knob (tests/faults F6): plain deferred BEGIN everywhere, to show the regression.
    deferred = app.config.get("APP_ENV") != "production" and _bool_env("HL_SQLITE_DEFERRED")

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        # Writers (POSTs, CLI) take the write lock up front, so a read lock is never
        # upgraded mid-transaction ("database is locked"); pages that only read don't.
        if has_request_context():
            writes = request.method not in ("GET", "HEAD")
        else:
            writes = immediate_outside_requests
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes and not deferred else "BEGIN")


def _bool_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
