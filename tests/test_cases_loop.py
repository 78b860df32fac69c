"""Closing the loop: the parent's own link shows the school's answer and asks one question."""

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from survey_app.audit import Audit
from survey_app.cases.models import Case, CaseEvent, CaseStatus, EventKind, RootCause
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.survey.loop import record_answer
from survey_app.timeutil import LOCAL_TZ
from tests.conftest import csrf_token_from

QUESTION = "Ông/Bà có hài lòng với cách nhà trường giải quyết không?"
HOSTILE = "Đã xin lỗi phụ huynh.\n<script>alert(1)</script> {{7*7}}"


def returned_dossier(make, **kw):
    now = datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    return make.dossier(
        received_at=now - timedelta(days=5), returned_at=now - timedelta(hours=1), **kw
    )


def answer_survey(client, dossier, overall: str, **more):
    """The parent answers through /s/<token> (routing happens in that request), then
    step 2 with `more` when given."""
    page = client.get(f"/s/{dossier.token}")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "overall": overall}
    response = client.post(f"/s/{dossier.token}", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    if more:
        page = client.get(f"/s/{dossier.token}/more")
        more["csrf_token"] = csrf_token_from(page.get_data(as_text=True))
        response = client.post(f"/s/{dossier.token}/more", data=more)
        assert response.status_code == 303, response.get_data(as_text=True)[:400]


def case_of(dossier) -> Case | None:
    db.session.expire_all()
    return db.session.scalars(select(Case).where(Case.response.has(dossier_id=dossier.id))).first()


def resolve(case, text=HOSTILE):
    case.status = CaseStatus.RESOLVED
    case.resolution, case.root_cause = text, RootCause.STAFF_ATTITUDE
    case.resolved_at = datetime(2025, 10, 6, 3, 0)
    db.session.commit()


def loop_form(client, dossier):
    page = client.get(f"/s/{dossier.token}")
    assert page.status_code == 200, page.status_code
    return page.get_data(as_text=True)


def post_loop(client, dossier, html=None, **data):
    html = html or loop_form(client, dossier)
    data.setdefault("csrf_token", csrf_token_from(html))
    return client.post(f"/s/{dossier.token}/loop", data=data)


def test_dissatisfied_answer_opens_a_case_and_the_link_tells_nothing_of_it(client, make):
    make.user("principal", email="ht@school.test")
    dossier = returned_dossier(make)
    answer_survey(client, dossier, "dissatisfied", comment="Chờ quá lâu")
    case = case_of(dossier)
    assert case is not None and case.status is CaseStatus.OPEN
    mail = db.session.scalars(select(Outbox).order_by(Outbox.id)).first()
    assert dossier.code in mail.subject and mail.recipient == "ht@school.test"
    page = client.get(f"/s/{dossier.token}")
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert QUESTION not in html and "Chờ quá lâu" not in html
    # While the case is handled the link looks like any answered survey's (a clerk may
    # hold it): the same page as after a satisfied answer.
    praised = returned_dossier(make)
    answer_survey(client, praised, "very_satisfied")
    other = client.get(f"/s/{praised.token}").get_data(as_text=True)

    def strip(html: str, token: str) -> str:
        return re.sub(r'nonce="[^"]+"', "", html.replace(token, "TOKEN"))

    assert strip(html, dossier.token) == strip(other, praised.token)
    assert "chính đường dẫn này" in html


def test_satisfied_answer_has_no_loop(client, make):
    make.user("principal")
    dossier = returned_dossier(make)
    answer_survey(client, dossier, "very_satisfied", comment="Tốt")
    assert case_of(dossier) is None
    assert db.session.scalars(select(Outbox)).all() == []
    assert client.get(f"/s/{dossier.token}").status_code == 409
    assert client.post(f"/s/{dossier.token}/loop", data={"answer": "no"}).status_code == 404


def test_resolved_case_shows_the_schools_answer_signed_by_the_school(client, make, auth):
    principal = auth.login("principal")
    dossier = returned_dossier(make)
    answer_survey(client, dossier, "dissatisfied")
    resolve(case_of(dossier))
    auth.logout()
    page = client.get(f"/s/{dossier.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert QUESTION in html and "> Có</label>" in html and "> Không</label>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}" in html and "<script" not in html
    assert f"— {principal.school.name}" in html
    assert principal.full_name not in html and principal.username not in html
    nonce = re.search(r'<style nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    assert re.search(r'name="answer"[^>]* type="radio" value="yes"', html)
    assert re.search(r'name="answer"[^>]* type="radio" value="no"', html)


def test_no_reopens_the_case_and_tells_the_principal(client, make):
    make.user("principal", email="ht@school.test")
    dossier = returned_dossier(make)
    answer_survey(client, dossier, "dissatisfied")
    case = case_of(dossier)
    resolve(case)
    db.session.execute(db.delete(Outbox))
    db.session.commit()
    html = loop_form(client, dossier)
    response = post_loop(
        client, dossier, html, answer="no", comment="Vẫn chưa được trả lời <b>rõ</b>"
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{dossier.token}/loop")
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "Cảm ơn Ông/Bà đã phản hồi" in thanks.get_data(as_text=True)
    case = case_of(dossier)
    assert case.status is CaseStatus.OPEN and case.parent_satisfied is False
    assert case.resolved_at is None and case.parent_answered_at is not None
    event = db.session.scalars(select(CaseEvent)).one()
    assert (event.kind, event.author_id, event.from_status, event.to_status) == (
        EventKind.PARENT,
        None,
        "resolved",
        "open",
    )
    assert event.text == "Vẫn chưa được trả lời <b>rõ</b>"
    assert db.session.scalars(select(Audit).where(Audit.action == "case_parent_answer")).one()
    mail = db.session.scalars(select(Outbox)).one()
    assert mail.recipient == "ht@school.test" and dossier.code in mail.subject
    assert "chưa hài lòng" in mail.subject
    # Answered: the link now says so, and a second answer changes nothing.
    again = client.get(f"/s/{dossier.token}")
    assert again.status_code == 409 and "xem xét lại" in again.get_data(as_text=True)
    late = post_loop(client, dossier, html, answer="yes")
    assert late.status_code == 409
    assert case_of(dossier).parent_satisfied is False


def test_yes_records_satisfaction_and_changes_nothing_else(client, make):
    make.user("principal", email="ht@school.test")
    dossier = returned_dossier(make)
    answer_survey(client, dossier, "dissatisfied")
    resolve(case_of(dossier))
    mails = len(db.session.scalars(select(Outbox)).all())
    assert post_loop(client, dossier, answer="yes").status_code == 303
    case = case_of(dossier)
    assert case.status is CaseStatus.RESOLVED and case.parent_satisfied is True
    assert len(db.session.scalars(select(Outbox)).all()) == mails
    page = client.get(f"/s/{dossier.token}")
    assert page.status_code == 409 and "Cảm ơn Ông/Bà" in page.get_data(as_text=True)


def test_a_new_resolution_is_asked_about_again(client, make, auth):
    auth.login("principal")
    dossier = returned_dossier(make)
    answer_survey(client, dossier, "dissatisfied")
    resolve(case_of(dossier))
    assert post_loop(client, dossier, answer="no").status_code == 303
    url = f"/cases/{case_of(dossier).id}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data = {
        "csrf_token": token,
        "resolution": "Hiệu trưởng đã gặp trực tiếp",
        "root_cause": "other",
    }
    assert client.post(f"{url}/resolve", data=data).status_code == 303
    html = loop_form(client, dossier)
    assert "Hiệu trưởng đã gặp trực tiếp" in html and QUESTION in html
    # The "Không" still counts until the parent answers the new resolution: resolving
    # again does not wipe it from the verdicts the principal and the office see.
    assert _verdicts(client) == (0, 1)
    assert post_loop(client, dossier, html, answer="yes").status_code == 303
    assert _verdicts(client) == (1, 1)


def _verdicts(client) -> tuple[int, int]:
    """(satisfied, answered) of the parents' verdicts, as the case summary shows them."""
    page = client.get("/cases/summary").text
    found = re.search(r"(\d+)/(\d+)</td>\s*</tr>", page)
    assert found, page[-800:]
    return int(found[1]), int(found[2])


def test_loop_form_refuses_bad_csrf_and_bad_answers(client, make):
    make.user("principal")
    dossier = returned_dossier(make)
    other = returned_dossier(make)
    answer_survey(client, dossier, "dissatisfied")
    answer_survey(client, other, "dissatisfied")
    resolve(case_of(dossier))
    resolve(case_of(other))
    mine = loop_form(client, dossier)
    theirs = loop_form(client, other)
    survey_page = client.get(f"/s/{returned_dossier(make).token}").get_data(as_text=True)
    for token in ("", "forged", csrf_token_from(theirs), csrf_token_from(survey_page)):
        response = post_loop(client, dossier, mine, answer="no", csrf_token=token)
        assert response.status_code == 400, token
        assert QUESTION in response.get_data(as_text=True)
    for data in ({}, {"answer": "maybe"}, {"answer": ["yes", "no"]}, {"comment": "x" * 2001}):
        assert post_loop(client, dossier, mine, **data).status_code == 400, data
    assert post_loop(client, dossier, mine, answer="no", comment="a\x00b").status_code == 400
    case = case_of(dossier)
    assert case.status is CaseStatus.RESOLVED and case.parent_answered_at is None


def test_unknown_tokens_are_404(client, make):
    for token in ("nope", "A" * 43, "x" * 300):
        assert client.post(f"/s/{token}/loop", data={"answer": "no"}).status_code == 404
        assert client.get(f"/s/{token}/loop").status_code == 404


def test_loop_works_with_cookies_blocked(app, make):
    make.user("principal")
    dossier = returned_dossier(make)
    parent = app.test_client(use_cookies=False)
    answer_survey(parent, dossier, "dissatisfied", comment="Không có cookie")
    resolve(case_of(dossier))
    assert post_loop(parent, dossier, answer="no").status_code == 303
    assert case_of(dossier).status is CaseStatus.OPEN


def test_the_loop_keeps_the_parents_language_without_cookies(app, make):
    """English chosen on the link stays English through the question and the thank-you,
    with no cookie to remember it; the page offers Vietnamese back."""
    make.user("principal")
    dossier = returned_dossier(make)
    parent = app.test_client(use_cookies=False)
    answer_survey(parent, dossier, "dissatisfied")
    resolve(case_of(dossier))
    page = parent.get(f"/s/{dossier.token}?lang=en").text
    assert '<html lang="en">' in page and "Tiếng Việt</a>" in page
    assert f'action="/s/{dossier.token}/loop?lang=en"' in page
    sent = parent.post(
        f"/s/{dossier.token}/loop?lang=en",
        data={"csrf_token": csrf_token_from(page), "answer": "yes"},
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/loop?lang=en")
    assert '<html lang="en">' in parent.get(sent.headers["Location"]).text


def test_the_answer_is_taken_once(app, make):
    """Two requests that both loaded the resolved case: only the first answer counts."""
    make.user("principal")
    dossier = returned_dossier(make)
    answer_survey(app.test_client(), dossier, "dissatisfied")
    resolve(case_of(dossier))
    case = case_of(dossier)
    with app.test_request_context():
        assert record_answer(case, False, None) is True
        db.session.commit()
        # The second request's stale view: still resolved, not yet answered.
        set_committed_value(case, "status", CaseStatus.RESOLVED)
        set_committed_value(case, "parent_answered_at", None)
        assert record_answer(case, True, None) is False
        db.session.rollback()
    case = case_of(dossier)
    assert case.parent_satisfied is False and case.status is CaseStatus.OPEN
    assert len(db.session.scalars(select(CaseEvent)).all()) == 1
