"""Databases for the fault tests: scratch PostgreSQL, migration, counts, cluster control."""

import contextlib
import os
import subprocess
import sys
import uuid

from sqlalchemy import create_engine, text

from tests.faults.common import PG_ADMIN_URL, ROOT, SECRET_KEY, wait_for

# --- databases -------------------------------------------------------------------------


def pg_available() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0


@contextlib.contextmanager
def pg_database(prefix: str = "hl_faults"):
    """A scratch PostgreSQL database, dropped afterwards (even if the server was restarted)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        wait_for(pg_available, 60, "PostgreSQL back before the scratch database is dropped")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def server_env(url: str, **extra) -> dict[str, str]:
    """The environment of a served app: the development config, served by gunicorn."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HL_", "TEST_DATABASE", "GUNICORN_", "BENCH_"))
        and k not in ("WEB_CONCURRENCY", "REDIS_URL", "APP_ENV", "DATABASE_URL")
    }
    env.update(
        DATABASE_URL=url,
        APP_ENV="development",
        SECRET_KEY=SECRET_KEY,
        HL_NON_PRODUCTION_SERVER="1",  # gunicorn.conf.py serves the development config
        MAIL_SEND_AFTER_COMMIT="0",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def deploy(url: str, **extra) -> subprocess.CompletedProcess:
    """`python -m survey_app.migrate_once` (the production migration step) on `url`."""
    return subprocess.run(
        [sys.executable, "-m", "survey_app.migrate_once"],
        cwd=ROOT,
        env=server_env(url, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql), params)
    finally:
        engine.dispose()


def answers_by_token(url: str, tokens: list[str]) -> dict[str, int]:
    """How many responses each dossier (by token) has: 0 or 1 when the rule holds."""
    engine = create_engine(url)
    counts = dict.fromkeys(tokens, 0)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.token, count(r.id) FROM dossier d JOIN response r "
                    "ON r.dossier_id = d.id GROUP BY d.token"
                )
            )
            for token, n in rows:
                if token in counts:
                    counts[token] = n
    finally:
        engine.dispose()
    return counts


# --- PostgreSQL server control (root, loopback cluster) --------------------------------


def pg_ctl(action: str) -> None:
    """`pg_ctlcluster <version> main <action>`; fast shutdown for stop and restart."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    args = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action in ("stop", "restart"):
        args += ["-m", "fast"]
    subprocess.run(args, check=True, capture_output=True, timeout=60)


def ensure_pg_running() -> None:
    """Start the cluster if a test left it down; wait until it accepts connections."""
    if not pg_available():
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl("start")
    wait_for(pg_available, 60, "PostgreSQL to accept connections", interval=0.25)
