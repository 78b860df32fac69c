"""Engine settings: SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writes.

A request that writes takes SQLite's write lock at its first statement (`BEGIN IMMEDIATE`),
so a read snapshot is never upgraded to a write mid-transaction: that upgrade fails at once
with "database is locked" when another worker committed in between, whatever the busy
timeout. A view marked `@reads_first` (the parent's survey POST: lookups and validation,
then one short write) reads in SQLite's autocommit mode instead (each statement its own
snapshot, no transaction to upgrade) and calls `begin_writes()` before its first write, which
issues `BEGIN IMMEDIATE` on the same connection: the write lock is held for the inserts and
the commit only, not for the whole request.

Writers also queue on an exclusive `flock` of a file beside the database (`WriterQueue`),
taken just before `BEGIN IMMEDIATE` and released right after COMMIT or ROLLBACK. SQLite's
busy handler polls with growing sleeps (1, 2, 5 … 100 ms), so with several gunicorn workers
a waiting writer often sleeps long after the lock is free; in the kernel's queue it wakes the
moment the previous writer is done. SQLite's own lock still guards the data: a writer that
does not queue (the sqlite3 shell) is as safe as before, only not queued.
"""

import fcntl
import logging
import os
from collections.abc import Callable

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event

from survey_app.config import env_bool
from survey_app.extensions import db


def reads_first(view: Callable) -> Callable:
    """Mark a view (put it right under the route decorator) whose writes call begin_writes()."""
    view.reads_first = True
    return view


def begin_writes() -> None:
    """Before a @reads_first view's first write: take SQLite's write lock (BEGIN IMMEDIATE).

    Its reads ran in autocommit mode on the session's connection; the transaction that
    SQLAlchemy began for them becomes the write transaction (loaded objects stay loaded).
    """
    if not g.pop("sqlite_reads_first", False):
        return
    session = db.session()
    if session.in_transaction():  # else the first statement begins IMMEDIATE by itself
        begin_immediate = current_app.extensions["sqlite_begin_immediate"]
        begin_immediate(session.connection().connection.dbapi_connection)


class WriterQueue:
    """One exclusive flock per database connection (its own open file, so threads queue too)."""

    def __init__(self, path: str):
        self.path = path
        self._fds: dict[int, int] = {}

    @staticmethod
    def _key(conn) -> int:
        # The pool's reset-on-return passes its proxy, not the sqlite3 connection.
        return id(getattr(conn, "dbapi_connection", None) or conn)

    def acquire(self, dbapi_conn) -> None:
        key = self._key(dbapi_conn)
        fd = self._fds.get(key)
        if fd is None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:  # e.g. created by root: SQLite's own lock still holds
                logging.getLogger(__name__).warning("writer queue off: %s", error)
                return
            self._fds[key] = fd
        fcntl.flock(fd, fcntl.LOCK_EX)

    def release(self, dbapi_conn) -> None:
        fd = self._fds.get(self._key(dbapi_conn))
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def forget(self, dbapi_conn) -> None:
        fd = self._fds.pop(self._key(dbapi_conn), None)
        if fd is not None:
            os.close(fd)  # closing the file also drops a lock still held


def configure_engine(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    # CLI commands write; a test's own session (TESTING) only reads between requests.
    immediate_outside_requests = not app.testing
    # Test knob (tests/faults F6): plain deferred BEGIN everywhere and no reads-first split
    # (one transaction per request, reads then writes), to show the regression.
    deferred = app.config.get("APP_ENV") != "production" and env_bool("HL_SQLITE_DEFERRED")

    @app.before_request
    def _mark_reads_first() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        if deferred:  # the naive setup: one deferred transaction per request
            return
        if request.method not in ("GET", "HEAD") and getattr(view, "reads_first", False):
            g.sqlite_reads_first = True

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

    path = engine.url.database
    queue = WriterQueue(f"{path}-writers.lock") if path and path != ":memory:" else None

    def _begin_immediate(dbapi_conn) -> None:
        if queue is not None:
            queue.acquire(dbapi_conn)
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            if queue is not None:
                queue.release(dbapi_conn)
            raise

    app.extensions["sqlite_begin_immediate"] = _begin_immediate

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        # Writers (POSTs, CLI) take the write lock up front, so a read lock is never
        # upgraded mid-transaction ("database is locked"); pages that only read don't.
        # On the sqlite3 connection itself: a statement without results needs none of
        # SQLAlchemy's execution machinery (this runs for every transaction).
        dbapi_conn = conn.connection.dbapi_connection
        if deferred:
            dbapi_conn.execute("BEGIN")
        elif not has_request_context():
            if immediate_outside_requests:
                _begin_immediate(dbapi_conn)
            else:
                dbapi_conn.execute("BEGIN")
        elif request.method in ("GET", "HEAD"):
            dbapi_conn.execute("BEGIN")
        elif g.get("sqlite_reads_first"):
            pass  # autocommit reads until begin_writes()
        else:
            _begin_immediate(dbapi_conn)

    if queue is None:
        return
    # Leave the queue once the transaction is over (SQLAlchemy has no after-commit event on
    # connections: wrap this engine's dialect). A pooled connection is rolled back on return.
    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def _commit(dbapi_conn):
        try:
            do_commit(dbapi_conn)
        finally:
            queue.release(dbapi_conn)

    def _rollback(dbapi_conn):
        try:
            do_rollback(dbapi_conn)
        finally:
            queue.release(dbapi_conn)

    dialect.do_commit, dialect.do_rollback = _commit, _rollback

    @event.listens_for(engine, "close")
    @event.listens_for(engine, "close_detached")
    def _forget(dbapi_conn, *_record):
        queue.forget(dbapi_conn)
