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


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def stored(dossier) -> Response | None:
    db.session.expire_all()
    return db.session.scalars(select(Response).where(Response.dossier_id == dossier.id)).first()


# --- GET: the page for each state of the dossier ---------------------------------------


def test_form_page_shape_and_budget(client, make):
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
    assert "Thêm chi tiết (không bắt buộc)" in html
    assert "Nếu chưa hài lòng, vì sao?" in html
    assert 'name="comment"' in html and 'maxlength="2000"' in html
    assert "91/2025/QH15" in html
    # Labels tied to inputs, fieldsets with legends.
    ids = set(re.findall(r'<input[^>]* id="([^"]+)"', html)) - {"csrf_token"}
    assert ids and all(f'for="{i}"' in html for i in ids)
    assert html.count("<fieldset") == html.count("<legend>") + html.count("<legend ") >= 8
    # Consent never pre-ticked; nothing else pre-selected.
    assert not re.search(r"<input[^>]*checked", html)
    # One request: inline CSS with the CSP nonce, no script, no stylesheet, no external URL.
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    assert "<script" not in html and 'rel="stylesheet"' not in html and "<img" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert '<link rel="icon" href="data:,">' in html
    # Budget: <= 20 KB raw, <= 14 KB gzipped.
    assert len(page.data) <= 20 * 1024
    assert len(gzip.compress(page.data)) <= 14 * 1024
    assert page.headers["Cache-Control"] == "no-store"


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


def test_valid_answer_is_stored_and_redirects_to_thanks(client, make):
    dossier = returned_dossier(make)
    response = submit(
        client,
        dossier,
        {**FULL, "reasons": ["long_wait"], "phone": "+84 912 345 678", "consent": "y"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{dossier.token}/thanks"
    row = stored(dossier)
    assert row.channel.value == "qr"
    assert row.overall.value == "satisfied"
    assert row.comment == FULL["comment"]
    assert row.contact_consent is True and row.contact_phone == "0912345678"
    assert row.entered_by_id is None and row.questions_version
    answers = {(a.question_code, a.value) for a in row.answers}
    assert ("visits", "1") in answers and ("reasons", "long_wait") in answers
    assert len(answers) == 7
    # Satisfied with no negative detail: no case.
    assert count(Case) == 0
    # The audit trail records the answer; no IP address is stored anywhere.
    audit_rows = db.session.scalars(select(Audit).where(Audit.action == "survey_answered")).all()
    assert len(audit_rows) == 1 and audit_rows[0].user_id is None
    for model in (Response, Answer, Audit):
        for obj in db.session.scalars(select(model)):
            values = [str(getattr(obj, c.name)) for c in model.__table__.columns]
            assert not any("203.0.113.77" in v for v in values)
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "Cảm ơn Ông/Bà" in thanks.get_data(as_text=True)


def test_only_overall_is_required(client, make):
    dossier = returned_dossier(make)
    assert submit(client, dossier, {"overall": "very_satisfied"}).status_code == 303
    row = stored(dossier)
    assert row.answers == [] and row.comment is None and row.contact_phone is None


def test_missing_overall_is_400_and_keeps_the_other_answers(client, make):
    dossier = returned_dossier(make)
    data = {k: v for k, v in FULL.items() if k != "overall"}
    response = submit(client, dossier, {**data, "reasons": ["impolite", "long_wait"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vui lòng chọn mức độ hài lòng chung" in html
    assert "Cán bộ hướng dẫn rất tận tình." in html
    assert re.search(r'id="visits-1"[^>]*checked|checked[^>]*id="visits-1"', html)
    assert re.search(r'id="reasons-3"[^>]*checked', html)
    assert re.search(r'id="reasons-6"[^>]*checked', html)
    assert count(Response) == 0


def test_dissatisfied_opens_a_case_and_mail_in_the_same_transaction(client, make):
    make.user("principal", username="hieutruong", email="ht@school.test")
    dossier = returned_dossier(make)
    response = submit(client, dossier, {"overall": "dissatisfied", "reasons": ["long_wait"]})
    assert response.status_code == 303
    assert count(Response) == 1 and count(Case) == 1
    assert db.session.scalars(select(Outbox.recipient)).all() == ["ht@school.test"]


def test_serious_detail_opens_a_case_even_when_satisfied(client, make):
    dossier = returned_dossier(make)
    assert submit(client, dossier, {**FULL, "extra_payment": "yes"}).status_code == 303
    case = db.session.scalars(select(Case)).one()
    assert case.serious is True


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
        ({"phone": "0901234567"}, 400, "đánh dấu ô đồng ý"),  # no consent
        ({"phone": "0123456789", "consent": "y"}, 400, "Số điện thoại chưa đúng"),
        ({"phone": "09012345", "consent": "y"}, 400, "Số điện thoại chưa đúng"),
        ({"phone": "+1 202 555 0100", "consent": "y"}, 400, "Số điện thoại chưa đúng"),
    ]
    for extra, status, message in cases:
        dossier = returned_dossier(make)
        response = submit(client, dossier, {"overall": "satisfied", **extra})
        assert response.status_code == status, extra
        assert message in response.get_data(as_text=True)
    assert count(Response) == 0
    # Consent without a phone stores no consent.
    dossier = returned_dossier(make)
    assert submit(client, dossier, {"overall": "satisfied", "consent": "y"}).status_code == 303
    assert stored(dossier).contact_consent is False


def test_thanks_for_an_unanswered_link_goes_back_to_the_form(client, make):
    dossier = returned_dossier(make)
    response = client.get(f"/s/{dossier.token}/thanks")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{dossier.token}"
    assert client.get("/s/" + "B" * 32 + "/thanks").status_code == 404


def test_fault_hook_sleep_is_harmless(client, make, monkeypatch):
    monkeypatch.setenv("HL_FAULT_SUBMIT_SLEEP", "0.01")
    dossier = returned_dossier(make)
    assert submit(client, dossier, {"overall": "satisfied"}).status_code == 303
    assert count(Response) == 1


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


def test_the_blank_form_is_rendered_once_and_a_refused_one_keeps_its_answers(client, make):
    """The cached questions of a blank form never leak a parent's answers or errors."""
    first, second = returned_dossier(make), returned_dossier(make)
    blank = open_form(client, first)[0]
    refused = submit(client, first, {"overall": "dissatisfied", "comment": "x" * 2001})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*value="dissatisfied"|value="dissatisfied"[^>]*checked', html
    )
    assert 'class="err"' in html
    again = open_form(client, second)[0]
    assert not re.search(r"<input[^>]*checked", again) and 'class="err"' not in again
    assert again.count('type="radio"') == blank.count('type="radio"')
    english = client.get(f"/s/{second.token}?lang=en").get_data(as_text=True)
    assert "Very satisfied" in english and "Rất hài lòng" not in english.split("<form", 1)[1]
