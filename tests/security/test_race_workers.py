"""Row 5 as the checklist states it: 30 concurrent POSTs with one token against gunicorn
with 3 worker processes (the production server and config), on SQLite, or on PostgreSQL
when TEST_DATABASE_URL is set. tests/test_survey_concurrency.py races 20 threads against
the in-process server; this adds separate processes and the real gunicorn.conf.py.
"""

import contextlib
import os
import threading

import pytest

from tests.faults import harness

pytestmark = pytest.mark.slow
POSTS = 30


@contextlib.contextmanager
def _scratch_database(tmp_path):
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        with harness.pg_database(prefix="hl_security") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'race.db'}"


def _create_schema(url: str) -> None:
    from survey_app import create_app
    from survey_app.extensions import db

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def test_thirty_posts_of_one_token_on_three_workers_store_one_answer(tmp_path):
    with _scratch_database(tmp_path) as url:
        _create_schema(url)  # in-process: the migrations are tested elsewhere
        token = harness.seed(url, tokens=1, code="RACE").tokens[0]
        server = harness.Gunicorn(url, tmp_path / "gunicorn.log", workers=3).start()
        try:
            barrier = threading.Barrier(POSTS)
            statuses, lock = [], threading.Lock()

            def post():
                barrier.wait()
                try:
                    status = harness.submit(server.port, token, "dissatisfied").status
                except OSError as exc:
                    status = type(exc).__name__
                with lock:
                    statuses.append(status)

            threads = [threading.Thread(target=post) for _ in range(POSTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            log = server.log()
        finally:
            server.stop()
        assert sorted(statuses, key=str) == [303] + [409] * (POSTS - 1), statuses
        assert "database is locked" not in log and "Traceback" not in log, log[-3000:]
        assert harness.answers_by_token(url, [token]) == {token: 1}
