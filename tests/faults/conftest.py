"""Fault injection (F1–F12): skipped unless pytest runs with --run-faults (make test-faults;
the option is declared in tests/conftest.py so `pytest tests --run-faults` works too).

Fixtures: `sqlite_url` / `pg_url` (a fresh, migrated database per test module: a SQLite
file in a temp dir, or a scratch PostgreSQL database dropped afterwards) and `serve`
(starts gunicorn with the repository's gunicorn.conf.py; stopped after the test).
"""

import pytest

from tests.faults import harness


def pytest_runtest_setup(item):
    if not item.config.getoption("--run-faults", default=False):
        pytest.skip("fault injection: run with --run-faults (make test-faults)")


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'hai_long.db'}"
    done = harness.deploy(url)
    assert done.returncode == 0, done.stdout + done.stderr
    return url


@pytest.fixture(scope="module")
def pg_url():
    if not harness.pg_available():
        pytest.skip("PostgreSQL is not accepting connections on 127.0.0.1:5432")
    with harness.pg_database() as url:
        done = harness.deploy(url)
        assert done.returncode == 0, done.stdout + done.stderr
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    """Both engines (the test runs once on each)."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


@pytest.fixture
def serve(tmp_path):
    """serve(url, workers=2, timeout=30, **env) -> a started harness.Gunicorn."""
    started: list[harness.Gunicorn] = []

    def start(url: str, workers: int = 2, timeout: int = 30, **env) -> harness.Gunicorn:
        log = tmp_path / f"gunicorn-{len(started)}.log"
        server = harness.Gunicorn(url, log, workers=workers, timeout=timeout, **env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
