"""Hostile input on the survey's two steps: CSRF, tampered choices, pollution, lengths,
bytes, markup. Step 1 takes the overall answer alone; step 2 the texts and the details."""

import re
import unicodedata

import pytest

from survey_app.survey.models import Response
from tests.test_survey import (
    count,
    open_form,
    open_more,
    returned_dossier,
    step_one,
    stored,
    submit,
    submit_more,
)

FORM = "application/x-www-form-urlencoded"


def raw_post(client, dossier, body: str):
    """POST a hand-written urlencoded body to step 1 (with the page's CSRF token)."""
    _html, token = open_form(client, dossier)
    return client.post(
        f"/s/{dossier.token}", data=f"{body}&csrf_token={token}".encode(), content_type=FORM
    )


def raw_more(client, dossier, body: str):
    """The same for step 2 (step 1 answered first)."""
    _html, token = open_more(client, dossier)
    return client.post(
        f"/s/{dossier.token}/more",
        data=f"{body}&csrf_token={token}".encode(),
        content_type=FORM,
    )


def answered(client, make, overall: str = "dissatisfied"):
    """A dossier whose step 1 is answered: step 2 open (reasons, comment, phone)."""
    dossier = returned_dossier(make)
    step_one(client, dossier, overall)
    return dossier


def untouched(dossier) -> bool:
    row = stored(dossier)
    return row.details_at is None and row.answers == [] and row.comment is None


def test_missing_csrf_is_400_with_the_form_in_vietnamese(client, make):
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"overall": "satisfied"}, csrf=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phiếu đã hết hạn hoặc không hợp lệ" in html
    assert 'name="overall"' in html and re.search(r'checked[^>]*value="satisfied"', html)
    assert count(Response) == 0
    dossier = answered(client, make)
    response = submit_more(client, dossier, {"comment": "giữ lại"}, csrf=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phiếu đã hết hạn hoặc không hợp lệ" in html and "giữ lại" in html
    assert untouched(dossier)


def test_csrf_of_another_survey_is_refused(client, make):
    mine, other = returned_dossier(make), returned_dossier(make)
    _html, other_token = open_form(client, other)
    response = submit(client, mine, {"overall": "satisfied", "csrf_token": other_token})
    assert response.status_code == 400
    response = submit(client, mine, {"overall": "satisfied", "csrf_token": "x" * 64})
    assert response.status_code == 400
    assert count(Response) == 0
    mine = answered(client, make)
    for token in (other_token, "x" * 64):
        for data in ({"comment": "x"}, {"skip": "1"}):
            response = submit_more(client, mine, {**data, "csrf_token": token})
            assert response.status_code == 400
    assert untouched(mine)


def test_works_with_cookies_blocked(app, make):
    """In-app QR webviews may block cookies: the token-bound CSRF needs none."""
    dossier = returned_dossier(make)
    client = app.test_client(use_cookies=False)
    response = submit(client, dossier, {"overall": "dissatisfied"})
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    response = submit_more(client, dossier, {"comment": "Không cookie"})
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    assert count(Response) == 1 and stored(dossier).comment == "Không cookie"


@pytest.mark.parametrize("value", ["5", "0", "-1", "abc", "4 OR 1=1", "3.5", "", "Hài lòng"])
def test_tampered_overall_is_400(client, make, value):
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"overall": value})
    assert response.status_code == 400
    assert "Vui lòng" in response.get_data(as_text=True) or "không hợp lệ" in (
        response.get_data(as_text=True)
    )
    assert count(Response) == 0


@pytest.mark.parametrize(
    "overall, field, value",
    [
        ("satisfied", "visits", "3"),
        ("satisfied", "extra_payment", "maybe"),
        ("satisfied", "info_clear", "1 OR 1=1"),
        ("dissatisfied", "reasons", "x"),
    ],
)
def test_tampered_details_and_reasons_are_400(client, make, overall, field, value):
    dossier = answered(client, make, overall)
    response = submit_more(client, dossier, {field: value, "comment": "giữ"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Câu trả lời không hợp lệ" in html and "giữ" in html
    assert untouched(dossier)


@pytest.mark.parametrize(
    "overall, body",
    [
        ("satisfied", "visits=0&visits=2%2B"),
        ("satisfied", "comment=a&comment=b"),
        ("dissatisfied", "comment=a&comment=b"),
        ("dissatisfied", "phone=0901234567&phone=0911111111&consent=y"),
        ("dissatisfied", "phone=0901234567&consent=y&consent="),
    ],
)
def test_parameter_pollution_is_400(client, make, overall, body):
    for step_one_body in ("overall=satisfied&overall=dissatisfied", "overall=5&overall=satisfied"):
        assert raw_post(client, returned_dossier(make), step_one_body).status_code == 400
    assert count(Response) == 0
    dossier = answered(client, make, overall)
    assert raw_more(client, dossier, body).status_code == 400
    assert untouched(dossier)


def test_a_second_csrf_token_after_the_good_one_is_400(client, make):
    """`csrf_token=<good>&csrf_token=x`: refused, not read as its first value."""
    dossier = returned_dossier(make)
    _html, token = open_form(client, dossier)
    body = f"csrf_token={token}&csrf_token=x&overall=satisfied".encode()
    assert client.post(f"/s/{dossier.token}", data=body, content_type=FORM).status_code == 400
    assert count(Response) == 0


def test_repeated_reason_is_stored_once(client, make):
    dossier = answered(client, make)
    response = raw_more(client, dossier, "reasons=long_wait&reasons=long_wait")
    assert response.status_code == 303
    assert [a.value for a in stored(dossier).answers] == ["long_wait"]


def test_unknown_fields_are_ignored(client, make):
    dossier = returned_dossier(make)
    other = returned_dossier(make)
    clerk = make.user("clerk")
    forged = {
        "channel": "paper",
        "dossier_id": str(other.id),
        "entered_by_id": str(clerk.id),
        "school_id": "999",
        "created_at": "2000-01-01",
        "submitted_at": "2000-01-01",
        "details_at": "2000-01-01",
        "is_dissatisfied": "0",
        "questions_version": "evil",
        "overall": "dissatisfied",  # step 2 cannot change step 1's answer
    }
    response = submit(client, dossier, {**forged, "overall": "satisfied"})
    assert response.status_code == 303
    assert submit_more(client, dossier, forged).status_code == 303
    row = stored(dossier)
    assert row.channel.value == "qr" and row.entered_by_id is None
    assert row.overall.value == "satisfied"
    assert row.school_id == dossier.school_id and row.submitted_at.year > 2000
    assert row.details_at.year > 2000
    assert row.questions_version != "evil"
    assert stored(other) is None


@pytest.mark.parametrize("length, status", [(2000, 303), (2001, 400), (10_000, 400)])
def test_comment_length_is_checked_on_the_server(client, make, length, status):
    dossier = answered(client, make, "satisfied")
    response = submit_more(client, dossier, {"comment": "á" * length})
    assert response.status_code == status
    if status == 400:
        assert "tối đa 2.000 ký tự" in response.get_data(as_text=True)
        assert untouched(dossier)


def test_comment_length_counts_nfc_characters_and_browser_newlines(client, make):
    decomposed = unicodedata.normalize("NFD", "ế") * 2000  # 6,000 code points, 2,000 letters
    dossier = answered(client, make)
    assert submit_more(client, dossier, {"comment": decomposed}).status_code == 303
    assert stored(dossier).comment == "ế" * 2000
    # A textarea at maxlength 2000 with line breaks posts CRLF: still 2,000 characters.
    dossier = answered(client, make)
    comment = ("x" * 99 + "\r\n") * 20
    assert submit_more(client, dossier, {"comment": comment}).status_code == 303
    assert stored(dossier).comment == ("x" * 99 + "\n") * 19 + "x" * 99


@pytest.mark.parametrize(
    "encoded",
    ["%C3%28", "abc%ED%A0%80", "%FF%FE", "%C0%AF", "a%00b", "%00", "x%1By", "x%7Fy", "x%C2%85y"],
)
def test_invalid_utf8_nul_and_control_chars_are_400_not_500(client, make, encoded):
    dossier = answered(client, make)
    response = raw_more(client, dossier, f"comment={encoded}")
    assert response.status_code == 400
    assert "ký tự không hợp lệ" in response.get_data(as_text=True)
    response = raw_more(client, dossier, f"phone=09{encoded}01234567&consent=y")
    assert response.status_code == 400
    assert untouched(dossier)
    # Step 1 has no text field: junk bytes in an unknown field are refused as well.
    assert raw_post(
        client, returned_dossier(make), f"overall=satisfied&x={encoded}"
    ).status_code in (
        303,
        400,
    )


def test_tabs_newlines_emoji_and_rtl_are_kept_as_text(client, make):
    dossier = answered(client, make)
    comment = "dòng 1\n\tdòng 2 👍 \u202etxt.exe"
    assert submit_more(client, dossier, {"comment": comment}).status_code == 303
    assert stored(dossier).comment == comment


@pytest.mark.parametrize(
    "comment",
    ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "{{7*7}}", "{% raw %}x"],
)
def test_markup_is_stored_as_text_and_shown_escaped(client, make, comment):
    dossier = answered(client, make)
    # A wrong phone: the 400 page shows the comment back, escaped.
    html = submit_more(client, dossier, {"comment": comment, "phone": "1"}).get_data(as_text=True)
    assert comment not in html or comment in ("{{7*7}}", "{% raw %}x")
    assert "<script>alert" not in html and "<svg onload" not in html
    if comment == "{{7*7}}":
        assert "{{7*7}}" in html and ">49<" not in html
    response = submit_more(client, dossier, {"comment": comment})
    assert response.status_code == 303
    assert stored(dossier).comment == comment


@pytest.mark.parametrize(
    "path",
    ["/s/%00", "/s/..%2F..%2Fetc", "/s/%2e%2e", "/s/a", "/s/" + "A" * 10_000, "/s/%F0%9F%98%80"],
)
def test_hostile_tokens_get_the_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
    assert client.post(path, data={"overall": "satisfied"}).status_code == 404


def test_invalid_utf8_in_a_multipart_body_is_400(client, make):
    dossier = answered(client, make)
    _html, token = open_more(client, dossier)
    body = b"".join(
        b'--XX\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (name, value)
        for name, value in (
            (b"csrf_token", token.encode()),
            (b"comment", b"ab\xc3\x28cd"),
        )
    )
    response = client.post(
        f"/s/{dossier.token}/more",
        data=body + b"--XX--\r\n",
        content_type="multipart/form-data; boundary=XX",
    )
    assert response.status_code == 400
    assert untouched(dossier)
