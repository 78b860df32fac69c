"""Hostile input on the survey: CSRF, tampered choices, pollution, lengths, bytes, markup."""

import unicodedata

import pytest

from survey_app.survey.models import Response
from tests.test_survey import count, open_form, returned_dossier, stored, submit

FORM = "application/x-www-form-urlencoded"


def raw_post(client, dossier, body: str):
    """POST a hand-written urlencoded body (with the page's CSRF token appended)."""
    _html, token = open_form(client, dossier)
    return client.post(
        f"/s/{dossier.token}", data=f"{body}&csrf_token={token}".encode(), content_type=FORM
    )


def test_missing_csrf_is_400_with_the_form_in_vietnamese(client, make):
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"overall": "satisfied", "comment": "giữ lại"}, csrf=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phiếu đã hết hạn hoặc không hợp lệ" in html
    assert 'name="overall"' in html and "giữ lại" in html
    assert count(Response) == 0


def test_csrf_of_another_survey_is_refused(client, make):
    mine, other = returned_dossier(make), returned_dossier(make)
    _html, other_token = open_form(client, other)
    response = submit(client, mine, {"overall": "satisfied", "csrf_token": other_token})
    assert response.status_code == 400
    response = submit(client, mine, {"overall": "satisfied", "csrf_token": "x" * 64})
    assert response.status_code == 400
    assert count(Response) == 0


def test_works_with_cookies_blocked(app, make):
    """In-app QR webviews may block cookies: the token-bound CSRF needs none."""
    dossier = returned_dossier(make)
    client = app.test_client(use_cookies=False)
    response = submit(client, dossier, {"overall": "satisfied"})
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    assert count(Response) == 1


@pytest.mark.parametrize("value", ["5", "0", "-1", "abc", "4 OR 1=1", "3.5", "", "Hài lòng"])
def test_tampered_overall_is_400(client, make, value):
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"overall": value, "comment": "giữ"})
    assert response.status_code == 400
    assert "giữ" in response.get_data(as_text=True)
    assert count(Response) == 0


@pytest.mark.parametrize(
    "field, value",
    [("visits", "3"), ("extra_payment", "maybe"), ("info_clear", "1 OR 1=1"), ("reasons", "x")],
)
def test_tampered_details_and_reasons_are_400(client, make, field, value):
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"overall": "satisfied", field: value})
    assert response.status_code == 400
    assert "Câu trả lời không hợp lệ" in response.get_data(as_text=True)
    assert count(Response) == 0


@pytest.mark.parametrize(
    "body",
    [
        "overall=satisfied&overall=dissatisfied",
        "overall=5&overall=satisfied",
        "overall=satisfied&visits=0&visits=2%2B",
        "overall=satisfied&comment=a&comment=b",
        "overall=satisfied&phone=0901234567&phone=0911111111&consent=y",
    ],
)
def test_parameter_pollution_is_400(client, make, body):
    dossier = returned_dossier(make)
    response = raw_post(client, dossier, body)
    assert response.status_code == 400
    assert count(Response) == 0


def test_repeated_reason_is_stored_once(client, make):
    dossier = returned_dossier(make)
    response = raw_post(client, dossier, "overall=satisfied&reasons=long_wait&reasons=long_wait")
    assert response.status_code == 303
    assert [a.value for a in stored(dossier).answers] == ["long_wait"]


def test_unknown_fields_are_ignored(client, make):
    dossier = returned_dossier(make)
    other = returned_dossier(make)
    clerk = make.user("clerk")
    response = submit(
        client,
        dossier,
        {
            "overall": "satisfied",
            "channel": "paper",
            "dossier_id": str(other.id),
            "entered_by_id": str(clerk.id),
            "school_id": "999",
            "created_at": "2000-01-01",
            "submitted_at": "2000-01-01",
            "is_dissatisfied": "0",
            "questions_version": "evil",
        },
    )
    assert response.status_code == 303
    row = stored(dossier)
    assert row.channel.value == "qr" and row.entered_by_id is None
    assert row.school_id == dossier.school_id and row.submitted_at.year > 2000
    assert row.questions_version != "evil"
    assert stored(other) is None


@pytest.mark.parametrize("length, status", [(2000, 303), (2001, 400), (10_000, 400)])
def test_comment_length_is_checked_on_the_server(client, make, length, status):
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"overall": "satisfied", "comment": "á" * length})
    assert response.status_code == status
    if status == 400:
        assert "tối đa 2.000 ký tự" in response.get_data(as_text=True)
        assert count(Response) == 0


def test_comment_length_counts_nfc_characters_and_browser_newlines(client, make):
    decomposed = unicodedata.normalize("NFD", "ế") * 2000  # 6,000 code points, 2,000 letters
    dossier = returned_dossier(make)
    assert submit(client, dossier, {"overall": "satisfied", "comment": decomposed}).status_code == (
        303
    )
    assert stored(dossier).comment == "ế" * 2000
    # A textarea at maxlength 2000 with line breaks posts CRLF: still 2,000 characters.
    dossier = returned_dossier(make)
    comment = ("x" * 99 + "\r\n") * 20
    response = submit(client, dossier, {"overall": "satisfied", "comment": comment})
    assert response.status_code == 303
    assert stored(dossier).comment == ("x" * 99 + "\n") * 19 + "x" * 99


@pytest.mark.parametrize(
    "encoded",
    ["%C3%28", "abc%ED%A0%80", "%FF%FE", "%C0%AF", "a%00b", "%00", "x%1By", "x%7Fy", "x%C2%85y"],
)
def test_invalid_utf8_nul_and_control_chars_are_400_not_500(client, make, encoded):
    dossier = returned_dossier(make)
    response = raw_post(client, dossier, f"overall=satisfied&comment={encoded}")
    assert response.status_code == 400
    assert "ký tự không hợp lệ" in response.get_data(as_text=True)
    response = raw_post(client, dossier, f"overall=satisfied&phone=09{encoded}01234567&consent=y")
    assert response.status_code == 400
    assert count(Response) == 0


def test_tabs_newlines_emoji_and_rtl_are_kept_as_text(client, make):
    dossier = returned_dossier(make)
    comment = "dòng 1\n\tdòng 2 👍 \u202etxt.exe"
    assert submit(client, dossier, {"overall": "satisfied", "comment": comment}).status_code == 303
    assert stored(dossier).comment == comment


@pytest.mark.parametrize(
    "comment",
    ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "{{7*7}}", "{% raw %}x"],
)
def test_markup_is_stored_as_text_and_shown_escaped(client, make, comment):
    dossier = returned_dossier(make)
    # Missing overall: the 400 page shows the comment back, escaped.
    html = submit(client, dossier, {"comment": comment}).get_data(as_text=True)
    assert comment not in html or comment in ("{{7*7}}", "{% raw %}x")
    assert "<script>alert" not in html and "<svg onload" not in html
    if comment == "{{7*7}}":
        assert "{{7*7}}" in html and ">49<" not in html
    response = submit(client, dossier, {"overall": "dissatisfied", "comment": comment})
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
    dossier = returned_dossier(make)
    _html, token = open_form(client, dossier)
    body = b"".join(
        b'--XX\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (name, value)
        for name, value in (
            (b"csrf_token", token.encode()),
            (b"overall", b"satisfied"),
            (b"comment", b"ab\xc3\x28cd"),
        )
    )
    response = client.post(
        f"/s/{dossier.token}",
        data=body + b"--XX--\r\n",
        content_type="multipart/form-data; boundary=XX",
    )
    assert response.status_code == 400
    assert count(Response) == 0
