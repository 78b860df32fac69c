"""A backup is restored only if its schema is exactly the one the migrations make.

A backup file is data from outside: a SQLite file can carry triggers (one that deletes
audit rows on every insert), views or extra tables (one a trigger fills with every
comment and phone, out of `data purge`'s reach). `check_sqlite()` compares the file's
tables (with their columns), indexes, triggers and views with the reference schema and
names every difference; `check_pg_archive()` reads a pg_dump archive's table of contents
(`pg_restore --list`) and refuses every entry that is not one of this app's tables,
sequences, indexes, constraints or types (no trigger, function, view, rule, extension...).

The reference is the models' metadata created on an empty in-memory SQLite database (the
test suite checks that the models and the migrations agree) plus `alembic_version`. A
backup taken at an older revision is compared with a scratch database migrated to that
revision (`flask db upgrade <revision>` in a subprocess), so it can be restored and then
upgraded by `python -m survey_app.migrate_once`.
"""

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from survey_app import models  # noqa: F401  every model, so the metadata is complete
from survey_app.extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIGRATIONS = os.path.join(ROOT, "migrations")
VERSION_TABLE = "alembic_version"


class SchemaMismatch(Exception):
    """The backup's schema differs from the app's; `problems` lists each difference."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _metadata():
    return db.metadata


def _scripts():
    """The migrations' script directory (alembic: imported here, never by a web worker)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(MIGRATIONS)


def head_revision() -> str:
    return _scripts().get_current_head()


def known_revision(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for a bad id
        return False


# --- SQLite --------------------------------------------------------------------------


def sqlite_signature(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple]:
    """{(type, name): details} of every table, index, trigger and view: a table's details
    are its columns (name, type, not null, primary key), an index's its table and columns,
    a trigger's or view's its SQL. SQLite's own objects (sqlite_*) are left out."""
    objects = {}
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'"
    ).fetchall()
    for kind, name, table, sql in rows:
        quoted = name.replace('"', '""')
        if kind == "table":
            columns = conn.execute(f'PRAGMA table_info("{quoted}")').fetchall()
            # Sorted: a column added by a migration comes last, the model may list it earlier.
            details = tuple(sorted((c[1], c[2].upper(), c[3], c[5]) for c in columns))
        elif kind == "index":
            columns = conn.execute(f'PRAGMA index_info("{quoted}")').fetchall()
            details = (table, tuple(c[2] for c in columns))
        else:
            details = (table, sql)
        objects[(kind, name)] = details
    return objects


def reference_signature(revision: str | None) -> dict[tuple[str, str], tuple]:
    """The schema the app expects at `revision` (None or head: the models' metadata)."""
    if revision is None or revision == head_revision():
        engine = create_engine("sqlite://", poolclass=StaticPool)
        _metadata().create_all(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql(  # as Alembic creates it
                f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
                f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version_num))"
            )
            raw = conn.connection.driver_connection
            assert raw is not None  # an open connection has its DB-API connection
            signature = sqlite_signature(raw)
        engine.dispose()
        if revision is None:
            signature.pop(("table", VERSION_TABLE))
        return signature
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "reference.db")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SQLALCHEMY")},
            "DATABASE_URL": f"sqlite:///{path}",
            "APP_ENV": "development",
        }
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade", revision],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise SchemaMismatch([f"cannot build the schema of revision {revision}"])
        with closing(sqlite3.connect(path)) as conn:
            return sqlite_signature(conn)


def sqlite_revision(conn: sqlite3.Connection) -> str | None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (VERSION_TABLE,)
    ).fetchone()
    if not exists:
        return None
    rows = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()  # noqa: S608
    if len(rows) != 1 or not known_revision(rows[0][0]):
        raise SchemaMismatch([f"{VERSION_TABLE} holds {[r[0] for r in rows]!r}, no revision"])
    return rows[0][0]


def check_sqlite(conn: sqlite3.Connection) -> str | None:
    """Raise SchemaMismatch unless the file's schema is the app's; returns its revision."""
    revision = sqlite_revision(conn)
    found, expected = sqlite_signature(conn), reference_signature(revision)
    problems = [f"unexpected {kind} {name!r}" for kind, name in sorted(found.keys() - expected)]
    problems += [f"missing {kind} {name!r}" for kind, name in sorted(expected.keys() - found)]
    problems += [
        f"{kind} {name!r} differs from the app's"
        for (kind, name) in sorted(found.keys() & expected.keys())
        if found[(kind, name)] != expected[(kind, name)]
    ]
    if problems:
        raise SchemaMismatch(problems)
    return revision


# --- PostgreSQL archives ---------------------------------------------------------------

# Entries pg_dump writes for this app's schema; anything else (TRIGGER, FUNCTION,
# PROCEDURE, VIEW, MATERIALIZED VIEW, RULE, POLICY, EXTENSION, EVENT TRIGGER, AGGREGATE,
# CAST, SERVER, FOREIGN TABLE, PUBLICATION, ...) is refused.
_NAMED = {"TABLE", "TABLE DATA", "SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET", "INDEX"}
_ON_TABLE = {"DEFAULT", "CONSTRAINT", "FK CONSTRAINT"}
_HARMLESS = {"ENCODING", "STDSTRINGS", "SEARCHPATH"}
# "123; 1259 16390 TABLE public dossier postgres"; a TOC line names schema, object, owner.
_TOC_LINE = re.compile(r"^\d+;\s+\d+\s+\d+\s+(?P<rest>.*)$")
_KINDS = sorted(_NAMED | _ON_TABLE | _HARMLESS | {"TYPE", "SCHEMA", "COMMENT", "ACL"}, key=len)


def _pg_expected() -> dict[str, set[str]]:
    """Names of this app's objects, at any revision: the metadata's, and every name a
    migration file mentions (an older backup may still hold an index dropped since)."""
    metadata = _metadata()
    tables = {t.name for t in metadata.sorted_tables} | {VERSION_TABLE}
    names = set(tables)
    for table in metadata.sorted_tables:
        names.update(i.name for i in table.indexes if i.name)
        names.update(c.name for c in table.constraints if isinstance(c.name, str))
        names.add(f"{table.name}_id_seq")
        for column in table.columns:
            if getattr(column.type, "name", None) and hasattr(column.type, "enums"):
                names.add(column.type.name)
    names.add(f"{VERSION_TABLE}_pkc")
    for entry in os.listdir(os.path.join(MIGRATIONS, "versions")):
        if entry.endswith(".py"):
            with open(os.path.join(MIGRATIONS, "versions", entry), encoding="utf-8") as f:
                names.update(re.findall(r"[\"']([a-z_][a-z0-9_]*)[\"']", f.read()))
    return {"tables": tables, "names": names}


def check_pg_archive(listing: str) -> list[str]:
    """Problems of a `pg_restore --list` listing; [] when every entry is expected."""
    expected, problems, tables_seen = _pg_expected(), [], set()
    for line in listing.splitlines():
        match = _TOC_LINE.match(line.strip())
        if not match:
            continue
        rest = match.group("rest")
        kind = next((k for k in reversed(_KINDS) if rest.startswith(k + " ")), None)
        words = rest[len(kind) + 1 :].split() if kind else []
        if kind is None:
            problems.append(f"unexpected entry: {rest}")
        elif kind in _HARMLESS:
            continue
        elif kind == "SCHEMA" or kind in ("COMMENT", "ACL"):
            # Only the public schema (pg_dump's own entries for it) may appear.
            if not (words[:2] in (["-", "public"], ["-", "SCHEMA"]) or "public" in words[:3]):
                problems.append(f"unexpected {kind}: {rest}")
        elif kind in _NAMED or kind == "TYPE":
            schema, name = (words + ["", ""])[:2]
            if schema != "public" or name not in expected["names"]:
                problems.append(f"unexpected {kind}: {rest}")
            elif kind == "TABLE":
                tables_seen.add(name)
        elif kind in _ON_TABLE:  # "public <table> <column or constraint> <owner>"
            schema, table = (words + ["", ""])[:2]
            if schema != "public" or table not in expected["tables"]:
                problems.append(f"unexpected {kind}: {rest}")
    missing = expected["tables"] - tables_seen - {VERSION_TABLE}
    if tables_seen and missing:
        problems.append("missing tables: " + ", ".join(sorted(missing)))
    if not tables_seen:
        problems.append("no table of this app")
    return problems
