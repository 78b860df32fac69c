"""Paper forms typed in by staff (the kiosk tablet: tests/test_kiosk.py; the rules every
channel shares: tests/test_channel_rules.py)."""

import re
from datetime import timedelta

from sqlalchemy import select

from survey_app import questions
from survey_app.audit import Audit
from survey_app.extensions import db
from survey_app.survey.models import Response
from tests.conftest import csrf_token_from
from tests.test_survey import count, local_now, returned_dossier, stored


def _post(client, url: str, data: dict):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_paper_entry_by_another_clerk(client, auth, make):
    school = make.school()
    receiver = make.user("clerk", username="tiepnhan", school=school)
    dossier = returned_dossier(make, received_by_id=receiver.id, returned_by_id=receiver.id)
    typist = auth.login("clerk", username="nhapphieu")
    index = client.get("/survey-entry")
    assert index.status_code == 200 and dossier.code in index.get_data(as_text=True)
    url = f"/survey-entry/{dossier.code}"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="overall"' in html and "Nhìn chung" in html
    response = _post(client, url, {"overall": "dissatisfied", "comment": "Chờ lâu"})
    assert response.status_code == 303
    row = stored(dossier)
    assert row.channel.value == "paper" and row.entered_by_id == typist.id
    audit_row = db.session.scalars(select(Audit).where(Audit.action == "survey_answered")).one()
    assert audit_row.user_id == typist.id
    # One answer per dossier on paper too.
    again = client.post(url, data={"overall": "satisfied", "csrf_token": csrf_token_from(html)})
    assert again.status_code == 409
    assert count(Response) == 1


def test_paper_entry_refused_to_the_clerk_who_handled_the_dossier(client, auth, make):
    school = make.school()
    make.user("principal", username="hieutruong", school=school)
    clerk = auth.login("clerk", username="motcua")
    other = returned_dossier(make)  # handled by nobody here: the clerk may enter it
    for field in ("received_by_id", "returned_by_id"):
        dossier = returned_dossier(make, **{field: clerk.id})
        url = f"/survey-entry/{dossier.code}"
        # The list does not send the clerk there: the row says someone else enters it.
        index = client.get("/survey-entry").text
        assert f'href="{url}"' not in index and f'href="/survey-entry/{other.code}"' in index
        assert "Cán bộ khác nhập" in index
        page = client.get(url)
        assert page.status_code == 403
        assert "nhờ một cán bộ khác nhập" in page.get_data(as_text=True)
        token = csrf_token_from(client.get("/survey-entry").get_data(as_text=True))
        assert client.post(url, data={"overall": "satisfied", "csrf_token": token}).status_code == (
            403
        )
    assert count(Response) == 0


def test_paper_entry_allowed_when_the_school_has_one_staff_member(client, auth, make):
    clerk = auth.login("clerk", username="duynhat")
    dossier = returned_dossier(make, received_by_id=clerk.id, returned_by_id=clerk.id)
    assert f'href="/survey-entry/{dossier.code}"' in client.get("/survey-entry").text
    assert _post(client, f"/survey-entry/{dossier.code}", {"overall": "satisfied"}).status_code == (
        303
    )
    assert stored(dossier).entered_by_id == clerk.id


def test_paper_entry_validates_like_the_parent_form(client, auth, make):
    auth.login("principal")
    dossier = returned_dossier(make)
    url = f"/survey-entry/{dossier.code}"
    for data in (
        {"overall": "5"},
        {"comment": "x"},
        {"overall": "satisfied", "comment": "a" * 2001},
        {"overall": "satisfied", "phone": "0901234567"},
        {"overall": "satisfied", "comment": "a\x00b"},
    ):
        response = _post(client, url, data)
        assert response.status_code == 400, data
    # Session CSRF (CSRFProtect) guards staff forms.
    assert client.post(url, data={"overall": "satisfied"}).status_code == 400
    assert count(Response) == 0


def test_paper_entry_states_and_school_scope(client, auth, make):
    auth.login("principal")
    not_returned = make.dossier(received_at=local_now() - timedelta(days=1))
    withdrawn = make.dossier(received_at=local_now() - timedelta(days=1), status="withdrawn")
    answered = returned_dossier(make)
    make.response(answered)
    other_school = make.school(code="KHAC", name="Trường khác")
    foreign = returned_dossier(make, school=other_school)
    assert client.get(f"/survey-entry/{not_returned.code}").status_code == 409
    assert client.get(f"/survey-entry/{withdrawn.code}").status_code == 410
    assert client.get(f"/survey-entry/{answered.code}").status_code == 409
    assert client.get(f"/survey-entry/{foreign.code}").status_code == 404
    assert client.get("/survey-entry?code=NOPE").status_code == 404
    found = client.get(f"/survey-entry?code={answered.short_code.lower()}")
    assert found.status_code == 302 and found.headers["Location"].endswith(answered.code)


def test_hostile_dossier_codes_are_404_not_500(client, auth, make):
    auth.login("clerk")
    for code in ("%00", "a%00b", "x" * 500, "%C3%28", "..%2F.."):
        assert client.get(f"/survey-entry?code={code}").status_code == 404
        assert client.get(f"/survey-entry/{code}").status_code == 404


def test_paper_questionnaire_and_entry_page_share_order_and_numbering(client, auth, make):
    """The A5 paper and the page the clerk types it into: same questions, same numbers,
    same order, and the slip's short code on both."""
    auth.login("clerk")
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    printed = client.get(f"/dossiers/{dossier.code}/questionnaire")
    entry = client.get(f"/survey-entry/{dossier.code}")
    assert printed.status_code == entry.status_code == 200
    printed, entry = printed.get_data(as_text=True), entry.get_data(as_text=True)
    assert "K7QM-3XPA" in printed and "K7QM-3XPA" in entry
    assert dossier.token not in printed  # the paper carries the short code, not the link
    numbers = re.compile(r"<b>([\d.]+)</b>")
    expected = ["1.", "2.", *(f"2.{n}" for n in range(1, 7)), "3.", "4.", "5."]
    assert numbers.findall(printed) == numbers.findall(entry) == expected
    labels = [
        str(questions.OVERALL_LABEL),
        *(str(q.label) for q in questions.DETAILS),
        *(str(label) for _value, label in questions.REASONS),
    ]
    for html in (printed, entry):
        positions = [html.index(label) for label in labels]
        assert positions == sorted(positions)
    boxes = 3 + sum(len(q.choices) for q in questions.DETAILS) + len(questions.REASONS) + 1
    assert printed.count('class="pq-box"') == boxes
    assert entry.count('type="radio"') + entry.count('type="checkbox"') == boxes
