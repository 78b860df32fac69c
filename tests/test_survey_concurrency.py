"""Parents submitting at once: twenty phones on the same link store exactly one answer (the
rest 409); many parents on their own links, on SQLite, all get their answer stored."""

import http.client
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import event, func, select

from bench.b1_submit import body as step_one_body
from bench.seed import seed_base, seed_tokens
from survey_app import create_app
from survey_app.cases.models import Case
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.survey import submit
from survey_app.survey.models import Response
from survey_app.timeutil import utcnow
from tests.conftest import LiveServer, csrf_token_from
from tests.test_survey import returned_dossier

pytestmark = pytest.mark.slow

THREADS = 20


def _request(server_url: str, method: str, path: str, body: str | None = None):
    parts = urlsplit(server_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _race(live_server, path: str, body: str) -> list[int]:
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def post():
        barrier.wait()
        try:
            status, _body = _request(live_server.url, "POST", path, body)
        except Exception as exc:  # noqa: BLE001  a dropped connection counts as a failure
            status = repr(exc)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return statuses


@pytest.mark.parametrize("sleep", [0, 0.2])
def test_concurrent_submissions_store_exactly_one(live_server, make, monkeypatch, sleep):
    """`sleep` widens the window between the inserts and COMMIT (the submit's last write,
    its audit row, is followed by a pause: the server runs in this process)."""
    if sleep:
        audit = submit.audit

        def audit_then_sleep(*args, **kwargs):
            audit(*args, **kwargs)
            time.sleep(sleep)

        monkeypatch.setattr(submit, "audit", audit_then_sleep)
    make.user("principal", username="hieutruong", email="ht@school.test")
    dossier = returned_dossier(make)
    token, dossier_id = dossier.token, dossier.id
    db.session.commit()
    status, html = _request(live_server.url, "GET", f"/s/{token}")
    assert status == 200
    body = urlencode(
        {"overall": "dissatisfied", "comment": "Chờ quá lâu", "csrf_token": csrf_token_from(html)}
    )
    statuses = _race(live_server, f"/s/{token}", body)

    assert len(statuses) == THREADS
    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == THREADS - 1, statuses
    db.session.rollback()
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Response.id))) == 1
    assert db.session.scalar(select(Response.dossier_id)) == dossier_id
    # The winner's case and mail, and nothing half-written by the losers.
    assert db.session.scalar(select(func.count(Case.id))) == 1
    assert db.session.scalar(select(func.count(Outbox.id))) == 1


def test_concurrent_step_two_is_taken_once(live_server, make):
    """Step 2's atomic UPDATE ... WHERE details_at IS NULL: one send wins, the rest are 409,
    one set of answers, one mail for the case's update."""
    make.user("principal", username="hieutruong", email="ht@school.test")
    dossier = returned_dossier(make)
    token = dossier.token
    db.session.commit()
    status, html = _request(live_server.url, "GET", f"/s/{token}")
    csrf = csrf_token_from(html)
    step_one = urlencode({"overall": "dissatisfied", "csrf_token": csrf})
    assert _request(live_server.url, "POST", f"/s/{token}", step_one)[0] == 303
    body = urlencode(
        {"reasons": "long_wait", "comment": "Chờ quá lâu", "csrf_token": csrf}, doseq=True
    )
    statuses = _race(live_server, f"/s/{token}/more", body)

    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == THREADS - 1, statuses
    db.session.rollback()
    db.session.expire_all()
    row = db.session.scalars(select(Response)).one()
    assert row.comment == "Chờ quá lâu" and [a.value for a in row.answers] == ["long_wait"]
    assert db.session.scalar(select(func.count(Case.id))) == 1
    assert db.session.scalar(select(func.count(Outbox.id))) == 2  # step 1's and step 2's


PARENTS = 16
LINKS_EACH = 6


@pytest.mark.parametrize("plain_begin", [False, True])
def test_parents_answering_at_once_on_sqlite_are_all_stored(tmp_path, plain_begin):
    """16 parents, each on links of their own, submit at the same moments to one SQLite file.

    With BEGIN IMMEDIATE for writers (survey_app/sqlite_settings.py) every answer is stored.
    `plain_begin` swaps it for SQLite's deferred BEGIN, to show what it prevents: a request
    reads (its snapshot), another commits, and its write then fails at once with "database
    is locked" (the busy timeout cannot help): the parent gets the 503 page.
    """
    url = f"sqlite:///{tmp_path / 'race.db'}"
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        engine = db.engine
    base = seed_base(app, "RACE")
    tokens = seed_tokens(app, base, PARENTS * LINKS_EACH, utcnow() - timedelta(hours=1), "R")
    if plain_begin:
        event.remove(engine, "begin", app.extensions["sqlite_begin"])
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    server = LiveServer(app)
    key = app.config["SECRET_KEY"]
    barrier = threading.Barrier(PARENTS)
    statuses: dict[str, object] = {}

    def parent(n: int) -> None:
        for k in range(LINKS_EACH):
            token = tokens[n * LINKS_EACH + k]
            barrier.wait(30)  # every parent sends at the same moment, LINKS_EACH times
            try:
                status, _ = _request(
                    server.url, "POST", f"/s/{token}", step_one_body(token, k, key)
                )
            except Exception as exc:  # noqa: BLE001  a dropped connection counts as a failure
                status = repr(exc)
            statuses[token] = status

    try:
        threads = [threading.Thread(target=parent, args=(n,)) for n in range(PARENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        server.stop()
    with app.app_context():
        stored = db.session.scalar(select(func.count(Response.id)))
        db.engine.dispose()
    counts = {s: list(statuses.values()).count(s) for s in set(statuses.values())}
    print(f"\n{PARENTS} parents x {LINKS_EACH}, plain BEGIN {plain_begin}: {counts}")
    assert len(statuses) == len(tokens), counts
    assert stored == counts.get(303, 0), counts  # every 303 stored, nothing else
    if plain_begin:
        assert counts.get(503, 0) > 0, counts
        assert set(counts) <= {303, 503}, counts
    else:
        assert counts == {303: len(tokens)}
