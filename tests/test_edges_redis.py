"""Redis (the rate limits' store) down: staff still log in, parents still answer, unknown
links still get their 404 page, and /healthz names what is down (issue 16, finding 1).

Real Redis client against a closed port (127.0.0.1:1), no mocks; both databases.
"""

import pytest

from survey_app import create_app
from survey_app.extensions import limiter
from survey_app.survey.models import Response
from tests.conftest import PASSWORD, IsolatedClient, csrf_token_from
from tests.test_survey import count, returned_dossier, submit

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def dead_redis_client(app):
    broken = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": DEAD_REDIS,
        }
    )
    broken.test_client_class = IsolatedClient
    yield broken.test_client()
    limiter._storage_dead = False  # the shared limiter: the next app starts healthy


def _login(client, username, password):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def test_right_password_logs_in_with_redis_down(dead_redis_client, make):
    make.user(role="principal", username="hieutruong")
    assert _login(dead_redis_client, "hieutruong", PASSWORD).status_code == 303


def test_login_limit_still_counts_in_memory_with_redis_down(dead_redis_client, make):
    make.user(role="clerk", username="vanthu")
    statuses = [_login(dead_redis_client, "vanthu", "wrong").status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429


def test_unknown_link_and_code_are_404_with_redis_down(dead_redis_client, make):
    assert dead_redis_client.get("/s/" + "x" * 32).status_code == 404
    page = dead_redis_client.post("/s", data={"code": "ABCD2345"})
    assert page.status_code in (400, 404)  # the code page's own refusal, never a 500


def test_survey_submit_stored_with_redis_down(dead_redis_client, make):
    dossier = returned_dossier(make)
    response = submit(dead_redis_client, dossier, {"overall": "satisfied"})
    assert response.status_code == 303
    assert count(Response) == 1


def test_healthz_reports_each_dependency(dead_redis_client, client):
    down = dead_redis_client.get("/healthz")
    assert down.status_code == 200  # Redis is not vital
    assert down.json["database"] == "up" and down.json["redis"] == "down"
    assert down.json["status"] == "degraded"
    assert down.json["mail_outbox"]["pending"] == 0
    fine = client.get("/healthz").json
    assert fine["redis"] == "not configured" and fine["status"] == "ok"


def test_healthz_late_mail_is_degraded_not_503(client, make, app):
    from datetime import timedelta

    from survey_app.extensions import db
    from survey_app.notify.models import Outbox
    from survey_app.timeutil import utcnow

    db.session.add(
        Outbox(
            recipient="a@school.test",
            subject="s",
            body="b",
            created_at=utcnow() - timedelta(hours=3),
        )
    )
    db.session.commit()
    body = client.get("/healthz")
    assert body.status_code == 200
    assert body.json["mail_outbox"]["state"] == "late" and body.json["status"] == "degraded"
    assert body.json["mail_outbox"]["oldest_minutes"] >= 179
