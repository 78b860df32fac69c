"""SQLite's write path (survey_app/database.py): who takes the write lock, and when.

These run on a SQLite file of their own whatever TEST_DATABASE_URL says: the behaviour is
SQLite's (PostgreSQL has row locks and needs none of it).
"""

import os
import sqlite3
import threading
import time
from datetime import datetime

import pytest
from flask import g
from sqlalchemy import select, text

from survey_app import create_app
from survey_app.database import begin_writes
from survey_app.extensions import db


@pytest.fixture
def sqlite_app(tmp_path):
    path = tmp_path / "lock.db"
    # Not TESTING: outside requests every transaction is a writer's, as in the CLI.
    app = create_app({"APP_ENV": "development", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe (n INTEGER)"))
    yield app, path
    with app.app_context():
        db.engine.dispose()


def _write_lock_free(path) -> bool:
    """Can another connection (the sqlite3 module, no queue) take the write lock now?"""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        conn.close()


def test_a_reads_first_post_takes_the_write_lock_only_for_its_writes(sqlite_app):
    app, path = sqlite_app
    with app.test_request_context("/s/x", method="POST"):
        g.sqlite_reads_first = True
        db.session.execute(text("SELECT count(*) FROM probe")).scalar()
        assert db.session().in_transaction()
        assert _write_lock_free(path)  # the lookups hold no write lock
        begin_writes()
        db.session.execute(text("SELECT count(*) FROM probe")).scalar()
        assert not _write_lock_free(path)  # from here to COMMIT, this request writes
        db.session.commit()
        assert _write_lock_free(path)


def test_a_plain_post_takes_the_write_lock_at_its_first_statement(sqlite_app):
    app, path = sqlite_app
    with app.test_request_context("/dossiers/new", method="POST"):
        db.session.execute(text("SELECT 1")).scalar()
        assert not _write_lock_free(path)
        db.session.rollback()
        assert _write_lock_free(path)


def test_writers_queue_and_each_waits_for_the_previous_commit(sqlite_app):
    app, _path = sqlite_app
    events: list[tuple[str, int, float]] = []
    first_inside = threading.Event()

    def writer(n: int, hold: float) -> None:
        with app.app_context(), db.engine.begin() as conn:  # BEGIN IMMEDIATE, in the queue
            events.append(("in", n, time.monotonic()))
            first_inside.set()
            conn.execute(text("INSERT INTO probe (n) VALUES (:n)"), {"n": n})
            time.sleep(hold)
            events.append(("out", n, time.monotonic()))

    first = threading.Thread(target=writer, args=(1, 0.4))
    first.start()
    assert first_inside.wait(10)  # the second writer comes while the first holds the lock
    second = threading.Thread(target=writer, args=(2, 0.0))
    second.start()
    for thread in (first, second):
        thread.join(timeout=20)
        assert not thread.is_alive(), "a writer never got the lock"
    order = [(kind, n) for kind, n, _t in sorted(events, key=lambda e: e[2])]
    assert order == [("in", 1), ("out", 1), ("in", 2), ("out", 2)]
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM probe")).scalar() == 2


def test_a_connection_returned_to_the_pool_mid_transaction_leaves_the_queue(sqlite_app):
    """The pool's reset-on-return rolls back through its proxy: the queue must be left too."""
    app, _path = sqlite_app
    with app.app_context():
        conn = db.engine.connect()
        conn.begin()  # BEGIN IMMEDIATE: queued and holding
        conn.execute(text("SELECT 1"))
        conn.close()  # back to the pool, rolled back there

    done = threading.Event()

    def next_writer() -> None:
        with app.app_context(), db.engine.begin() as other:
            other.execute(text("SELECT 1"))
        done.set()

    thread = threading.Thread(target=next_writer, daemon=True)
    thread.start()
    assert done.wait(10), "the queue was still held by a connection back in the pool"


def test_an_unusable_queue_file_leaves_sqlite_to_guard_the_writes(sqlite_app, caplog):
    """A lock file the app cannot open (made by root, say) must not stop writing."""
    app, path = sqlite_app
    lock = f"{path}-writers.lock"
    with app.app_context():
        db.engine.dispose()  # new connections: no queue file open yet
    os.remove(lock)
    os.mkdir(lock)  # a directory cannot be opened for writing
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO probe (n) VALUES (1)"))
    assert "writer queue off" in caplog.text
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM probe")).scalar() == 1


def test_a_case_is_planned_before_the_write_lock_and_opened_under_it(app, make):
    """The 1 answer in 10 that opens a case reads its rule, calendar, principals and mail
    text without the write lock; only the inserts hold it (survey_app/cases/routing.py)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock (TEST_DATABASE_URL is PostgreSQL)")
    from survey_app.cases.routing import open_case, plan_case
    from survey_app.dossiers.models import Dossier
    from survey_app.notify.models import Outbox

    make.user("principal", username="ht", email="ht@school.test")
    dossier_id = make.dossier(returned_at=datetime(2025, 10, 1, 9, 0)).id
    response_id = make.response(db.session.get(Dossier, dossier_id), overall="dissatisfied").id
    path = db.engine.url.database
    db.session.commit()
    with app.test_request_context("/s/x", method="POST"):
        g.sqlite_reads_first = True
        dossier = db.session.get(Dossier, dossier_id)
        plan = plan_case(dossier, "dissatisfied", {"visits": "2+"}, "Chờ lâu quá")
        assert plan is not None and plan.recipients == ("ht@school.test",)
        assert _write_lock_free(path)  # all of that was reads
        begin_writes()
        case_id = open_case(plan, response_id)
        assert not _write_lock_free(path)
        db.session.commit()
        assert _write_lock_free(path)
    mail = db.session.scalars(select(Outbox)).one()
    assert mail.body.endswith(f"http://localhost/cases/{case_id}")
    assert "Chờ lâu quá" in mail.body and "{case_id}" not in mail.body
