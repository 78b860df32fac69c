"""Hostile backups (issue 16, finding 6): `flask backup check` and `restore` refuse a file
whose schema is not exactly the app's. Real files: a SQLite backup made by `backup create`
then altered with sqlite3, and a real pg_dump archive with a trigger and a function.
"""

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey_app import create_app
from survey_app.backup import pg_command
from survey_app.backup_schema import check_pg_archive
from survey_app.extensions import db
from tests.conftest import scratch_database

ROOT = Path(__file__).resolve().parent.parent
FIRST_REVISION = "c79e822321b2"  # the initial schema (migrations/versions)
HOSTILE_SQLITE = {
    "trigger deleting audit rows": (
        "CREATE TRIGGER wipe AFTER INSERT ON audit BEGIN DELETE FROM audit; END",
        "unexpected trigger 'wipe'",
    ),
    "a copy of every comment and phone": (
        "CREATE TABLE shadow (comment TEXT, phone TEXT); "
        "CREATE TRIGGER copy AFTER INSERT ON response BEGIN "
        "INSERT INTO shadow VALUES (NEW.comment, NEW.contact_phone); END",
        "unexpected table 'shadow'",
    ),
    "a view": ("CREATE VIEW v AS SELECT * FROM response", "unexpected view 'v'"),
    "an index": ("CREATE INDEX ix_extra ON dossier (student_name)", "unexpected index 'ix_extra'"),
    "a table gone": ("DROP TABLE case_event", "missing table 'case_event'"),
    "a column more": ("ALTER TABLE response ADD COLUMN leak TEXT", "table 'response' differs"),
}


@pytest.fixture
def sqlite_backup(tmp_path):
    """A real SQLite backup of an app database (`flask backup create`)."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        runner = app.test_cli_runner()
        assert runner.invoke(args=["schools", "create", "SRC", "Trường SRC"]).exit_code == 0
        path = tmp_path / "b.sqlite"
        assert runner.invoke(args=["backup", "create", str(path)]).exit_code == 0
        db.engine.dispose()
    return path


@pytest.mark.parametrize("attack", sorted(HOSTILE_SQLITE))
def test_sqlite_backup_with_foreign_objects_is_refused(runner, sqlite_backup, tmp_path, attack):
    sql, message = HOSTILE_SQLITE[attack]
    assert runner.invoke(args=["backup", "check", str(sqlite_backup)]).exit_code == 0
    with closing(sqlite3.connect(sqlite_backup)) as conn:
        conn.executescript(sql)
    check = runner.invoke(args=["backup", "check", str(sqlite_backup)])
    assert check.exit_code == 1 and message in check.output, check.output

    live = tmp_path / "other.db"
    live_url = f"sqlite:///{live}"
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": live_url})
    with app.app_context():
        db.create_all()
        cli = app.test_cli_runner()
        cli.invoke(args=["schools", "create", "LIVE", "Trường LIVE"])
        restore = cli.invoke(args=["backup", "restore", str(sqlite_backup), "--yes"])
        db.engine.dispose()
    assert restore.exit_code == 1 and message in restore.output
    with closing(sqlite3.connect(live)) as conn:  # the live database is untouched
        assert conn.execute("SELECT code FROM school").fetchall() == [("LIVE",)]
        assert conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall() == []


def _migrate(path, *revision):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "APP_ENV": "development"}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade", *revision],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_backup_of_a_migrated_database_passes(runner, tmp_path):
    """The reference is what the migrations make: a migrated database's backup is ok, at
    head and at an older revision (restored, then upgraded by the deploy step)."""
    older = tmp_path / "older.db"
    _migrate(older, FIRST_REVISION)
    with closing(sqlite3.connect(older)) as conn:
        conn.execute("CREATE TRIGGER wipe AFTER INSERT ON audit BEGIN DELETE FROM audit; END")
    check = runner.invoke(args=["backup", "check", str(older)])
    assert check.exit_code == 1 and "unexpected trigger 'wipe'" in check.output
    with closing(sqlite3.connect(older)) as conn:
        conn.execute("DROP TRIGGER wipe")
    check = runner.invoke(args=["backup", "check", str(older)])
    assert check.exit_code == 0, check.output

    path = tmp_path / "migrated.db"
    _migrate(path)
    check = runner.invoke(args=["backup", "check", str(path)])
    assert check.exit_code == 0, check.output
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'deadbeef0000'")
        conn.commit()
    check = runner.invoke(args=["backup", "check", str(path)])
    assert check.exit_code == 1 and "alembic_version" in check.output


def _pg_dump(url: str, path) -> None:
    args, env = pg_command(make_url(url), "pg_dump")
    done = subprocess.run(
        [*args, "--format=custom", f"--file={path}", f"--dbname={make_url(url).database}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_pg_archive_with_a_trigger_and_a_function_is_refused(runner, tmp_path, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a pg_dump archive needs the PostgreSQL run (TEST_DATABASE_URL)")
    with scratch_database(tmp_path, "hl_hostile") as url:
        scratch = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with scratch.app_context():
            db.create_all()
            db.engine.dispose()
        clean = tmp_path / "clean.dump"
        _pg_dump(url, clean)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE shadow (comment text, phone text)"))
            conn.execute(
                text(
                    "CREATE FUNCTION copy_answer() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN INSERT INTO shadow VALUES (NEW.comment, NEW.contact_phone); "
                    "RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER copy AFTER INSERT ON response "
                    "FOR EACH ROW EXECUTE FUNCTION copy_answer()"
                )
            )
        engine.dispose()
        hostile = tmp_path / "hostile.dump"
        _pg_dump(url, hostile)
    ok = runner.invoke(args=["backup", "check", str(clean)])
    assert ok.exit_code == 0, ok.output
    check = runner.invoke(args=["backup", "check", str(hostile)])
    assert check.exit_code == 1, check.output
    for name in ("shadow", "copy_answer", "TRIGGER"):
        assert name in check.output
    restore = runner.invoke(args=["backup", "restore", str(hostile), "--yes"])
    assert restore.exit_code == 1 and "refused" in restore.output


def test_pg_listing_rules():
    """The table-of-contents rules on a listing as pg_restore prints it (both runs)."""
    good = "\n".join(
        [
            "; Archive created at 2026-12-04",
            "3; 2615 2200 SCHEMA - public pg_database_owner",
            "237; 1259 45020 TABLE public answer postgres",
            "236; 1259 45019 SEQUENCE public answer_id_seq postgres",
            "3566; 0 0 SEQUENCE OWNED BY public answer_id_seq postgres",
            "3000; 2604 1 DEFAULT public answer id postgres",
            "3001; 2606 2 CONSTRAINT public answer pk_answer postgres",
            "3002; 2606 3 FK CONSTRAINT public answer fk_answer_response_id_response postgres",
            "3500; 0 45020 TABLE DATA public answer postgres",
        ]
    )
    problems = check_pg_archive(good)
    assert all(p.startswith("missing tables") for p in problems), problems
    hostile = good + "\n900; 1255 1 FUNCTION public evil() postgres"
    hostile += "\n901; 2620 2 TRIGGER public response copy postgres"
    hostile += "\n902; 1259 3 VIEW public leak postgres"
    hostile += "\n903; 1259 4 TABLE public shadow postgres"
    problems = " ".join(check_pg_archive(hostile))
    for word in ("FUNCTION", "TRIGGER", "VIEW", "shadow"):
        assert word in problems
