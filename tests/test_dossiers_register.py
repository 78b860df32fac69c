"""Who may open what, and the register's filters, search, order and pages."""

import re
from datetime import date, datetime, timedelta

import pytest

from survey_app.dossiers.intake import request_supplement
from survey_app.dossiers.models import CalendarDay, DayKind
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.timeutil import local_today, to_local, utcnow
from tests.conftest import csrf_token_from

PRINCIPAL_ONLY = {
    "dossiers.import_csv",
    "dossiers.new_procedure",
    "dossiers.edit_procedure",
    "dossiers.add_calendar_day",
    "dossiers.delete_calendar_day",
}


def _dossier_routes(app, values):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("dossiers."):
            url = rule.build({arg: values[arg] for arg in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url


@pytest.fixture
def route_values(make):
    school = make.school()
    dossier = make.dossier()
    day = CalendarDay(school_id=school.id, day=date(2030, 1, 7), kind=DayKind.OFF)
    db.session.add(day)
    notice = request_supplement(make.dossier(), papers="Ảnh 3x4.")  # on another dossier
    db.session.commit()
    return {
        "code": dossier.code,
        "procedure_id": dossier.procedure_id,
        "day_id": day.id,
        "notice_id": notice.id,
    }


def test_office_gets_403_on_every_dossier_route(app, client, auth, route_values):
    auth.login("office")
    token = csrf_token_from(client.get("/", follow_redirects=True).get_data(as_text=True))
    routes = list(_dossier_routes(app, route_values))
    assert len(routes) >= 20
    for endpoint, method, url in routes:
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (endpoint, method, url, response.status_code)
    assert db.session.get(CalendarDay, route_values["day_id"]) is not None


def test_clerk_opens_the_desk_pages_but_not_the_principals(app, client, auth, route_values):
    auth.login("clerk")
    token = csrf_token_from(client.get("/dossiers").get_data(as_text=True))
    for endpoint, method, url in _dossier_routes(app, route_values):
        if method == "GET":
            response = client.get(url)
            expected = {403} if endpoint in PRINCIPAL_ONLY else {200, 303, 404}
        elif endpoint in PRINCIPAL_ONLY:
            response = client.post(url, data={"csrf_token": token})
            expected = {403}
        else:
            continue  # the clerk's POSTs are exercised in test_dossiers.py
        assert response.status_code in expected, (endpoint, url, response.status_code)
    db.session.expire_all()
    assert db.session.get(CalendarDay, route_values["day_id"]) is not None


def test_principal_opens_every_page(app, client, auth, route_values):
    auth.login("principal")
    for endpoint, method, url in _dossier_routes(app, route_values):
        if method == "GET":
            assert client.get(url).status_code in (200, 303, 404), (endpoint, url)


# --- the register ------------------------------------------------------------------


def _codes(html: str) -> list[str]:
    return re.findall(r'<a href="/dossiers/([^"/]+)">', html)


@pytest.fixture
def states(make):
    """One dossier in each state, due dates relative to today."""
    today = local_today()
    cal = WorkCalendar(make.school().id)
    now = to_local(utcnow()).replace(tzinfo=None)
    long_ago = now - timedelta(days=40)
    other_proc = make.procedure(code="HO-TRO-CPHT")
    rows = {
        "late": make.dossier(
            code="S-LATE",
            received_at=long_ago,
            returned_at=long_ago + timedelta(days=20),
            student_name="Phạm Trễ",
        ),
        "on_time": make.dossier(code="S-ONTIME", received_at=long_ago, returned_at=long_ago),
        "overdue": make.dossier(code="S-OVERDUE", received_at=long_ago, student_name="Võ Quá"),
        "at_risk": make.dossier(
            code="S-RISK",
            received_at=now - timedelta(hours=1),
            due_date=max(cal.next_working_day(today), cal.receipt_day(utcnow())),
            procedure=other_proc,
        ),
        "later": make.dossier(
            code="S-LATER",
            received_at=now - timedelta(hours=1),
            due_date=cal.add_working_days(today, 10),
        ),
        "withdrawn": make.dossier(code="S-WITHDRAWN", received_at=long_ago, status="withdrawn"),
        "jan2020": make.dossier(
            code="2020-000001",
            received_at=datetime(2020, 1, 31, 23, 30),  # local 31/01, UTC 31/01 16:30
            returned_at=datetime(2020, 2, 3, 9, 0),
            student_name="Đỗ Tháng Một",
        ),
        "feb2020": make.dossier(
            code="2020-000002",
            received_at=datetime(2020, 2, 1, 0, 30),  # local 01/02, UTC still 31/01
            returned_at=datetime(2020, 2, 4, 10, 0),
        ),
        # Due Tuesday 3/3; returned 00:30 local on 4/3, which is still 3/3 in UTC: late.
        "late_tz": make.dossier(
            code="2020-000003",
            received_at=datetime(2020, 3, 2, 9, 0),
            returned_at=datetime(2020, 3, 4, 0, 30),
        ),
    }
    assert rows["late_tz"].due_date == date(2020, 3, 3)
    return rows


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=late", {"S-LATE", "2020-000003"}),
        ("state=overdue", {"S-OVERDUE"}),
        ("state=at_risk", {"S-RISK"}),
        ("status=withdrawn", {"S-WITHDRAWN"}),
        ("status=returned", {"S-LATE", "S-ONTIME", "2020-000001", "2020-000002", "2020-000003"}),
        ("month=2020-01", {"2020-000001"}),
        ("month=2020-02", {"2020-000002"}),
        ("q=2020-00000", {"2020-000001", "2020-000002", "2020-000003"}),
        ("month=2020-03&state=late", {"2020-000003"}),
        ("q=Võ", {"S-OVERDUE"}),
        ("q=tháng", {"2020-000001"}),
        ("q=100%25", set()),
        ("status=returned&state=late", {"S-LATE", "2020-000003"}),
    ],
)
def test_register_filters(client, auth, states, query, expected):
    auth.login("clerk")
    response = client.get(f"/dossiers?{query}")
    assert response.status_code == 200
    assert set(_codes(response.get_data(as_text=True))) == expected


def test_register_filter_by_procedure(client, auth, states):
    auth.login("clerk")
    proc_id = states["at_risk"].procedure_id
    html = client.get(f"/dossiers?procedure={proc_id}").get_data(as_text=True)
    assert _codes(html) == ["S-RISK"]


def test_register_opens_on_what_needs_action_nearest_due_first(client, auth, states):
    auth.login("clerk")
    html = client.get("/dossiers").get_data(as_text=True)
    # in progress only, the overdue one first, then at risk, then later
    assert _codes(html) == ["S-OVERDUE", "S-RISK", "S-LATER"]
    assert 'class="row-overdue"' in html and 'class="row-at-risk"' in html
    assert "Quá hạn" in html and "Sắp đến hạn" in html
    assert '<option value="received" selected>' in html


def test_register_all_statuses_newest_first_and_marks_states(client, auth, states):
    auth.login("clerk")
    html = client.get("/dossiers?status=all").get_data(as_text=True)
    codes = _codes(html)
    by_code = {d.code: d for d in states.values()}
    received = [by_code[c].received_at for c in codes]
    assert received == sorted(received, reverse=True) and len(codes) == len(states)
    for label in ("Quá hạn", "Sắp đến hạn", "Đã trả trễ hạn", "Đã trả đúng hạn", "Đã rút"):
        assert label in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("khoi", {"K-1"}),  # no diacritics, lower case: "Lê Minh Khôi"
        ("KHÔI", {"K-1"}),
        ("do thi", {"K-2"}),  # đ typed as d: "Đỗ Thị Hằng" (the parent)
        ("Đỗ", {"K-2"}),
        ("0912 345 678", {"K-1"}),  # the phone as printed
        ("0912345678", {"K-1"}),
        ("091.234.5678", {"K-1"}),
        ("9a2", {"K-2"}),  # the class
        ("k-1", {"K-1"}),  # the tracking code, any case
        ("nguyen", {"K-1", "K-2"}),
        ("khoi | do", set()),  # never across two fields
    ],
)
def test_register_search_folds_diacritics_and_case(client, auth, make, q, expected):
    make.dossier(
        code="K-1",
        student_name="Lê Minh Khôi",
        applicant_name="Nguyễn Văn Bình",
        applicant_phone="0912 345 678",
        student_class="7A1",
    )
    make.dossier(
        code="K-2",
        student_name="Nguyễn Thị Lan",
        applicant_name="Đỗ Thị Hằng",
        applicant_phone="0987000111",
        student_class="9A2",
    )
    auth.login("clerk")
    response = client.get("/dossiers", query_string={"q": q})
    assert response.status_code == 200
    assert set(_codes(response.get_data(as_text=True))) == expected


def test_register_search_finds_the_short_code_as_printed(client, auth, make):
    dossier = make.dossier(code="K-9")
    make.dossier(code="K-10")
    auth.login("clerk")
    for typed in (dossier.short_code.lower(), dossier.short_code_display):
        html = client.get("/dossiers", query_string={"q": typed}).get_data(as_text=True)
        assert _codes(html) == ["K-9"], typed


def test_search_text_follows_an_edit(app, make):
    dossier = make.dossier(student_name="Trần Bé")
    assert "tran be" in dossier.search_text
    dossier.student_name = "Phạm Thị Ngọc Ánh"
    db.session.commit()
    assert "pham thi ngoc anh" in dossier.search_text and "tran be" not in dossier.search_text


@pytest.mark.parametrize(
    "query", ["month=2020-13", "month=01-2020", "state=soon", "status=lost", "procedure=x"]
)
def test_register_rejects_bad_filters_with_400(client, auth, query):
    auth.login("clerk")
    response = client.get(f"/dossiers?{query}")
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)


def test_register_pages_by_fifty_with_numbered_pages_and_filters_kept(client, auth, make):
    auth.login("clerk")
    received = to_local(utcnow()).replace(tzinfo=None) - timedelta(days=2)
    for i in range(51):
        make.dossier(code=f"P-{i:03d}", received_at=received, student_name="Lê Khôi")
    first = client.get("/dossiers").get_data(as_text=True)
    second = client.get("/dossiers?page=2").get_data(as_text=True)
    assert len(_codes(first)) == 50 and len(_codes(second)) == 1
    assert "Trang 1/2" in first and "page=2" in first
    assert re.search(r'<a aria-current="page" href="[^"]*page=1[^"]*">1</a>', first)
    assert re.search(r'<a aria-current="page" href="[^"]*page=2[^"]*">2</a>', second)
    assert "Trang đầu" in second and "Trang cuối" in first
    filtered = client.get("/dossiers?q=khoi&status=received").get_data(as_text=True)
    links = re.findall(r'href="(/dossiers\?[^"]*page=2[^"]*)"', filtered)
    assert links and all("q=khoi" in x and "status=received" in x for x in links)
    assert client.get("/dossiers?page=9").status_code == 200


def test_register_shows_only_the_users_school(client, auth, make):
    other = make.school(code="OTHER", name="Trường khác")
    make.dossier(school=other, code="FOREIGN-1")
    make.dossier(code="MINE-1")
    auth.login("principal")
    assert _codes(client.get("/dossiers").get_data(as_text=True)) == ["MINE-1"]
