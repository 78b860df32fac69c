"""Administration on the web: the principal's clerks, the office's schools and principals,
temporary passwords changed at first login, and the login page's name."""

import re

import pytest
from sqlalchemy import func, select

from survey_app.audit import Audit
from survey_app.auth.models import Role, User
from survey_app.dossiers.models import Procedure
from survey_app.extensions import db
from survey_app.schools import School
from tests.conftest import PASSWORD, csrf_token_from


def _token(client, url="/users") -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _temporary(html: str) -> str:
    match = re.search(r'<output class="secret mono" id="temporary-password">([^<]+)</output>', html)
    assert match, html[:2000]
    return match.group(1)


def _login(client, username, password):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def _add_clerk(client, **kw):
    data = {"full_name": "Trần Thị Văn Thư", "username": "VanThu2", "email": "", **kw}
    return client.post("/users/new", data={**data, "csrf_token": _token(client)})


def test_principal_adds_a_clerk_who_must_change_the_password(app, client, auth, make):
    principal = auth.login("principal")
    response = _add_clerk(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = _temporary(response.get_data(as_text=True))
    clerk = db.session.scalars(select(User).where(User.username == "vanthu2")).one()
    assert clerk.role is Role.CLERK and clerk.school_id == principal.school_id
    assert clerk.must_change_password and password not in clerk.password_hash
    created = db.session.scalars(select(Audit).where(Audit.action == "create")).one()
    assert (created.entity, created.entity_id, created.user_id) == ("user", clerk.id, principal.id)

    other = app.test_client()
    first = _login(other, "vanthu2", password)
    assert first.status_code == 303 and first.headers["Location"] == "/account/password"
    # every page leads to the change first
    blocked = other.get("/dossiers")
    assert blocked.status_code == 303 and blocked.headers["Location"] == "/account/password"
    page = other.get("/account/password").get_data(as_text=True)
    assert "mật khẩu tạm" in page and 'name="current"' not in page
    token = csrf_token_from(page)
    same = other.post(
        "/account/password", data={"new": password, "confirm": password, "csrf_token": token}
    )
    assert same.status_code == 400 and "phải khác mật khẩu cũ" in same.get_data(as_text=True)
    short = other.post(
        "/account/password", data={"new": "ngan", "confirm": "ngan", "csrf_token": token}
    )
    assert short.status_code == 400
    assert "Mật khẩu cần từ 8 đến 256 ký tự." in short.get_data(as_text=True)
    new = "mot cau mat khau rieng"
    done = other.post("/account/password", data={"new": new, "confirm": new, "csrf_token": token})
    assert done.status_code == 303
    assert other.get("/dossiers").status_code == 200  # still signed in, free to work
    db.session.expire_all()
    assert not db.session.get(User, clerk.id).must_change_password
    assert _login(app.test_client(), "vanthu2", password).status_code == 401
    assert _login(app.test_client(), "vanthu2", new).headers["Location"] == "/dossiers"


def test_reset_deactivate_reactivate_a_clerk(app, client, auth, make):
    auth.login("principal")
    clerk = make.user("clerk", username="vanthu")
    token = _token(client)
    reset = client.post(f"/users/{clerk.id}/password", data={"csrf_token": token})
    assert reset.status_code == 200
    password = _temporary(reset.get_data(as_text=True))
    assert _login(app.test_client(), "vanthu", PASSWORD).status_code == 401
    assert _login(app.test_client(), "vanthu", password).headers["Location"] == "/account/password"

    off = client.post(f"/users/{clerk.id}/deactivate", data={"csrf_token": token})
    assert off.status_code == 303 and off.headers["Location"] == "/users"
    assert _login(app.test_client(), "vanthu", password).status_code == 401
    assert "Đã khoá" in client.get("/users").get_data(as_text=True)
    on = client.post(f"/users/{clerk.id}/activate", data={"csrf_token": token})
    assert on.status_code == 303
    assert _login(app.test_client(), "vanthu", password).status_code == 303
    actions = db.session.scalars(
        select(Audit.action).where(Audit.entity == "user", Audit.entity_id == clerk.id)
    ).all()
    assert {"password_reset", "deactivate", "activate"} <= set(actions)


def test_principal_manages_only_the_clerks_of_their_school(app, client, auth, make):
    other_school = make.school(code="OTHER", name="Trường khác")
    foreign_clerk = make.user("clerk", username="khac", school=other_school)
    fellow_principal = make.user("principal", username="hieupho")
    auth.login("principal")
    token = _token(client)
    for target in (foreign_clerk, fellow_principal):
        for action in ("password", "deactivate", "activate"):
            response = client.post(f"/users/{target.id}/{action}", data={"csrf_token": token})
            assert response.status_code == 404, (target.username, action)
    assert client.post("/users/999999/deactivate", data={"csrf_token": token}).status_code == 404
    page = client.get("/users").get_data(as_text=True)
    assert "khac" not in page and "hieupho" in page  # the fellow principal, without buttons
    db.session.expire_all()
    assert db.session.get(User, foreign_clerk.id).active
    changes = select(func.count()).where(Audit.entity == "user", Audit.action != "login")
    assert db.session.scalar(changes) == 0


@pytest.mark.parametrize("role", ["clerk", "office"])
def test_users_page_is_the_principals(client, auth, role):
    auth.login(role)
    assert client.get("/users").status_code == 403


def test_adding_a_clerk_refuses_bad_input_in_vietnamese(client, auth, make):
    make.user("clerk", username="vanthu")
    auth.login("principal")
    for data, message in (
        ({"username": "vanthu"}, "Tên đăng nhập này đã có người dùng."),
        ({"username": "VanThu"}, "Tên đăng nhập này đã có người dùng."),
        ({"username": "văn thư"}, "Chỉ dùng chữ cái không dấu, số và . _ -"),
        ({"username": "ab"}, "Phải có từ 3 đến 64 ký tự."),
        ({"full_name": ""}, "Vui lòng nhập mục này."),
        ({"email": "khong-phai-thu"}, "Địa chỉ thư điện tử không hợp lệ."),
    ):
        response = _add_clerk(client, **data)
        assert response.status_code == 400, data
        html = response.get_data(as_text=True)
        assert message in html and 'class="error-summary"' in html, data
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_office_creates_a_school_with_procedures_and_its_principal(app, client, auth, make):
    office = auth.login("office")
    token = _token(client, "/schools")
    data = {"school-code": "cb01", "school-name": "Trường THCS Chánh Hưng", "csrf_token": token}
    response = client.post("/schools/new", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/schools"
    school = db.session.scalars(select(School).where(School.code == "CB01")).one()
    count = select(func.count()).where(Procedure.school_id == school.id)
    assert db.session.scalar(count) >= 5  # the usual procedures, as `flask schools create`
    assert client.post("/schools/new", data=data).status_code == 400  # the code is taken

    made = client.post(
        "/schools/principals/new",
        data={
            "principal-school": "CB01",
            "principal-full_name": "Lê Văn Hiệu",
            "principal-username": "hieutruong.cb01",
            "csrf_token": token,
        },
    )
    assert made.status_code == 200
    password = _temporary(made.get_data(as_text=True))
    principal = db.session.scalars(select(User).where(User.username == "hieutruong.cb01")).one()
    assert principal.role is Role.PRINCIPAL and principal.school_id == school.id
    assert principal.must_change_password
    audits = db.session.scalars(select(Audit).where(Audit.user_id == office.id)).all()
    assert {(a.action, a.entity) for a in audits} >= {("create", "school"), ("create", "user")}
    assert _login(app.test_client(), "hieutruong.cb01", password).status_code == 303
    # the office resets and deactivates principals, not clerks
    clerk = make.user("clerk", username="vanthu", school=school)
    assert (
        client.post(f"/users/{clerk.id}/deactivate", data={"csrf_token": token}).status_code == 404
    )
    off = client.post(f"/users/{principal.id}/deactivate", data={"csrf_token": token})
    assert off.status_code == 303 and off.headers["Location"] == "/schools"
    missing = client.post(
        "/schools/principals/new",
        data={
            "principal-school": "",
            "principal-full_name": "",
            "principal-username": "x",
            "csrf_token": token,
        },
    )
    assert missing.status_code == 400
    assert "Vui lòng chọn trường." in missing.text  # a list is chosen from, not typed


@pytest.mark.parametrize("role", ["principal", "clerk"])
def test_schools_page_is_the_offices(client, auth, role):
    auth.login(role)
    assert client.get("/schools").status_code == 403
    token = _token(client, "/account/password")
    assert client.post("/schools/new", data={"csrf_token": token}).status_code == 403


def test_own_password_change_needs_the_current_one(app, client, auth):
    user = auth.login("clerk")
    token = _token(client, "/account/password")
    new = "mot cau mat khau rieng"
    wrong = client.post(
        "/account/password",
        data={"current": "sai", "new": new, "confirm": new, "csrf_token": token},
    )
    assert wrong.status_code == 400 and "Mật khẩu hiện tại không đúng." in wrong.get_data(
        as_text=True
    )
    mismatch = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": new, "confirm": new + "x", "csrf_token": token},
    )
    assert "Hai mật khẩu không khớp." in mismatch.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": new, "confirm": new, "csrf_token": token},
    )
    assert ok.status_code == 303
    assert _login(app.test_client(), user.username, new).status_code == 303


def test_login_page_names_the_desk(app, client, make):
    assert "Trường THCS" not in client.get("/login").get_data(as_text=True)  # no school yet
    make.school(name="Trường THCS Chánh Hưng")
    assert "Trường THCS Chánh Hưng" in client.get("/login").get_data(as_text=True)
    make.school(code="OTHER", name="Trường THCS Bình Đông")
    page = client.get("/login").get_data(as_text=True)
    assert "Chánh Hưng" not in page and "Bình Đông" not in page  # which one? neither
    app.config["DESK_NAME"] = "UBND phường Chánh Hưng"
    assert "UBND phường Chánh Hưng" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(("url", "code"), [("/dossiers/NO-SUCH", 404), ("/cases", 403)])
def test_error_pages_keep_the_menu_and_a_way_back(client, auth, url, code):
    auth.login("clerk")
    response = client.get(url)
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert 'href="/dossiers"' in html  # the clerk's menu
    assert "Về trang chính" in html and 'class="nav-menu"' in html


def test_anonymous_error_page_leads_to_the_code_form_or_the_login(client):
    survey = client.get("/s/not-a-token").get_data(as_text=True)
    assert "/s" in survey
    staff = client.get("/no-such-page")
    assert staff.status_code == 404
    assert 'href="/login"' in staff.get_data(as_text=True)
