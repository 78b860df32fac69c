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
from survey_app.sqlite_settings import begin_writes, reads_first


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
    with app.test_request_context("/login", method="POST"):
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


@pytest.fixture
def reads_first_app(sqlite_app):
    """A POST view marked @reads_first, as the parent's answer is."""
    app, path = sqlite_app

    @app.post("/probe")
    @reads_first
    def probe():
        return ""

    return app, path


@pytest.mark.parametrize("url", ["/probe", "/s/some-token"])  # the parent's answer is one
def test_a_reads_first_post_reads_without_the_write_lock(reads_first_app, url):
    app, path = reads_first_app
    with app.test_request_context(url, method="POST"):
        assert db.session.execute(text("SELECT count(*) FROM probe")).scalar() == 0
        assert _write_lock_free(path)  # its reads hold no lock: other writers go on
        begin_writes()
        assert not _write_lock_free(path)  # from here to COMMIT, as any writer
        db.session.execute(text("INSERT INTO probe VALUES (1)"))
        db.session.execute(text("INSERT INTO probe VALUES (2)"))
        db.session.rollback()
        assert _write_lock_free(path)
        # The writes after begin_writes() were one transaction: rolled back together.
        assert db.session.execute(text("SELECT count(*) FROM probe")).scalar() == 0
        begin_writes()
        db.session.execute(text("INSERT INTO probe VALUES (3)"))
        db.session.commit()
        assert db.session.execute(text("SELECT count(*) FROM probe")).scalar() == 1


def test_begin_writes_elsewhere_changes_nothing(reads_first_app):
    """Another POST already holds the lock from its first statement; begin_writes() there
    (store_response is shared with the desk's paper entry and the kiosk) does nothing."""
    app, path = reads_first_app
    with app.test_request_context("/login", method="POST"):
        db.session.execute(text("SELECT 1")).scalar()
        assert not _write_lock_free(path)
        begin_writes()
        db.session.execute(text("INSERT INTO probe VALUES (1)"))
        db.session.rollback()
        assert db.session.execute(text("SELECT count(*) FROM probe")).scalar() == 0
