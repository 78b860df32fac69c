"""The principal's inbox, the case page and its actions, suggestions, and who may see them."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from survey_app.audit import Audit
from survey_app.cases.models import Case, CaseEvent, CaseStatus, EventKind, RootCause
from survey_app.cases.routing import route_response
from survey_app.extensions import db
from survey_app.timeutil import local_today
from tests.conftest import csrf_token_from

XSS = '<img src=x onerror=alert(1)> "quoted" {{7*7}}'


def open_case(make, overall="dissatisfied", details=None, comment=None, school=None, **kw):
    """A returned dossier, its response, and the case routing opens for it."""
    dossier_kw = kw.pop("dossier", {})
    dossier = make.dossier(
        school=school,
        received_at=dossier_kw.pop("received_at", datetime(2025, 9, 1, 9, 0)),
        returned_at=dossier_kw.pop("returned_at", datetime(2025, 9, 5, 10, 0)),
        **dossier_kw,
    )
    response = make.response(dossier, overall=overall, details=details, comment=comment, **kw)
    case = route_response(response, details or {})
    db.session.commit()
    return case


def _post(client, url, data, page_url=None):
    page = client.get(page_url or url.rsplit("/", 1)[0])
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=data)


def test_inbox_row_shows_the_case_with_the_comment_escaped(client, auth, make):
    principal = auth.login("principal")
    case = open_case(
        make, details={"visits": "2+", "extra_payment": "yes"}, comment=XSS, school=principal.school
    )
    html = client.get("/cases").get_data(as_text=True)
    assert case.response.dossier.code in html
    assert case.response.dossier.procedure.name in html
    assert "Không hài lòng" in html
    assert "Số lần đi lại: <strong>2 lần trở lên</strong>" in html
    assert "Nghiêm trọng" in html
    assert "&lt;img src=x onerror=alert(1)&gt; &#34;quoted&#34; {{7*7}}" in html
    # Not evaluated as a template: a bare "49" could be any id or hex digits on the page.
    assert "<img src=x" not in html and "&#34;quoted&#34; 49" not in html


def _case_in(make, school, status, **kw):
    case = open_case(make, school=school, **kw)
    case.status = status
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.resolution, case.root_cause = "Đã xử lý", RootCause.OTHER
    db.session.commit()
    return case


def test_inbox_filters_and_counts(client, auth, make):
    school = auth.login("principal").school
    fresh = _case_in(make, school, CaseStatus.OPEN)
    working = _case_in(make, school, CaseStatus.IN_PROGRESS)
    late = _case_in(make, school, CaseStatus.OPEN)
    late.due_date = local_today() - timedelta(days=1)
    serious = _case_in(make, school, CaseStatus.IN_PROGRESS, details={"extra_payment": "yes"})
    done = _case_in(make, school, CaseStatus.RESOLVED)
    closed = _case_in(make, school, CaseStatus.CLOSED)
    # Resolved after the deadline is not overdue.
    done.due_date = local_today() - timedelta(days=3)
    other = _case_in(make, make.school("OTHER", "Trường khác"), CaseStatus.OPEN)
    db.session.commit()
    code = {c.id: c.response.dossier.code for c in (fresh, working, late, serious, done, closed)}
    expected = {
        "open": {fresh.id, late.id},
        "in_progress": {working.id, serious.id},
        "overdue": {late.id},
        "serious": {serious.id},
        "resolved": {done.id, closed.id},
        "all": set(code),
    }
    other_code = other.response.dossier.code
    for tab, ids in expected.items():
        html = client.get(f"/cases?f={tab}").get_data(as_text=True)
        shown = {cid for cid, c in code.items() if f">{c}</a>" in html}
        assert shown == ids, tab
        assert other_code not in html
        assert re.search(f'tab-{tab}[^"]*" aria-current="page"', html), tab
    html = client.get("/cases?f=all").get_data(as_text=True)
    for tab, ids in expected.items():
        assert f'f={tab}" class="tab tab-{tab}' in html
        assert f'<span class="count">{len(ids)}</span>' in html
    assert 'class="row-overdue' in client.get("/cases?f=overdue").get_data(as_text=True)
    # The default tab shows every case, those still to work first, serious on top.
    html = client.get("/cases").get_data(as_text=True)
    at = {cid: html.index(f">{c}</a>") for cid, c in code.items()}
    assert at[serious.id] < at[late.id] < at[fresh.id] < at[done.id]
    assert max(at[c.id] for c in (fresh, working, late)) < min(at[done.id], at[closed.id])
    # Unknown filters and pages fall back instead of failing.
    assert client.get("/cases?f=<script>&page=abc").status_code == 200


def test_case_page_shows_response_dossier_and_phone_with_consent(client, auth, make):
    principal = auth.login("principal")
    clerk = make.user("clerk", username="vanthu")
    case = open_case(
        make,
        school=principal.school,
        details={"info_clear": "dissatisfied", "visits": "1"},
        reasons=["long_wait", "impolite"],
        comment="Dòng một\n" + XSS,
        contact_consent=True,
        contact_phone="0912345678",
        dossier={
            "received_at": datetime(2025, 9, 1, 9, 0),
            "returned_at": datetime(2025, 9, 30, 15, 0),
            "received_by": clerk,
        },
    )
    dossier = case.response.dossier
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Thông tin, hướng dẫn về thủ tục rõ ràng, dễ hiểu" in html
    assert "Chờ đợi lâu" in html and "Thái độ thiếu lịch sự, thiếu tận tình" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert 'href="tel:0912345678"' in html
    assert clerk.full_name in html
    assert "01/09/2025" in html and "30/09/2025" in html
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    assert "Trả trễ hạn" in html


def test_phone_not_shown_without_consent(client, auth, make):
    principal = auth.login("principal")
    case = open_case(make, school=principal.school, dossier={"applicant_phone": "0987654321"})
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "tel:" not in html and "0987654321" not in html
    assert "không để lại số điện thoại" in html


def test_work_a_case_to_resolved_and_closed(client, auth, make):
    principal = auth.login("principal")
    case = open_case(make, school=principal.school, comment="Phải đi lại ba lần")
    url = f"/cases/{case.id}"
    assert _post(client, f"{url}/note", {"text": "Đã hỏi cán bộ một cửa"}, url).status_code == 303
    response = _post(client, f"{url}/call", {"outcome": "reached", "notes": "Hẹn gặp"}, url)
    assert response.status_code == 303
    assert _post(client, f"{url}/status", {"action": "start"}, url).status_code == 303
    # Resolving needs both a text and a root cause.
    missing_cause = _post(client, f"{url}/resolve", {"resolution": "Đã xin lỗi"}, url)
    assert missing_cause.status_code == 400
    assert "Vui lòng chọn nguyên nhân" in missing_cause.get_data(as_text=True)
    missing_text = _post(client, f"{url}/resolve", {"resolution": "  ", "root_cause": "delay"}, url)
    assert missing_text.status_code == 400
    bad_cause = _post(client, f"{url}/resolve", {"resolution": "x", "root_cause": "boss"}, url)
    assert bad_cause.status_code == 400
    assert db.session.get(Case, case.id).status is CaseStatus.IN_PROGRESS
    resolved = _post(
        client,
        f"{url}/resolve",
        {"resolution": "Đã xin lỗi và rút kinh nghiệm", "root_cause": "delay"},
        url,
    )
    assert resolved.status_code == 303
    case = db.session.get(Case, case.id)
    assert case.status is CaseStatus.RESOLVED and case.root_cause is RootCause.DELAY
    assert case.resolution == "Đã xin lỗi và rút kinh nghiệm" and case.resolved_at
    assert _post(client, f"{url}/status", {"action": "close"}, url).status_code == 303
    case = db.session.get(Case, case.id)
    assert case.status is CaseStatus.CLOSED and case.closed_at
    kinds = [
        (e.kind, e.from_status, e.to_status, e.author_id)
        for e in db.session.scalars(select(CaseEvent).order_by(CaseEvent.id))
    ]
    me = principal.id
    assert kinds == [
        (EventKind.NOTE, None, None, me),
        (EventKind.CALL, None, None, me),
        (EventKind.STATUS, "open", "in_progress", me),
        (EventKind.STATUS, "in_progress", "resolved", me),
        (EventKind.STATUS, "resolved", "closed", me),
    ]
    actions = db.session.scalars(
        select(Audit.action).where(Audit.entity == "case", Audit.user_id == me).order_by(Audit.id)
    ).all()
    assert actions == ["case_note", "case_call", "case_start", "case_resolved", "case_close"]
    html = client.get(url).get_data(as_text=True)
    assert "Đã hỏi cán bộ một cửa" in html
    assert "Đã trao đổi với phụ huynh" in html and "Hẹn gặp" in html
    assert "Đang xử lý → Đã giải quyết" in html
    assert principal.full_name in html
    assert "Chậm trễ, trễ hẹn" in html
    # Reopen is allowed and gives a fresh deadline.
    assert (
        _post(client, f"{url}/status", {"action": "reopen", "text": "Chưa ổn"}, url).status_code
        == 303
    )
    case = db.session.get(Case, case.id)
    assert case.status is CaseStatus.OPEN and case.resolved_at is None
    assert case.due_date > local_today()


def test_refused_transitions_and_missing_csrf(client, auth, make):
    principal = auth.login("principal")
    case = open_case(make, school=principal.school)
    url = f"/cases/{case.id}"
    assert _post(client, f"{url}/status", {"action": "close"}, url).status_code == 409
    assert _post(client, f"{url}/status", {"action": "reopen"}, url).status_code == 409
    assert _post(client, f"{url}/status", {"action": "explode"}, url).status_code == 400
    assert _post(client, f"{url}/note", {"text": "a\x00b"}, url).status_code == 400
    assert _post(client, f"{url}/note", {"text": "x" * 4001}, url).status_code == 400
    assert _post(client, f"{url}/call", {"notes": "không chọn kết quả"}, url).status_code == 400
    assert _post(client, f"{url}/call", {"outcome": "hacked"}, url).status_code == 400
    no_token = client.post(f"{url}/note", data={"text": "forged"})
    assert no_token.status_code == 400
    assert db.session.get(Case, case.id).status is CaseStatus.OPEN
    assert db.session.scalars(select(CaseEvent)).all() == []


def test_another_schools_principal_gets_404(client, auth, make):
    theirs = open_case(make, school=make.school("OTHER", "Trường khác"), comment="bí mật")
    auth.login("principal")
    url = f"/cases/{theirs.id}"
    assert client.get(url).status_code == 404
    assert client.get("/cases/999999").status_code == 404
    home = client.get("/cases").get_data(as_text=True)
    assert "bí mật" not in home
    assert _post(client, f"{url}/note", {"text": "x"}, "/cases").status_code == 404
    assert _post(client, f"{url}/status", {"action": "start"}, "/cases").status_code == 404
    assert db.session.scalars(select(CaseEvent)).all() == []


CASE_ROUTES = [
    ("GET", "/cases"),
    ("GET", "/suggestions"),
    ("GET", "/cases/{id}"),
    ("POST", "/cases/{id}/note"),
    ("POST", "/cases/{id}/call"),
    ("POST", "/cases/{id}/resolve"),
    ("POST", "/cases/{id}/status"),
]


@pytest.mark.parametrize("role", ["clerk", "office"])
def test_clerk_and_office_are_refused_every_case_route(client, auth, make, role):
    school = make.school()
    case = open_case(make, school=school, comment="Cán bộ thiếu lịch sự")
    auth.login(role)
    token = csrf_token_from(client.get("/", follow_redirects=True).get_data(as_text=True))
    for method, url in CASE_ROUTES:
        response = client.open(
            url.format(id=case.id), method=method, data={"csrf_token": token, "text": "x"}
        )
        assert response.status_code == 403, (method, url)
        assert "Cán bộ thiếu lịch sự" not in response.get_data(as_text=True)
    summary = client.get("/cases/summary")
    assert summary.status_code == (200 if role == "office" else 403)
    html = summary.get_data(as_text=True)
    assert "Cán bộ thiếu lịch sự" not in html and case.response.dossier.code not in html


def test_office_summary_counts_every_school_without_personal_data(client, auth, make):
    here, there = make.school(), make.school("OTHER", "Trường Khác Xa")
    open_case(make, school=here, comment="riêng tư", dossier={"applicant_name": "Lê Thị Mẹ"})
    late = open_case(make, school=there, details={"extra_payment": "yes"})
    late.due_date = local_today() - timedelta(days=2)
    db.session.commit()
    auth.login("office")
    html = client.get("/cases/summary").get_data(as_text=True)
    assert here.name in html and "Trường Khác Xa" in html
    assert '<td class="num overdue" data-label="Quá hạn">1</td>' in html
    assert '<td class="num bad" data-label="Nghiêm trọng">1</td>' in html
    for private in ("riêng tư", "Lê Thị Mẹ", late.response.dossier.code):
        assert private not in html


def test_principal_summary_shows_only_their_school(client, auth, make):
    principal = auth.login("principal")
    open_case(make, school=principal.school)
    make.school("OTHER", "Trường Khác Xa")
    html = client.get("/cases/summary").get_data(as_text=True)
    assert principal.school.name in html and "Trường Khác Xa" not in html


def test_suggestions_list_comments_of_satisfied_answers_only(client, auth, make):
    school = auth.login("principal").school
    happy = make.dossier(school=school, returned_at=datetime(2025, 9, 5, 10, 0))
    make.response(happy, overall="very_satisfied", comment="Nên có ghế chờ " + XSS)
    silent = make.dossier(school=school, returned_at=datetime(2025, 9, 5, 10, 0))
    make.response(silent, overall="satisfied")
    open_case(make, school=school, comment="Không hài lòng chút nào")
    open_case(
        make, overall="satisfied", details={"visits": "2+"}, school=school, comment="Đi 3 lần"
    )
    elsewhere = make.dossier(school=make.school("OTHER", "Trường khác"))
    make.response(elsewhere, overall="satisfied", comment="Trường khác góp ý")
    html = client.get("/suggestions").get_data(as_text=True)
    assert "Nên có ghế chờ &lt;img src=x" in html and happy.code in html
    for absent in (silent.code, "Không hài lòng chút nào", "Đi 3 lần", "Trường khác góp ý"):
        assert absent not in html


def test_menu_links_by_role(client, auth, make):
    auth.login("principal")
    assert 'href="/cases"' in client.get("/cases").get_data(as_text=True)
    auth.logout()
    auth.login("clerk")
    assert 'href="/cases"' not in client.get("/", follow_redirects=True).get_data(as_text=True)
    auth.logout()
    auth.login("office")
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/cases/summary"' in home and 'href="/cases"' not in home


def test_timeline_dates_are_local(client, auth, make):
    principal = auth.login("principal")
    case = open_case(make, school=principal.school)
    event = CaseEvent(
        case_id=case.id,
        kind=EventKind.NOTE,
        author_id=principal.id,
        text="khuya",
        at=datetime(2025, 10, 2, 18, 30),  # 01:30 on 3 October in Ho Chi Minh City
    )
    db.session.add(event)
    db.session.commit()
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "01:30 03/10/2025" in html and "02/10/2025" not in html
