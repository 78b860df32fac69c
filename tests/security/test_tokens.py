"""Rows 1-8 and 22: the parent's link — hostile tokens, enumeration, short codes, replay,
races, expiry and binding, hostile ratings, parameter pollution, and cookies blocked.

Also proved elsewhere (named in README.md): tests/test_survey_hostile.py (ratings and
pollution on the parent's form, markup stored as text), tests/test_survey_lookup.py
(normalisation table, timing of unknown vs expired), tests/test_survey_concurrency.py
(20 concurrent posts with one token), tests/test_cases_loop.py (the loop form's binding).
"""

import http.client
import logging
import re
import threading
import time
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, select

from survey_app.dossiers.models import DossierStatus
from survey_app.extensions import db
from survey_app.survey.lookup import fingerprint
from survey_app.survey.models import Response
from survey_app.timeutil import utcnow
from tests.conftest import PASSWORD, csrf_token_from
from tests.security.conftest import login, snapshot, tablet

HOSTILE_TOKENS = [
    "a",
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%F0%9F%98%80",
    "A" * 10_000,
    "' OR 1=1--",
    "%C3%28",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
]


def responses_of(dossier) -> int:
    db.session.commit()
    return db.session.scalar(
        select(func.count(Response.id)).where(Response.dossier_id == dossier.id)
    )


def test_hostile_tokens_get_one_identical_page_and_are_logged_hashed(app, world, caplog):
    """Row 1: same 404 page for every shape, the token never echoed nor logged in clear."""
    app.config["SURVEY_LOOKUP_LIMIT"] = "1000 per minute"
    client = app.test_client()
    bodies = set()
    with caplog.at_level(logging.INFO):
        for token in HOSTILE_TOKENS:
            for method in ("GET", "POST"):
                response = client.open(f"/s/{token}", method=method)
                assert response.status_code == 404, (token, method)
                body = response.get_data(as_text=True)
                assert "Traceback" not in body and "sqlalchemy" not in body.lower()
                bodies.add(re.sub(r'nonce="[^"]+"', "", body))
    assert len(bodies) == 1  # nothing of the token is reflected: one page for all
    assert "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in caplog.text
    assert fingerprint("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") in caplog.text
    # Expired and withdrawn links answer with the same page shape (410).
    world.a.link_dossier.token_expires_at = utcnow() - timedelta(days=1)
    world.a.kiosk_dossier.status = DossierStatus.WITHDRAWN
    world.a.kiosk_dossier.withdrawn_at = utcnow()
    world.a.kiosk_dossier.returned_at = None
    db.session.commit()
    (unknown,) = bodies
    for dossier in (world.a.link_dossier, world.a.kiosk_dossier):
        gone = client.get(f"/s/{dossier.token}")
        assert gone.status_code == 410
        assert dossier.token not in gone.get_data(as_text=True)
        assert abs(len(gone.data) - len(unknown.encode())) < 200


def test_enumeration_at_rate_is_throttled_logged_and_per_address(app, world, caplog):
    """Row 2: 50 req/s of random tokens -> 429 + Retry-After after the per-IP threshold;
    each failed lookup is a log event; other addresses and valid links keep working; the
    global cap counts failures from every address."""
    app.config["SURVEY_LOOKUP_LIMIT"] = "20 per minute"
    app.config["SURVEY_LOOKUP_GLOBAL_LIMIT"] = "30 per minute"
    client = app.test_client()
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = []
    start = time.perf_counter()
    with caplog.at_level(logging.WARNING):
        for i in range(50):
            response = client.get(f"/s/{'R' * 28}{i:04d}", environ_base=attacker)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) > 0
    elapsed = time.perf_counter() - start
    assert 50 / elapsed > 50  # the attack really ran at more than 50 requests a second
    assert statuses == [404] * 20 + [429] * 30
    assert caplog.text.count("survey lookup failed") == 20  # one event per failed lookup
    assert "203.0.113.7" in caplog.text
    # The blocked address still opens a real link (a school's Wi-Fi shares one address).
    real = world.a.link_dossier.token
    assert client.get(f"/s/{real}", environ_base=attacker).status_code == 200
    # Other addresses are unaffected... until the global cap (30 failures in all).
    for i in range(10):
        other = client.get(f"/s/{'S' * 32}", environ_base={"REMOTE_ADDR": f"198.51.100.{i}"})
        assert other.status_code == 404, i
    capped = client.get(f"/s/{'T' * 32}", environ_base={"REMOTE_ADDR": "192.0.2.200"})
    assert capped.status_code == 429 and "Retry-After" in capped.headers
    assert client.get(f"/s/{real}", environ_base={"REMOTE_ADDR": "192.0.2.201"}).status_code == 200


def test_short_codes_normalised_look_alikes_never_match_and_count_as_failures(app, world):
    """Row 3 on the parent's /s and on the staff's paper and kiosk look-ups."""
    app.config["SURVEY_LOOKUP_LIMIT"] = "3 per minute"
    dossier = world.a.link_dossier
    code = dossier.short_code
    typed = f"{code[:4].lower()}-{code[4:]}"
    client = app.test_client()
    found = client.post("/s", data={"code": typed})
    assert found.status_code == 303 and dossier.token in found.headers["Location"]
    # Cyrillic А/Е/О/С/Р/Х/К/М/Т/Н/В look like Latin letters of the alphabet.
    latin_to_cyrillic = str.maketrans("AEKMHTBCPX", "АЕКМНТВСРХ")
    look_alike = code.translate(latin_to_cyrillic)
    if look_alike == code:  # no letter with a Cyrillic twin: use full-width + Greek Alpha
        look_alike = "Α" + code[1:]
    for attempt in (look_alike, look_alike.lower(), code[:7] + "0"):
        response = client.post("/s", data={"code": attempt})
        assert response.status_code == 404, attempt
    assert client.post("/s", data={"code": "ZZZZZZZZ"}).status_code == 429  # 4th failure
    staff, _token = login(app, world.a.principal)
    assert staff.get("/survey-entry", query_string={"code": typed}).status_code == 302
    assert staff.get("/survey-entry", query_string={"code": look_alike}).status_code == 404
    kiosk, token = tablet(app, world.a)
    found = kiosk.post("/kiosk", data={"code": typed, "csrf_token": token})
    assert found.status_code == 303 and found.headers["Location"] == f"/kiosk/{code}"
    for attempt in (look_alike, code[:7] + "0"):
        assert kiosk.post("/kiosk", data={"code": attempt, "csrf_token": token}).status_code in (
            404,
            429,  # the kiosk's failed look-ups count against the same limits
        )


def test_second_submission_is_409_on_every_channel_and_one_row(app, world, poster):
    """Row 4: first 303, then GET and POST 409 with the friendly page; exactly one row."""
    dossier = world.a.link_dossier
    first = poster.post("survey.survey", {"overall": "satisfied", "comment": "Tốt"})
    assert first.status_code == 303
    client = app.test_client()
    again = client.post(f"/s/{dossier.token}", data={"overall": "dissatisfied"})
    assert again.status_code == 409
    page = client.get(f"/s/{dossier.token}")
    assert page.status_code == 409 and 'name="overall"' not in page.get_data(as_text=True)
    staff, token = login(app, world.clerk2_a)
    response = staff.post(
        f"/survey-entry/{dossier.code}", data={"overall": "dissatisfied", "csrf_token": token}
    )
    assert response.status_code == 409
    kiosk, token = tablet(app, world.a)
    response = kiosk.post(
        f"/kiosk/{dossier.short_code}", data={"overall": "dissatisfied", "csrf_token": token}
    )
    assert response.status_code == 409
    assert responses_of(dossier) == 1


def _http(url: str, method: str, path: str, body: str = "", headers=None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        headers = dict(headers or {})
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read().decode()
    finally:
        conn.close()


def test_parent_and_kiosk_racing_on_one_dossier_store_one_answer(live_server, world):
    """Row 5 across channels (QR vs kiosk at the desk); tests/test_survey_concurrency.py
    races 20 posts of one link on SQLite and PostgreSQL."""
    dossier = world.a.link_dossier
    token, short_code = dossier.token, dossier.short_code
    kiosk_cookie = f"hl_kiosk={world.a.kiosk_cookie}"
    db.session.commit()
    url = live_server.url
    # The tablet's device cookie, its session's CSRF token, over real HTTP.
    _s, cookie, kiosk_html = _http(
        url, "GET", f"/kiosk/{short_code}", headers={"Cookie": kiosk_cookie}
    )
    session = f"{kiosk_cookie}; hl_session={SimpleCookie(cookie)['hl_session'].value}"
    kiosk_body = urlencode({"overall": "satisfied", "csrf_token": csrf_token_from(kiosk_html)})
    _s, _c, survey_html = _http(url, "GET", f"/s/{token}")
    survey_body = urlencode({"overall": "dissatisfied", "csrf_token": csrf_token_from(survey_html)})

    barrier = threading.Barrier(16)
    statuses, lock = [], threading.Lock()

    def post(path, body, headers):
        barrier.wait()
        try:
            status = _http(url, "POST", path, body, headers)[0]
        except Exception as exc:  # noqa: BLE001
            status = repr(exc)
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=post, args=(f"/s/{token}", survey_body, {})) for _ in range(8)
    ] + [
        threading.Thread(
            target=post, args=(f"/kiosk/{short_code}", kiosk_body, {"Cookie": session})
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [303] + [409] * 15, statuses
    db.session.rollback()
    assert responses_of(dossier) == 1


def test_expired_and_foreign_tokens_store_nothing(app, world):
    """Row 6: 410 for an expired link (GET and POST; withdrawn: row 1's test); a form token
    of another dossier, or of the loop form, does not validate this survey."""
    client = app.test_client()
    mine, other = world.a.link_dossier, world.a.kiosk_dossier
    other_page = client.get(f"/s/{other.token}").get_data(as_text=True)
    loop_page = client.get(f"/s/{world.a.resolved_dossier.token}").get_data(as_text=True)
    for stolen in (csrf_token_from(other_page), csrf_token_from(loop_page), "0" * 64):
        response = client.post(
            f"/s/{mine.token}", data={"overall": "satisfied", "csrf_token": stolen}
        )
        assert response.status_code == 400
    token = csrf_token_from(client.get(f"/s/{mine.token}").get_data(as_text=True))
    mine.token_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/s/{mine.token}").status_code == 410
    response = client.post(f"/s/{mine.token}", data={"overall": "satisfied", "csrf_token": token})
    assert response.status_code == 410
    assert responses_of(mine) == 0 and responses_of(other) == 0


def test_hostile_ratings_on_the_staff_channels_keep_the_answers(app, world, poster):
    """Row 7 on paper entry and the kiosk (the parent's form: test_survey_hostile.py)."""
    before = snapshot()
    for endpoint in ("survey.paper_entry", "kiosk.survey"):
        for overall in ("0", "6", "-1", "3.5", "abc", "4 OR 1=1", ""):
            data = {"overall": overall, "comment": "Giữ lại góp ý này", "info_clear": "satisfied"}
            response = poster.post(endpoint, data)
            html = response.get_data(as_text=True)
            assert response.status_code == 400, (endpoint, overall)
            assert "Giữ lại góp ý này" in html
            assert re.search(r'value="satisfied"[^>]*checked|checked[^>]*value="satisfied"', html)
            assert "không hợp lệ" in html or "Vui lòng" in html
    assert snapshot() == before


def test_pollution_and_mass_assignment_on_staff_forms(app, world, poster):
    """Row 8 on paper entry, kiosk and intake: duplicates 400; unknown fields ignored."""
    before = snapshot()
    for endpoint in ("survey.paper_entry", "kiosk.survey"):
        body = b"overall=satisfied&overall=dissatisfied&comment=a"
        assert poster.post(endpoint, {}, raw=body).status_code == 400
        body = b"overall=satisfied&comment=a&comment=b"
        assert poster.post(endpoint, {}, raw=body).status_code == 400
    assert snapshot() == before
    other = world.b.link_dossier
    response = poster.post(
        "survey.paper_entry",
        {
            "overall": "satisfied",
            "channel": "qr",
            "dossier_id": str(other.id),
            "school_id": str(world.b.school.id),
            "entered_by_id": str(world.b.principal.id),
            "submitted_at": "2000-01-01T00:00",
        },
    )
    assert response.status_code == 303
    row = db.session.scalars(
        select(Response).where(Response.dossier_id == world.a.fresh_dossier.id)
    ).one()
    assert row.channel.value == "paper" and row.entered_by_id == world.a.principal.id
    assert row.school_id == world.a.school.id and row.submitted_at.year > 2000
    assert responses_of(other) == 0
    # Intake: the school, status, token and short code are the server's, never the form's.
    payload = {
        "school_id": str(world.b.school.id),
        "status": "returned",
        "token": "chosen-by-the-attacker-0123456789",
        "short_code": "AAAAAAAA",
        "received_by_id": str(world.b.clerk.id),
        "code": "ATTACK-1",
    }
    from tests.security.conftest import valid_payloads

    response = poster.post("dossiers.new", {**valid_payloads(world)["dossiers.new"], **payload})
    assert response.status_code == 303
    from survey_app.dossiers.models import Dossier

    made = db.session.scalars(select(Dossier).order_by(Dossier.id.desc())).first()
    assert made.school_id == world.a.school.id and made.status is DossierStatus.RECEIVED
    assert made.token != payload["token"] and made.short_code != "AAAAAAAA"
    assert made.code != "ATTACK-1" and made.received_by_id == world.a.principal.id


def test_the_whole_parent_flow_works_with_cookies_blocked(app, world):
    """Row 22: code entry, survey, thanks, loop answer, all without a cookie; staff pages
    without cookies get the page that explains it, never a bare 400."""
    client = app.test_client(use_cookies=False)
    dossier = world.a.link_dossier
    typed = client.post("/s", data={"code": dossier.short_code})
    assert typed.status_code == 303
    page = client.get(typed.headers["Location"])
    token = csrf_token_from(page.get_data(as_text=True))
    done = client.post(
        typed.headers["Location"],
        data={"overall": "dissatisfied", "comment": "Không cookie", "csrf_token": token},
    )
    assert done.status_code == 303 and "Set-Cookie" not in done.headers
    assert client.get(done.headers["Location"]).status_code == 200
    assert responses_of(dossier) == 1
    resolved = world.a.resolved_dossier
    loop = client.get(f"/s/{resolved.token}")
    answer = client.post(
        f"/s/{resolved.token}/loop",
        data={"answer": "yes", "csrf_token": csrf_token_from(loop.get_data(as_text=True))},
    )
    assert answer.status_code == 303
    staff = client.post("/login", data={"username": "a_principal", "password": PASSWORD})
    assert staff.status_code == 400
    assert "cookie" in staff.get_data(as_text=True)
