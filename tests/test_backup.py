"""`flask backup create / check / restore`: a backup taken during writes is consistent."""

import os
import sqlite3
import stat
import threading
import time
import uuid
from contextlib import closing
from datetime import datetime

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from survey_app import create_app, questions
from survey_app.backup import pg_command
from survey_app.dossiers.intake import dossier_fields
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db
from survey_app.survey.models import Response, ResponseChannel
from tests.conftest import scratch_database

BATCH = 5  # dossiers (each with its response) per writer transaction


class Writer(threading.Thread):
    """Inserts BATCH dossiers + responses per transaction, through its own engine; each
    dossier's columns are `fields` (the intake rule's, `dossier_fields`) and a fresh code."""

    def __init__(self, url: str, fields: dict, start_count: int):
        super().__init__(daemon=True)
        options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
        self.engine = create_engine(url, **options)
        self.fields = fields
        self.committed = [start_count]  # dossier count after each commit
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            with Session(self.engine) as session:
                while not self.stop.is_set():
                    for _ in range(BATCH):
                        self._add(session)
                    session.commit()
                    self.committed.append(self.committed[-1] + BATCH)
                    time.sleep(0.002)
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.engine.dispose()

    def _add(self, session: Session) -> None:
        dossier = Dossier(**self.fields, code=f"W-{uuid.uuid4().hex[:12]}")
        session.add(dossier)
        session.add(
            Response(
                dossier=dossier,
                school_id=self.fields["school_id"],
                channel=ResponseChannel.QR,
                overall="satisfied",
                questions_version=questions.VERSION,
            )
        )

    def wait_for(self, commits: int, timeout: float = 30) -> None:
        target = len(self.committed) + commits
        deadline = time.monotonic() + timeout
        while len(self.committed) < target:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "writer too slow"
            time.sleep(0.01)


def _counts(url: str) -> tuple[int, int, int]:
    """(dossiers, responses, responses whose dossier exists) in the database at url."""
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = (
            conn.scalar(select(func.count()).select_from(Dossier)),
            conn.scalar(select(func.count()).select_from(Response)),
            conn.scalar(select(func.count()).select_from(Response).join(Dossier)),
        )
    engine.dispose()
    return counts


def test_backup_during_writes_restores_consistent(app, make, runner, tmp_path):
    school = make.school()
    procedure = make.procedure(school)
    for day in (3, 4, 5):
        make.response(make.dossier(received_at=datetime(2025, 3, day, 9, 30)))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    backend = db.engine.dialect.name
    path = str(tmp_path / "hai-long.backup")

    fields = dossier_fields(school, procedure, student_name="Học sinh")
    writer = Writer(url, fields, start_count=3)
    writer.start()
    try:
        writer.wait_for(5)
        before = writer.committed[-1]
        result = runner.invoke(args=["backup", "create", path])
        after_backup = writer.committed[-1]
        writer.wait_for(5)  # still writing after the snapshot
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # personal data: owner only
    assert not os.path.exists(path + ".partial")

    check = runner.invoke(args=["backup", "check", path])
    assert check.exit_code == 0, check.output
    assert check.output.startswith("ok")

    with scratch_database(tmp_path, "hl_restore") as target:  # the suite's backend
        restore_app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": target})
        with restore_app.app_context():  # the CLI would reuse the test app's context
            restored = restore_app.test_cli_runner().invoke(
                args=["backup", "restore", path, "--yes"]
            )
            db.engine.dispose()
        assert restored.exit_code == 0, restored.output
        assert f"into {target}" in restored.output
        dossiers, responses, joined = _counts(target)
        if backend == "sqlite":
            with closing(sqlite3.connect(make_url(target).database)) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    # A snapshot: whole writer transactions only, taken while the writer was running.
    assert dossiers == responses == joined
    assert dossiers in writer.committed, (dossiers, writer.committed[:3], writer.committed[-3:])
    assert before <= dossiers <= after_backup
    assert dossiers < writer.committed[-1]
    live = _counts(url)
    assert live[0] == writer.committed[-1]


def test_sqlite_restore_replaces_live_content(tmp_path):
    """Restore into a database that already has other rows: the backup's rows win."""
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    for url, code in ((source_url, "SRC"), (live_url, "OTHER")):
        app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.create_all()
            app.test_cli_runner().invoke(args=["schools", "create", code, f"Trường {code}"])
    source = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": source_url})
    path = str(tmp_path / "b.sqlite")
    assert source.test_cli_runner().invoke(args=["backup", "create", path]).exit_code == 0

    live = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": live_url})
    runner = live.test_cli_runner()
    refused = runner.invoke(args=["backup", "restore", path], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    done = runner.invoke(args=["backup", "restore", path], input="y\n")
    assert done.exit_code == 0, done.output
    with closing(sqlite3.connect(tmp_path / "live.db")) as conn:
        assert conn.execute("SELECT code FROM school").fetchall() == [("SRC",)]


def test_check_refuses_damaged_or_foreign_files(runner, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a backup")
    result = runner.invoke(args=["backup", "check", str(other)])
    assert result.exit_code == 1 and "neither a SQLite database" in result.output

    damaged = tmp_path / "damaged.sqlite"
    with closing(sqlite3.connect(damaged)) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("CREATE INDEX ix_t_v ON t (v)")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(str(i) * 50,) for i in range(2000)])
        conn.commit()
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[page * 5 : page * 5 + 200] = b"\xff" * 200  # scribble over a b-tree page
    damaged.write_bytes(bytes(data))
    result = runner.invoke(args=["backup", "check", str(damaged)])
    assert result.exit_code == 1, result.output
    assert "integrity" in result.output.lower() or "malformed" in result.output.lower()


def test_restore_refuses_the_wrong_kind(runner, tmp_path, app):
    wrong = tmp_path / "wrong.backup"
    if db.engine.dialect.name == "postgresql":
        with closing(sqlite3.connect(wrong)) as conn:
            conn.execute("CREATE TABLE school (id INTEGER PRIMARY KEY)")
    else:
        wrong.write_bytes(b"PGDMP" + b"\0" * 100)
    result = runner.invoke(args=["backup", "restore", str(wrong), "--yes"])
    assert result.exit_code == 1 and "cannot be restored" in result.output


def test_pg_password_goes_in_the_environment_not_the_command_line():
    url = make_url("postgresql+psycopg2://hailong:s3cr%40t@db.local:5433/hailong?sslmode=require")
    args, env = pg_command(url, "pg_dump")
    assert "s3cr@t" not in " ".join(args)
    assert env["PGPASSWORD"] == "s3cr@t" and env["PGSSLMODE"] == "require"
    assert args == [
        "pg_dump",
        "--host",
        "db.local",
        "--port",
        "5433",
        "--username",
        "hailong",
        "--no-password",
    ]
