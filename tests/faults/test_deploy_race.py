"""F10: three hosts start at once on an empty database (deploy/entrypoint.sh each)."""

import pytest
from sqlalchemy import create_engine, text

from tests.faults import harness

STARTS = 3


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not harness.pg_available():
        pytest.skip("PostgreSQL is not accepting connections on 127.0.0.1:5432")
    with harness.pg_database("hl_faults_deploy") as url:
        yield url


def test_f10_concurrent_starts_migrate_once(empty_url, tmp_path):
    servers = [
        harness.Gunicorn(
            empty_url,
            tmp_path / f"start-{i}.log",
            workers=2,
            command=("sh", "deploy/entrypoint.sh"),
        )
        for i in range(STARTS)
    ]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.ready()
        logs = [server.log() for server in servers]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.stop()
    combined = "\n".join(logs)
    assert combined.count("Running upgrade  -> ") == 1, combined  # the first migration, once
    assert sum("deploy: migrated empty -> " in log for log in logs) == 1, combined
    assert sum("nothing to do" in log for log in logs) == STARTS - 1, combined
    for log in logs:  # each start served only once its migration step had finished
        assert log.index("deploy: ") < log.index("Booting worker"), log
        assert "Traceback" not in log and "FAILED" not in log, log
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    engine.dispose()
