"""Short-code entry at /s, and the throttling of failed lookups (per address and global)."""

import logging
import statistics
import time
from datetime import timedelta

import pytest

from survey_app.survey.lookup import fingerprint, normalise_short_code
from tests.test_survey import local_now, open_form, returned_dossier, stored, submit


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("K7QM3XPA", "K7QM3XPA"),
        ("k7qm-3xpa", "K7QM3XPA"),
        ("  k7qm 3xpa ", "K7QM3XPA"),
        ("K7QM\u20133XPA", "K7QM3XPA"),  # en dash from a phone keyboard
        ("Ｋ７ＱＭ－３ＸＰＡ", "K7QM3XPA"),  # full-width forms fold to ASCII
        ("K7QM-3XP", None),
        ("K7QM-3XPAA", None),
        ("K7QM-3XPО", None),  # Cyrillic О
        ("K7QM-3ΧPA", None),  # Greek Χ
        ("K7QO-3XPA", None),  # O is not on slips
        ("K7Q0-3XPA", None),  # nor 0
        ("K7QI-3XP1", None),  # nor I, 1
        ("K7QL-3XPA", None),  # nor L
        ("K7QM-3XPß", None),  # ß must not become SS
        ("", None),
        (None, None),
    ],
)
def test_normalise_short_code(typed, expected):
    assert normalise_short_code(typed) == expected


def _post_code(client, code: str, addr: str = "198.51.100.1"):
    return client.post("/s", data={"code": code}, environ_base={"REMOTE_ADDR": addr})


def test_code_entry_page(client):
    page = client.get("/s")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nhập mã khảo sát" in html and 'name="code"' in html
    assert client.get("/s/").status_code == 200


def test_typed_code_opens_the_survey_with_channel_code(client, make):
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    response = _post_code(client, "k7qm-3xpa")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{dossier.token}?via=code"
    html, _token = open_form(client, dossier, "?via=code")
    assert f'action="/s/{dossier.token}?via=code"' in html
    assert submit(client, dossier, {"overall": "satisfied"}, query="?via=code").status_code == 303
    assert stored(dossier).channel.value == "code"


def test_full_width_code_matches_and_look_alikes_never_match(client, make):
    dossier = returned_dossier(make, short_code="A2345678")
    returned_dossier(make, short_code="B2345678")
    assert (
        _post_code(client, "ａ２３４－５６７８")
        .headers["Location"]
        .startswith(f"/s/{dossier.token}")
    )
    for look_alike in ("А2345678", "Α2345678", "A234567８8"[:8] + "\u0417"):
        response = _post_code(client, look_alike)
        assert response.status_code == 404, look_alike
        assert "Không tìm thấy mã này" in response.get_data(as_text=True)


def test_empty_code_is_400(client):
    response = _post_code(client, "   ")
    assert response.status_code == 400
    assert "Vui lòng nhập mã" in response.get_data(as_text=True)


def test_failed_lookups_are_throttled_per_address(app, client, make):
    app.config["SURVEY_LOOKUP_LIMIT"] = "3 per minute"
    dossier = returned_dossier(make)
    for i in range(3):
        assert client.get(f"/s/{'Z' * 31}{i}").status_code == 404
    blocked = client.get("/s/" + "Y" * 32)
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Quá nhiều lần thử" in html and "Vui lòng đợi" in html
    # Short codes share the same counter.
    assert _post_code(client, "WWWWWWWW", addr="127.0.0.1").status_code == 429
    # A valid link from the same address (a school's Wi-Fi) is never throttled.
    assert client.get(f"/s/{dossier.token}").status_code == 200
    assert submit(client, dossier, {"overall": "satisfied"}).status_code == 303
    assert client.get(f"/s/{dossier.token}/thanks").status_code == 200
    # Another address is not affected.
    other = client.get("/s/" + "X" * 32, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 404


def test_valid_code_entry_still_works_when_the_address_is_blocked(app, client, make):
    app.config["SURVEY_LOOKUP_LIMIT"] = "2 per minute"
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    assert _post_code(client, "WWWWWWWW").status_code == 404
    assert _post_code(client, "WWWWWWWX").status_code == 404
    assert _post_code(client, "WWWWWWWY").status_code == 429
    assert _post_code(client, "K7QM-3XPA").status_code == 303
    assert client.get("/s").status_code == 200
    assert client.get(f"/s/{dossier.token}").status_code == 200


def test_global_cap_across_addresses(app, client, make):
    app.config["SURVEY_LOOKUP_LIMIT"] = "100 per minute"
    app.config["SURVEY_LOOKUP_GLOBAL_LIMIT"] = "4 per minute"
    dossier = returned_dossier(make)
    for i in range(4):
        response = client.get("/s/" + "Q" * 32, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert response.status_code == 404
    response = client.get("/s/" + "Q" * 32, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert client.get(f"/s/{dossier.token}").status_code == 200


def test_failed_lookups_are_logged_without_the_token(client, caplog):
    token = "SecretToken" + "x" * 21
    with caplog.at_level(logging.WARNING):
        client.get(f"/s/{token}")
        _post_code(client, "WWWW-WWWW")
    text = caplog.text
    assert "survey lookup failed" in text
    assert token not in text and "WWWW-WWWW" not in text
    assert fingerprint(token) in text


def test_unknown_answers_like_expired_in_timing(client, make):
    from survey_app.extensions import db
    from survey_app.timeutil import utcnow

    expired = returned_dossier(make)
    expired.token_expires_at = utcnow() - timedelta(days=1)
    db.session.commit()

    def median_ms(path):
        samples = []
        for _ in range(15):
            start = time.perf_counter()
            client.get(path, environ_base={"REMOTE_ADDR": f"10.9.{len(samples)}.1"})
            samples.append((time.perf_counter() - start) * 1000)
        return statistics.median(samples)

    unknown, gone = median_ms("/s/" + "U" * 32), median_ms(f"/s/{expired.token}")
    assert 0.33 < unknown / gone < 3, (unknown, gone)


def test_status_page_tells_a_code_user_to_type_the_code_again(client, make):
    """Before the return, the page says how to come back: the link, or the typed code."""
    dossier = make.dossier(received_at=local_now() - timedelta(days=1))
    by_code = client.get(f"/s/{dossier.token}?via=code").text
    by_link = client.get(f"/s/{dossier.token}").text
    assert "nhập lại mã này" in by_code and "mở lại đường dẫn này" not in by_code
    assert "mở lại đường dẫn này" in by_link
