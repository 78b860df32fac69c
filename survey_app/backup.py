"""`flask backup ...`: create, check and restore a backup of the database.

SQLite is copied with the online backup API (one read transaction: a consistent snapshot
while the app keeps writing), never as a file copy, which could catch a half-written page
or miss the WAL. PostgreSQL goes through `pg_dump -Fc` / `pg_restore`; the password is
passed in PGPASSWORD, never on a command line other users can read.
"""

import os
import sqlite3
import subprocess
from contextlib import closing

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from survey_app import backup_schema
from survey_app.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


def _engine_url() -> URL:
    return db.engine.url


def _sqlite_file(url: URL) -> str:
    path = url.database
    if not path or path == ":memory:":
        raise click.ClickException("An in-memory SQLite database cannot be backed up.")
    return path


def _write_private(path: str) -> str:
    """A temporary sibling of `path`, created empty and readable by the owner only."""
    tmp = f"{path}.partial"
    if os.path.exists(tmp):
        os.remove(tmp)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return tmp


def sqlite_backup(source: str, target: str) -> None:
    """Snapshot the live database `source` into the new file `target`."""
    if not os.path.exists(source):
        raise click.ClickException(f"No database at {source}.")
    tmp = _write_private(target)
    try:
        with (
            closing(sqlite3.connect(source, timeout=30)) as src,
            closing(sqlite3.connect(tmp)) as dst,
        ):
            src.backup(dst)  # pages=-1: the whole database in one step, one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            _require_intact(dst)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _require_intact(conn: sqlite3.Connection) -> None:
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        raise click.ClickException(f"integrity_check failed: {exc}") from exc
    if result != ["ok"]:
        raise click.ClickException("integrity_check failed: " + "; ".join(result[:5]))


def _require_app_schema(conn: sqlite3.Connection) -> None:
    """Refuse a file whose tables, indexes, triggers or views are not the app's."""
    try:
        backup_schema.check_sqlite(conn)
    except backup_schema.SchemaMismatch as exc:
        raise click.ClickException(
            "the backup's schema is not this app's, refused: " + "; ".join(exc.problems[:10])
        ) from exc


def _pg_listing(path: str) -> str:
    """The archive's table of contents, refused unless every entry is this app's."""
    try:
        done = subprocess.run(["pg_restore", "--list", path], capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise click.ClickException("pg_restore not found: install postgresql-client") from exc
    if done.returncode != 0:
        raise click.ClickException(f"pg_restore cannot read {path}: {done.stderr.strip()}")
    problems = backup_schema.check_pg_archive(done.stdout)
    if problems:
        raise click.ClickException(
            "the archive holds objects this app does not make, refused: " + "; ".join(problems[:10])
        )
    return done.stdout


def sqlite_restore(backup: str, live: str) -> None:
    """Copy the backup into the live database file through the backup API."""
    with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src:
        _require_intact(src)
        _require_app_schema(src)
        with closing(sqlite3.connect(live, timeout=30)) as dst:
            src.backup(dst)


def pg_command(url: URL, program: str) -> tuple[list[str], dict[str, str]]:
    """`program` with connection options from a SQLAlchemy URL, and its environment."""
    args = [program]
    env = dict(os.environ)
    host = url.host or url.query.get("host")
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    if url.query.get("sslmode"):
        env["PGSSLMODE"] = str(url.query["sslmode"])
    args.append("--no-password")  # never wait on a prompt
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise click.ClickException(
            f"{args[0]} not found: install the postgresql-client package"
        ) from exc
    if done.returncode != 0:
        raise click.ClickException(f"{args[0]} failed: {done.stderr.strip()}")


def pg_backup(url: URL, target: str) -> None:
    tmp = _write_private(target)
    args, env = pg_command(url, "pg_dump")
    try:
        _run([*args, "--format=custom", f"--file={tmp}", f"--dbname={url.database}"], env)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def pg_restore(url: URL, backup: str) -> None:
    _pg_listing(backup)  # nothing restored from an archive with a foreign object
    args, env = pg_command(url, "pg_restore")
    restore = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run([*args, *restore, f"--dbname={url.database}", backup], env)


def _kind(path: str) -> str:
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise click.ClickException(f"{path} is neither a SQLite database nor a pg_dump -Fc archive.")


@click.group("backup")
def backup_cli():
    """Backups of the database (SQLite backup API, PostgreSQL pg_dump -Fc)."""


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def create_backup(path):
    """Write a consistent backup of the live database to PATH (mode 0600)."""
    url = _engine_url()
    if url.get_backend_name() == "sqlite":
        sqlite_backup(_sqlite_file(url), path)
    elif url.get_backend_name() == "postgresql":
        pg_backup(url, path)
    else:
        raise click.ClickException(f"No backup method for {url.get_backend_name()}.")
    click.echo(f"Backup written to {path} ({os.path.getsize(path)} bytes)")


@backup_cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check_backup(path):
    """Verify a backup: integrity_check (SQLite) or a readable archive (PostgreSQL), and
    exactly the app's schema (no extra or missing table, index, trigger, view, function)."""
    if _kind(path) == "postgresql":
        listing = _pg_listing(path)
        tables = sum(" TABLE DATA " in line for line in listing.splitlines())
        click.echo(f"ok: pg_dump archive with {tables} tables")
        return
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        _require_intact(conn)
        _require_app_schema(conn)
        counts = {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in ("dossier", "response", "follow_up_case")
            if conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone()
        }
    click.echo("ok: " + ", ".join(f"{n} {table}" for table, n in counts.items()))


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_backup(path, yes):
    """Replace the live database with the backup at PATH (stop the app first)."""
    url = _engine_url()
    kind = _kind(path)
    if kind != url.get_backend_name():
        raise click.ClickException(f"A {kind} backup cannot be restored into {url.drivername}.")
    target = url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"Replace every row of {target} with {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours holds the old data open
    if kind == "sqlite":
        sqlite_restore(path, _sqlite_file(url))
    else:
        pg_restore(url, path)
    click.echo(f"Restored {path} into {target}. Now run: python -m survey_app.migrate_once")
