"""Production start-up step: `python -m survey_app.migrate_once` migrates the database once.

Run before the web workers start (systemd ExecStartPre, deploy/entrypoint.sh, `make deploy`).
Two starts at the same moment cannot race: the upgrade runs under a lock held for the whole
step (PostgreSQL: a session advisory lock; SQLite: an exclusive flock on
instance/migrate.lock), and whoever comes second finds the schema at head and does nothing.
Exit status 0 when the schema is at head, 1 on any failure.
"""

import contextlib
import fcntl
import os
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

# A fixed 32-bit key, the same for every process of this app on the database server.
ADVISORY_LOCK_KEY = zlib.crc32(b"hai-long:migrate")


@contextlib.contextmanager
def migration_lock(engine, instance_path: str) -> Iterator[None]:
    """Hold the app-wide migration lock for the duration of the block."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            got = conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            if not got:
                print("deploy: another start is migrating; waiting for it", flush=True)
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        return
    os.makedirs(instance_path, exist_ok=True)
    with open(Path(instance_path) / "migrate.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("deploy: another start is migrating; waiting for it", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _revisions(engine, migrate_config) -> tuple[set[str], set[str]]:
    """(revisions the database is at, head revisions of the migration scripts)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    heads = set(ScriptDirectory.from_config(migrate_config).get_heads())
    return current, heads


def migrate_once(app) -> str:
    """Upgrade to head under the lock; return what happened, in one line."""
    from flask_migrate import upgrade

    from survey_app.extensions import db

    with app.app_context():
        engine = db.engine
        state = app.extensions["migrate"]
        config = state.migrate.get_config(state.directory)
        with migration_lock(engine, app.instance_path):
            current, heads = _revisions(engine, config)
            if current == heads:
                return f"deploy: database already at {', '.join(sorted(heads))}; nothing to do"
            started = time.monotonic()
            upgrade()
            after, heads = _revisions(engine, config)
            if after != heads:
                raise RuntimeError(f"upgrade ended at {sorted(after)}, not at {sorted(heads)}")
            was = ", ".join(sorted(current)) or "empty"
            return (
                f"deploy: migrated {was} -> {', '.join(sorted(after))} "
                f"in {time.monotonic() - started:.1f}s"
            )


def main() -> int:
    # .env was read by survey_app.config, imported with the package before this module ran.
    try:
        from survey_app import create_app

        app = create_app()
        print(migrate_once(app), flush=True)
    except Exception as exc:  # every failure must stop the service from starting
        print(f"deploy: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
