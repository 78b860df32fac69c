"""SQLite's settings (survey_app/sqlite_settings.py): pragmas, and who takes the write lock.

These run on a SQLite file of their own whatever TEST_DATABASE_URL says: the behaviour is
SQLite's (PostgreSQL has row locks and needs none of it). That parents submitting at once
all get their answer stored, and do not with a plain BEGIN, is in
tests/test_survey_concurrency.py.
"""

import sqlite3

import pytest
from sqlalchemy import text

from survey_app import create_app
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
    """Can another connection take the write lock now?"""
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


def test_pragmas(sqlite_app):
    app, _path = sqlite_app
    with app.app_context():
        pragmas = {
            name: db.session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 10000,
        "foreign_keys": 1,
        "synchronous": 2,
    }


def test_a_post_takes_the_write_lock_at_its_first_statement(sqlite_app):
    app, path = sqlite_app
    with app.test_request_context("/s/x", method="POST"):
        db.session.execute(text("SELECT 1")).scalar()
        assert not _write_lock_free(path)
        db.session.rollback()
        assert _write_lock_free(path)


def test_a_page_that_reads_takes_no_write_lock(sqlite_app):
    app, path = sqlite_app
    with app.test_request_context("/s/x"):
        db.session.execute(text("SELECT count(*) FROM probe")).scalar()
        assert db.session().in_transaction()
        assert _write_lock_free(path)
        db.session.rollback()


def test_a_command_outside_requests_writes(sqlite_app):
    app, path = sqlite_app
    with app.app_context():
        db.session.execute(text("SELECT 1")).scalar()
        assert not _write_lock_free(path)
        db.session.rollback()
