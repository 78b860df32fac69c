"""The parent's survey at /s/<token>: every page state, storing an answer, routing, budget."""

import gzip
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from survey_app.audit import Audit
from survey_app.cases.models import Case
from survey_app.dossiers.models import Apology
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.survey.models import Answer, Response
from survey_app.timeutil import LOCAL_TZ, utcnow
from tests.conftest import csrf_token_from


def local_now() -> datetime:
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def returned_dossier(make, **kw):
    """A dossier received five days ago and returned an hour ago (survey open)."""
    now = local_now()
    return make.dossier(
        received_at=now - timedelta(days=5), returned_at=now - timedelta(hours=1), **kw
    )


def open_form(client, dossier, query: str = ""):
    page = client.get(f"/s/{dossier.token}{query}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    return html, csrf_token_from(html)


def submit(client, dossier, data: dict, query: str = "", csrf: bool = True, **kw):
    data = dict(data)
    if csrf:
        data.setdefault("csrf_token", open_form(client, dossier, query)[1])
    return client.post(f"/s/{dossier.token}{query}", data=data, **kw)


def step_one(client, dossier, overall: str = "satisfied", query: str = ""):
    """Answer step 1; it redirects to step 2 on the same link."""
    response = submit(client, dossier, {"overall": overall}, query=query)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].startswith(f"/s/{dossier.token}/more")
    return response


def open_more(client, dossier):
    page = client.get(f"/s/{dossier.token}/more")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    return html, csrf_token_from(html)


def submit_more(client, dossier, data: dict, overall: str | None = None, csrf=True, **kw):
    """Step 2's POST (answering step 1 with `overall` first, when given)."""
    if overall:
        step_one(client, dossier, overall)
    data = dict(data)
    if csrf:
        data.setdefault("csrf_token", open_more(client, dossier)[1])
    return client.post(f"/s/{dossier.token}/more", data=data, **kw)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def stored(dossier) -> Response | None:
    db.session.expire_all()
    return db.session.scalars(select(Response).where(Response.dossier_id == dossier.id)).first()


# --- GET: the page for each state of the dossier ---------------------------------------


def _one_request_and_budget(page, html: str) -> None:
    """Inline CSS with the CSP nonce, no script, no external URL; <= 14 KB gzipped."""
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    assert "<script" not in html and 'rel="stylesheet"' not in html and "<img" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert '<link rel="icon" href="data:,">' in html
    assert len(page.data) <= 20 * 1024
    assert len(gzip.compress(page.data)) <= 14 * 1024
    assert page.headers["Cache-Control"] == "no-store"


def _labelled(html: str) -> None:
    ids = set(re.findall(r'<input[^>]* id="([^"]+)"', html)) - {"csrf_token"}
    assert ids and all(f'for="{i}"' in html for i in ids)
    assert html.count("<fieldset") == html.count("<legend>") + html.count("<legend ")
    # Consent never pre-ticked; nothing else pre-selected.
    assert not re.search(r"<input[^>]*checked", html)


def test_step_one_is_the_overall_question_alone(client, make):
    dossier = returned_dossier(make)
    page = client.get(f"/s/{dossier.token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nhìn chung, Ông/Bà hài lòng thế nào" in html
    for value, label in (
        ("very_satisfied", "Rất hài lòng"),
        ("satisfied", "Hài lòng"),
        ("dissatisfied", "Không hài lòng"),
    ):
        assert f'name="overall" type="radio" value="{value}"' in html or (
            f'name="overall" required type="radio" value="{value}"' in html
        )
        assert f"<span>{label}</span>" in html
    # Nothing else to answer on step 1: no details, reasons, comment or phone.
    assert html.count('type="radio"') == 3 and 'type="checkbox"' not in html
    for absent in ("Thêm chi tiết", "vì sao", 'name="comment"', 'name="phone"', "info_clear"):
        assert absent not in html
    assert html.count("<button") == 1 and html.count("<fieldset") == 1
    _labelled(html)
    _one_request_and_budget(page, html)


def test_step_two_asks_what_fits_the_first_answer(client, make):
    satisfied, dissatisfied = returned_dossier(make), returned_dossier(make)
    step_one(client, satisfied, "very_satisfied")
    step_one(client, dissatisfied, "dissatisfied")
    pages = {}
    for name, dossier in (("satisfied", satisfied), ("dissatisfied", dissatisfied)):
        page = client.get(f"/s/{dossier.token}/more")
        assert page.status_code == 200
        html = pages[name] = page.get_data(as_text=True)
        assert 'name="overall"' not in html
        assert 'name="comment"' in html and 'maxlength="2000"' in html
        assert "91/2025/QH15" in html
        # "Gửi" and two "Bỏ qua" (top and bottom), all posting to this step.
        assert html.count('name="skip" value="1"') == 2 and ">Gửi</button>" in html
        assert html.count(f'action="/s/{dossier.token}/more"') == 2
        _labelled(html)
        _one_request_and_budget(page, html)
    happy, unhappy = pages["satisfied"], pages["dissatisfied"]
    assert all(f'name="{q}"' in happy for q in ("info_clear", "visits", "extra_payment"))
    assert 'name="reasons"' not in happy and 'name="phone"' not in happy
    assert 'name="reasons"' in unhappy and unhappy.count('type="checkbox"') == 11
    assert "Vì sao Ông/Bà chưa hài lòng?" in unhappy
    assert 'name="phone"' in unhappy and 'name="consent"' in unhappy
    assert 'name="info_clear"' not in unhappy


def test_english_switch(client, make):
    dossier = returned_dossier(make)
    html, _token = open_form(client, dossier)
    assert f'href="/s/{dossier.token}?lang=en"' in html
    english = client.get(f"/s/{dossier.token}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert f'href="/s/{dossier.token}?lang=vi"' in english


def test_status_page_before_return_has_no_personal_data(client, make):
    dossier = make.dossier(
        received_at=local_now() - timedelta(days=1),
        applicant_name="Lê Thị Riêng Tư",
        applicant_phone="0912345678",
        student_name="Lê Văn Bí Mật",
    )
    page = client.get(f"/s/{dossier.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Tình trạng hồ sơ" in html and "Đang giải quyết" in html
    assert dossier.procedure.name in html
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    for secret in ("Lê Thị Riêng Tư", "0912345678", "Lê Văn Bí Mật", dossier.code):
        assert secret not in html
    assert 'name="overall"' not in html
    # Answering before the result is returned is refused and stores nothing.
    assert submit(client, dossier, {"overall": "satisfied"}, csrf=False).status_code == 409
    assert count(Response) == 0


def test_status_page_shows_the_apology_date(client, make, app):
    dossier = make.dossier(received_at=local_now() - timedelta(days=20))
    new_date = dossier.due_date + timedelta(days=7)
    db.session.add(
        Apology(
            dossier=dossier, reason="x", new_due_date=new_date, channel="phone", issued_at=utcnow()
        )
    )
    db.session.commit()
    html = client.get(f"/s/{dossier.token}").get_data(as_text=True)
    assert new_date.strftime("%d/%m/%Y") in html


def test_unknown_expired_withdrawn(client, make):
    expired = returned_dossier(make)
    expired.token_expires_at = utcnow() - timedelta(seconds=1)
    withdrawn = make.dossier(received_at=local_now() - timedelta(days=2), status="withdrawn")
    db.session.commit()
    unknown = client.get("/s/" + "A" * 32)
    gone = client.get(f"/s/{expired.token}")
    assert unknown.status_code == 404
    assert gone.status_code == 410
    assert client.get(f"/s/{withdrawn.token}").status_code == 410
    # Same shape and size: only the status differs (and the per-request nonce).
    strip = lambda r: re.sub(r'nonce="[^"]+"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(unknown) == strip(gone)
    assert len(unknown.data) == len(gone.data)
    assert "Đường dẫn không còn hiệu lực" in strip(gone)
    # Reached from the code on the slip: no "type the code" that leads back here; the same
    # page again whether the code's dossier is unknown, expired or withdrawn.
    by_code = [client.get(f"/s/{t}?via=code") for t in ("A" * 32, expired.token, withdrawn.token)]
    assert [r.status_code for r in by_code] == [404, 410, 410]
    assert len({strip(r) for r in by_code}) == 1
    assert "liên hệ Bộ phận một cửa" in strip(by_code[0])
    assert 'href="/s"' not in strip(by_code[0]) and "Nhập mã khảo sát" not in strip(by_code[0])
    # Posting to them stores nothing.
    assert submit(client, expired, {"overall": "satisfied"}, csrf=False).status_code == 410
    assert count(Response) == 0


def test_expiry_boundary(client, make):
    dossier = returned_dossier(make)
    dossier.token_expires_at = utcnow() + timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/s/{dossier.token}").status_code == 200


# --- POST: storing the answer ----------------------------------------------------------


FULL = {
    "overall": "satisfied",
    "info_clear": "very_satisfied",
    "visits": "1",
    "extra_papers": "no",
    "staff_attitude": "satisfied",
    "result_correct": "very_satisfied",
    "extra_payment": "no",
    "comment": "Cán bộ hướng dẫn rất tận tình.",
}


FULL = {
    "overall": "satisfied",
    "info_clear": "very_satisfied",
    "visits": "1",
    "extra_papers": "no",
    "staff_attitude": "satisfied",
    "result_correct": "very_satisfied",
    "extra_payment": "no",
    "comment": "Cán bộ hướng dẫn rất tận tình.",
}
DETAILS = {k: v for k, v in FULL.items() if k != "overall"}


def test_step_one_stores_at_once_and_step_two_adds_to_it(client, make):
    dossier = returned_dossier(make)
    response = submit(
        client, dossier, {"overall": "satisfied"}, environ_base={"REMOTE_ADDR": "203.0.113.77"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{dossier.token}/more"
    # Stored at once: it counts even if the parent stops here.
    row = stored(dossier)
    assert row.channel.value == "qr" and row.overall.value == "satisfied"
    assert row.answers == [] and row.comment is None and row.details_at is None
    assert row.entered_by_id is None and row.questions_version
    response = submit_more(
        client,
        dossier,
        # reasons and a phone are not asked after a satisfied answer: ignored
        {**DETAILS, "reasons": ["long_wait"], "phone": "0912345678", "consent": "y"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{dossier.token}/thanks"
    row = stored(dossier)
    assert row.comment == FULL["comment"] and row.details_at is not None
    assert row.contact_consent is False and row.contact_phone is None
    answers = {(a.question_code, a.value) for a in row.answers}
    assert ("visits", "1") in answers and len(answers) == 6
    assert count(Response) == 1
    # Satisfied with no negative detail: no case; the comment is a suggestion.
    assert count(Case) == 0
    # The audit trail records both steps; no IP address is stored anywhere.
    actions = db.session.scalars(select(Audit.action).order_by(Audit.id)).all()
    assert actions == ["survey_answered", "survey_details"]
    for model in (Response, Answer, Audit):
        for obj in db.session.scalars(select(model)):
            values = [str(getattr(obj, c.name)) for c in model.__table__.columns]
            assert not any("203.0.113.77" in v for v in values)
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    html = thanks.get_data(as_text=True)
    assert "Cảm ơn Ông/Bà" in html and "chính đường dẫn này" in html


def test_only_overall_is_required_and_step_two_can_be_skipped(client, make):
    for skip in ({"skip": "1"}, {"skip": "1", "comment": "x" * 3000, "visits": "9"}):
        dossier = returned_dossier(make)
        step_one(client, dossier, "very_satisfied")
        response = submit_more(client, dossier, skip)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/s/{dossier.token}/thanks"
        row = stored(dossier)
        assert row.answers == [] and row.comment is None and row.contact_phone is None
        assert row.details_at is not None  # skipped: step 2 is closed
        closed = client.get(f"/s/{dossier.token}/more")
        assert closed.status_code == 303 and closed.headers["Location"].endswith("/thanks")


def test_missing_overall_is_400_in_vietnamese(client, make):
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"comment": "không thuộc bước 1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vui lòng chọn mức độ hài lòng chung." in html
    assert "(câu 1)" not in html  # the parent's page does not number its one question
    assert 'name="overall"' in html
    assert count(Response) == 0


def test_step_two_errors_are_400_in_vietnamese_and_keep_the_answers(client, make):
    dossier = returned_dossier(make)
    step_one(client, dossier, "dissatisfied")
    response = submit_more(
        client,
        dossier,
        {
            "reasons": ["impolite", "long_wait"],
            "comment": "Chờ lâu " + "x" * 2001,
            "phone": "0901234567",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vui lòng kiểm tra lại" in html
    assert "tối đa 2.000 ký tự" in html and "đánh dấu ô đồng ý" in html
    assert re.search(r'id="reasons-3"[^>]*checked', html)
    assert re.search(r'id="reasons-6"[^>]*checked', html)
    assert "Chờ lâu xxx" in html and 'value="0901234567"' in html
    row = stored(dossier)
    assert row.details_at is None and row.answers == [] and row.comment is None
    # Missing CSRF, on "Gửi" and on "Bỏ qua": 400 with the form, nothing taken.
    for data in ({"reasons": "long_wait"}, {"skip": "1"}):
        refused = submit_more(client, dossier, data, csrf=False)
        assert refused.status_code == 400
        assert "Phiếu đã hết hạn hoặc không hợp lệ" in refused.get_data(as_text=True)
        assert 'name="reasons"' in refused.get_data(as_text=True)
    assert stored(dossier).details_at is None
    # Step 2 is still open: the corrected form goes through.
    response = submit_more(client, dossier, {"reasons": ["long_wait"], "comment": "Chờ lâu"})
    assert response.status_code == 303


def test_dissatisfied_opens_a_case_at_once_and_step_two_adds_to_it(client, make, auth):
    make.user("principal", username="hieutruong", email="ht@school.test")
    dossier = returned_dossier(make)
    step_one(client, dossier, "dissatisfied")
    # The case and its mail come with step 1, in its transaction; the mail says more may come.
    assert count(Response) == 1 and count(Case) == 1
    first = db.session.scalars(select(Outbox)).one()
    assert first.recipient == "ht@school.test" and "Phản ánh mới" in first.subject
    assert "bổ sung lý do và góp ý trong 60 phút" in first.body
    response = submit_more(
        client,
        dossier,
        {
            "reasons": ["long_wait", "extra_fees"],
            "comment": "Phải chờ ba buổi",
            "phone": "0912 345 678",
            "consent": "y",
        },
    )
    assert response.status_code == 303
    assert count(Case) == 1
    case = db.session.scalars(select(Case)).one()
    assert case.serious is True  # the extra-fees reason
    row = stored(dossier)
    assert row.comment == "Phải chờ ba buổi" and row.contact_phone == "0912345678"
    assert {a.value for a in row.answers} == {"long_wait", "extra_fees"}
    assert [e.kind.value for e in case.events] == ["note"]
    assert case.events[0].author_id is None and case.events[0].text == ""
    second = db.session.scalars(select(Outbox).order_by(Outbox.id.desc())).first()
    assert second.id != first.id and second.subject.startswith("[NGHIÊM TRỌNG] ")
    assert "bổ sung ý kiến" in second.subject and dossier.code in second.subject
    for text in ("Chờ đợi lâu", "Chi phí ngoài quy định", "Phải chờ ba buổi", f"/cases/{case.id}"):
        assert text in second.body
    assert "0912345678" not in second.body  # the phone is on the case page, not in mail
    # The principal's inbox shows the reasons and the comment.
    auth.login("principal", username="hieutruong")
    inbox = client.get("/cases").get_data(as_text=True)
    assert dossier.code in inbox and "Phải chờ ba buổi" in inbox and "Chờ đợi lâu" in inbox
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Bổ sung ý kiến" in page and "0912345678" in page


def test_step_two_with_nothing_new_changes_no_case(client, make):
    make.user("principal", email="ht@school.test")
    dossier = returned_dossier(make)
    step_one(client, dossier, "dissatisfied")
    assert submit_more(client, dossier, {"comment": "  "}).status_code == 303
    case = db.session.scalars(select(Case)).one()
    assert case.events == [] and case.serious is False and count(Outbox) == 1


def test_negative_details_on_step_two_open_a_serious_case_when_satisfied(client, make):
    make.user("principal", email="ht@school.test")
    dossier = returned_dossier(make)
    step_one(client, dossier, "satisfied")
    assert count(Case) == 0 and count(Outbox) == 0
    response = submit_more(client, dossier, {"extra_payment": "yes", "comment": "Phải nộp thêm"})
    assert response.status_code == 303
    case = db.session.scalars(select(Case)).one()
    assert case.serious is True and case.response_id == stored(dossier).id
    mail = db.session.scalars(select(Outbox)).one()
    assert mail.subject.startswith("[NGHIÊM TRỌNG] Phản ánh mới")
    assert "Phải nộp thêm" in mail.body and "60 phút" not in mail.body


def test_step_two_is_taken_once(client, make):
    make.user("principal", email="ht@school.test")
    dossier = returned_dossier(make)
    step_one(client, dossier, "dissatisfied")
    _html, token = open_more(client, dossier)
    data = {"reasons": "long_wait", "comment": "Lần một", "csrf_token": token}
    assert client.post(f"/s/{dossier.token}/more", data=data).status_code == 303
    again = client.post(
        f"/s/{dossier.token}/more",
        data={"reasons": "impolite", "comment": "Lần hai", "csrf_token": token},
    )
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert "Cảm ơn Ông/Bà" in html and "không được ghi nhận" in html
    assert "Lần một" not in html and "Lần hai" not in html
    row = stored(dossier)
    assert row.comment == "Lần một" and [a.value for a in row.answers] == ["long_wait"]
    assert count(Outbox) == 2  # the case's mail and the first step 2's, no third
    skip = client.post(f"/s/{dossier.token}/more", data={"skip": "1", "csrf_token": token})
    assert skip.status_code == 409
    # The link now shows the thank-you page (step 2) and the answered page (step 1).
    closed = client.get(f"/s/{dossier.token}/more")
    assert closed.status_code == 303 and closed.headers["Location"].endswith("/thanks")
    assert client.get(f"/s/{dossier.token}").status_code == 409


def test_step_two_after_its_window_is_refused(client, make):
    from survey_app.dated_rules import set_rule

    dossier = returned_dossier(make)
    step_one(client, dossier, "satisfied")
    _html, token = open_more(client, dossier)
    row = stored(dossier)
    row.submitted_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    late = client.post(f"/s/{dossier.token}/more", data={"comment": "Muộn", "csrf_token": token})
    assert late.status_code == 409 and "không được ghi nhận" in late.get_data(as_text=True)
    assert stored(dossier).comment is None and stored(dossier).details_at is None
    assert client.get(f"/s/{dossier.token}/more").status_code == 303
    # The window is a dated rule: a school that gives two hours takes it.
    set_rule("survey_step2_minutes", 120, local_now().date() - timedelta(days=1), None)
    db.session.commit()
    ok = client.post(f"/s/{dossier.token}/more", data={"comment": "Kịp", "csrf_token": token})
    assert ok.status_code == 303 and stored(dossier).comment == "Kịp"


def test_step_two_is_for_the_parents_link_only(client, make):
    dossier = returned_dossier(make)
    # Before step 1: back to step 1. Unknown token: 404.
    before = client.get(f"/s/{dossier.token}/more")
    assert before.status_code == 303 and before.headers["Location"] == f"/s/{dossier.token}"
    assert client.get("/s/" + "C" * 32 + "/more").status_code == 404
    assert client.post("/s/" + "C" * 32 + "/more", data={"skip": "1"}).status_code == 404
    # A paper form has no step 2 on the link.
    make.response(dossier, channel="paper", overall="dissatisfied")
    assert client.get(f"/s/{dossier.token}/more").status_code == 303
    refused = client.post(f"/s/{dossier.token}/more", data={"comment": "x"})
    assert refused.status_code == 409 and stored(dossier).comment is None


def test_thanks_and_answered_pages_tell_nothing_of_the_answer(client, make):
    """A clerk holding the link sees the same pages after a complaint and after praise."""
    make.user("principal", email="ht@school.test")
    happy, unhappy = returned_dossier(make), returned_dossier(make)
    step_one(client, happy, "very_satisfied")
    submit_more(client, happy, {"skip": "1"})
    step_one(client, unhappy, "dissatisfied")
    submit_more(client, unhappy, {"reasons": "impolite", "phone": "0912345678", "consent": "y"})

    def strip(response, dossier):
        html = response.get_data(as_text=True).replace(dossier.token, "TOKEN")
        return re.sub(r'nonce="[^"]+"', "", html)

    for suffix, status in (("/thanks", 200), ("", 409)):
        pages = [client.get(f"/s/{d.token}{suffix}") for d in (happy, unhappy)]
        assert [p.status_code for p in pages] == [status, status]
        assert strip(pages[0], happy) == strip(pages[1], unhappy)
        assert "chính đường dẫn này" in strip(pages[0], happy)
        assert "0912345678" not in strip(pages[1], unhappy)


def test_second_submit_is_409_and_one_row(client, make):
    dossier = returned_dossier(make)
    html, token = open_form(client, dossier)
    first = client.post(f"/s/{dossier.token}", data={"overall": "satisfied", "csrf_token": token})
    second = client.post(f"/s/{dossier.token}", data={"overall": "satisfied", "csrf_token": token})
    assert first.status_code == 303
    assert second.status_code == 409
    assert "đã gửi ý kiến" in second.get_data(as_text=True)
    assert client.get(f"/s/{dossier.token}").status_code == 409
    assert count(Response) == 1


def test_answered_then_expired_still_says_thank_you(client, make):
    dossier = returned_dossier(make)
    make.response(dossier, overall="satisfied")
    dossier.token_expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert client.get(f"/s/{dossier.token}").status_code == 409


def test_channel_code_comes_from_the_short_code_entry_only(client, make):
    by_code = returned_dossier(make)
    assert submit(client, by_code, {"overall": "satisfied"}, query="?via=code").status_code == 303
    assert stored(by_code).channel.value == "code"
    forged = returned_dossier(make)
    for query in ("?via=paper", "?via=kiosk", "?channel=paper"):
        html, _token = open_form(client, forged, query)
        assert 'action="/s/' in html and "paper" not in html.split('action="')[1].split('"')[0]
    assert submit(client, forged, {"overall": "satisfied"}, query="?via=kiosk").status_code == 303
    assert stored(forged).channel.value == "qr"


def test_phone_rules(client, make):
    cases = [
        ({"phone": "0901234567"}, "đánh dấu ô đồng ý"),  # no consent
        ({"phone": "0123456789", "consent": "y"}, "Số điện thoại chưa đúng"),
        ({"phone": "09012345", "consent": "y"}, "Số điện thoại chưa đúng"),
        ({"phone": "+1 202 555 0100", "consent": "y"}, "Số điện thoại chưa đúng"),
    ]
    dossier = returned_dossier(make)
    step_one(client, dossier, "dissatisfied")
    for extra, message in cases:
        response = submit_more(client, dossier, extra)
        assert response.status_code == 400, extra
        assert message in response.get_data(as_text=True)
    assert stored(dossier).details_at is None
    # Consent without a phone stores no consent.
    assert submit_more(client, dossier, {"consent": "y"}).status_code == 303
    assert stored(dossier).contact_consent is False


def test_thanks_for_an_unanswered_link_goes_back_to_the_form(client, make):
    dossier = returned_dossier(make)
    response = client.get(f"/s/{dossier.token}/thanks")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{dossier.token}"
    assert client.get("/s/" + "B" * 32 + "/thanks").status_code == 404


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fg: str, bg: str) -> float:
    high, low = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_meet_wcag_aa():
    from pathlib import Path

    css = "".join(
        (Path(__file__).parent.parent / "templates" / "survey" / name).read_text()
        for name in ("_shell.css", "_form.css")
    )
    text_pairs = [
        ("#1a1a1a", "#ffffff"),  # body text
        ("#47525d", "#ffffff"),  # hints, sub-titles
        ("#0a4f8f", "#ffffff"),  # links
        ("#0a4f8f", "#eef1f4"),  # language switch on the top band
        ("#333333", "#eef1f4"),  # school name on the top band
        ("#ffffff", "#0a4f8f"),  # button
        ("#a4161a", "#ffffff"),  # errors
        ("#a4161a", "#fdf0f0"),  # error summary
        ("#0a4f8f", "#fdf0f0"),  # links in the error summary
        ("#1a1a1a", "#e3eefa"),  # a chosen answer
    ]
    for fg, bg in text_pairs:
        assert contrast(fg, bg) >= 4.5, (fg, bg, contrast(fg, bg))
    # Input and tile borders, focus ring: non-text contrast >= 3:1 (WCAG 1.4.11).
    for fg, bg in (("#6b7785", "#ffffff"), ("#0a4f8f", "#e3eefa"), ("#c77c00", "#ffffff")):
        assert contrast(fg, bg) >= 3, (fg, bg)
    used = set(re.findall(r"#[0-9a-f]{6}\b|#[0-9a-f]{3}\b", css))
    listed = {c for pair in text_pairs for c in pair} | {"#6b7785", "#c77c00", "#333", "#fff"}
    assert used - listed <= {"#d5dbe1"}  # decorative rules only


def test_the_database_constraint_decides_a_lost_race(client, make, monkeypatch):
    """Skip the friendly pre-check: the unique constraint alone must turn a race into 409."""
    from survey_app.survey import lookup

    dossier = returned_dossier(make)
    _html, token = open_form(client, dossier)
    make.response(dossier, overall="very_satisfied")
    monkeypatch.setattr(lookup, "answered_at_lookup", lambda d: False)
    response = client.post(
        f"/s/{dossier.token}", data={"overall": "dissatisfied", "csrf_token": token}
    )
    assert response.status_code == 409
    assert count(Response) == 1 and count(Case) == 0
    assert stored(dossier).overall.value == "very_satisfied"


def test_a_parents_answer_is_nobodys_even_from_a_staff_browser(client, make, auth):
    """The audit row of a survey answer names no user, even if a clerk's session sent it."""
    dossier = returned_dossier(make)
    auth.login("clerk")
    response = submit(client, dossier, {"overall": "satisfied"})
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.scalars(select(Audit).where(Audit.action == "survey_answered")).one()
    assert row.user_id is None
    assert row.school_id == dossier.school_id
    assert row.entity_id == stored(dossier).id


def test_a_refused_form_keeps_its_answers_and_a_blank_one_shows_none(client, make):
    """One parent's answers or errors never reach another parent's blank form."""
    first, second = returned_dossier(make), returned_dossier(make)
    step_one(client, first, "satisfied")
    step_one(client, second, "very_satisfied")
    blank = open_more(client, first)[0]
    refused = submit_more(client, first, {"visits": "1", "comment": "x" * 2001})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="1"|value="1"[^>]*checked', html)
    assert 'class="err"' in html
    again = open_more(client, second)[0]
    assert not re.search(r"<input[^>]*checked", again) and 'class="err"' not in again
    assert again.count('type="radio"') == blank.count('type="radio"') == 16
    english = client.get(f"/s/{second.token}/more?lang=en").get_data(as_text=True)
    assert "Very satisfied" in english and "Rất hài lòng" not in english.split("<form", 1)[1]
    # Step 1's blank form has its three choices, not step 2's questions.
    third = returned_dossier(make)
    assert open_form(client, third)[0].count('type="radio"') == 3
