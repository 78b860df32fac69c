"""Twenty parents' phones submit the same link at once: exactly one answer, the rest 409."""

import http.client
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from survey_app.cases.models import Case
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.survey import submit
from survey_app.survey.models import Response
from tests.conftest import csrf_token_from
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
