"""Staff login: hashes, generic errors, rate limit, session lifecycle, next=."""

import time

import pytest

from survey_app.auth.models import User
from survey_app.extensions import db
from tests.conftest import PASSWORD, csrf_token_from


def _post_login(client, username, password, next_=None):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": token})


def test_password_is_argon2id(make):
    user = make.user("principal")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_owasp_parameters_outside_tests(app):
    from survey_app.auth import passwords

    app.config["ARGON2_FAST"] = False
    params = passwords.hash_password("x" * 12).split("$")[3]
    assert params == "m=19456,t=2,p=1"


def test_login_then_home_by_role(client, make):
    make.user("clerk", username="van")
    response = _post_login(client, "van", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/dossiers"


def test_same_message_for_unknown_user_and_wrong_password(client, make):
    make.user("principal", username="hieutruong")
    wrong = _post_login(client, "hieutruong", "wrong password")
    unknown = _post_login(client, "nobody", "wrong password")
    assert wrong.status_code == unknown.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_unknown_user_costs_a_hash(app, client, make):
    app.config["ARGON2_FAST"] = False
    make.user("principal", username="hieutruong")
    _post_login(client, "nobody", "x")  # warm the dummy hash

    def timed(username):
        start = time.perf_counter()
        _post_login(client, username, "wrong password")
        return time.perf_counter() - start

    known = min(timed("hieutruong") for _ in range(2))
    unknown = min(timed("nobody") for _ in range(2))
    assert unknown > known * 0.5  # both pay for an Argon2id verification


def test_login_without_csrf_is_400(client, make):
    make.user("principal", username="hieutruong")
    response = client.post("/login", data={"username": "hieutruong", "password": PASSWORD})
    assert response.status_code == 400
    assert "_user_id" not in (
        client.get_cookie("hl_session").value if client.get_cookie("hl_session") else ""
    )


@pytest.mark.parametrize("who", ["hieutruong", "nobody"])
def test_five_failures_a_minute_then_429(client, make, who):
    make.user("principal", username="hieutruong")
    codes = [_post_login(client, who, "wrong").status_code for _ in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    # Even the right password is refused while throttled.
    assert _post_login(client, "hieutruong", PASSWORD).status_code == 429


def test_per_user_limit_across_addresses(client, make):
    make.user("principal", username="hieutruong")
    for i in range(5):
        env = {"REMOTE_ADDR": f"10.0.0.{i + 1}"}
        token = csrf_token_from(client.get("/login", environ_base=env).get_data(as_text=True))
        client.post(
            "/login",
            data={"username": "hieutruong", "password": "bad", "csrf_token": token},
            environ_base=env,
        )
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"username": "hieutruong", "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/cases", "/cases"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
    ],
)
def test_next_only_internal_paths(client, make, target, expected):
    make.user("principal", username="hieutruong")
    response = _post_login(client, "hieutruong", PASSWORD, next_=target)
    assert response.headers["Location"] == expected


def test_session_changes_at_login(client, make):
    make.user("principal", username="hieutruong")
    client.get("/login")
    before = client.get_cookie("hl_session").value
    _post_login(client, "hieutruong", PASSWORD)
    after = client.get_cookie("hl_session").value
    assert before != after


def test_cookie_replayed_after_logout_is_refused(app, client, auth):
    auth.login("principal", username="hieutruong")
    assert client.get("/dashboard").status_code == 200
    stolen = client.get_cookie("hl_session").value
    assert auth.logout().status_code == 303
    thief = app.test_client()
    thief.set_cookie("hl_session", stolen)
    response = thief.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_requires_post_and_csrf(client, auth):
    auth.login("principal", username="hieutruong")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_inactive_user_cannot_log_in(client, make):
    user = make.user("clerk", username="nghiviec")
    user.active = False
    db.session.commit()
    assert _post_login(client, "nghiviec", PASSWORD).status_code == 401


def test_cli_create_user_with_piped_password(runner, make):
    make.school("THCS1")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "hieutruong",
            "--role",
            "principal",
            "--email",
            "ht@school.test",
            "--school",
            "THCS1",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(db.select(User).filter_by(username="hieutruong")).one()
    assert user.role.value == "principal" and user.school.code == "THCS1"
    assert PASSWORD not in result.output


def test_cli_district_alias_creates_office_user(runner):
    result = runner.invoke(
        args=["users", "create", "phong", "--role", "district"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(db.select(User).filter_by(username="phong")).one()
    assert user.role.value == "office" and user.school_id is None


def test_cli_refuses_mismatched_confirmation(runner, make):
    make.school()
    result = runner.invoke(
        args=["users", "create", "x", "--role", "clerk"],
        input="password-one\npassword-two\npassword-one\npassword-one\n",
    )
    assert "Error: The two entered values do not match." in result.output


def _audit_actions(user) -> list[str]:
    from survey_app.audit import Audit

    rows = db.session.scalars(db.select(Audit).filter_by(entity="user", entity_id=user.id))
    return [row.action for row in rows]


def test_cli_set_password_replaces_it_and_ends_open_sessions(app, client, runner, auth):
    user = auth.login("clerk", username="vanthu")
    assert client.get("/dossiers").status_code == 200
    new = "mat-khau-moi-2026"
    result = runner.invoke(args=["users", "set-password", "VanThu"], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert new not in result.output
    db.session.expire_all()
    assert client.get("/dossiers").status_code == 302  # the open session is gone
    assert _post_login(app.test_client(), "vanthu", PASSWORD).status_code == 401
    assert _post_login(app.test_client(), "vanthu", new).status_code == 303
    assert "password_set" in _audit_actions(user)


def test_cli_set_password_refuses_short_passwords_and_unknown_users(runner, make):
    user = make.user("clerk", username="vanthu")
    before = user.password_hash
    short = runner.invoke(args=["users", "set-password", "vanthu"], input="ngan\nngan\n")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    unknown = runner.invoke(
        args=["users", "set-password", "nobody"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert unknown.exit_code != 0 and "No user 'nobody'" in unknown.output
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before


def test_cli_deactivate_ends_sessions_and_login_until_activated(app, client, runner, auth):
    user = auth.login("clerk", username="nghiviec")
    assert client.get("/dossiers").status_code == 200
    result = runner.invoke(args=["users", "deactivate", "nghiviec"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert client.get("/dossiers").status_code == 302
    assert _post_login(app.test_client(), "nghiviec", PASSWORD).status_code == 401
    listed = runner.invoke(args=["users", "list"]).output
    assert "nghiviec\tclerk\tTEST\t0" in listed
    again = runner.invoke(args=["users", "deactivate", "nghiviec"])
    assert again.exit_code == 0 and "already inactive" in again.output
    result = runner.invoke(args=["users", "activate", "nghiviec"])
    assert result.exit_code == 0, result.output
    assert _post_login(app.test_client(), "nghiviec", PASSWORD).status_code == 303
    assert _audit_actions(user).count("deactivate") == 1
    assert _audit_actions(user).count("activate") == 1


def test_cli_deactivating_the_last_principal_warns(runner, make):
    school = make.school()
    make.user("principal", username="ht1", school=school)
    make.user("principal", username="ht2", school=school)
    first = runner.invoke(args=["users", "deactivate", "ht1"])
    assert first.exit_code == 0 and "no active principal" not in first.output
    last = runner.invoke(args=["users", "deactivate", "ht2"])
    assert last.exit_code == 0 and "no active principal left" in last.output
