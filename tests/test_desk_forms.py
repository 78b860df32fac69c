"""Staff forms answer in Vietnamese (WTForms' and Flask-WTF's own messages included), the
intake asks for a procedure, "Trả kết quả & in phiếu", the settings page, the search text."""

import re
from datetime import date, datetime, timedelta

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select

import survey_app
from survey_app import forms as base_forms
from survey_app.dated_rules import DEFAULTS, Rule, get_rule
from survey_app.dossiers.models import Dossier
from survey_app.dossiers.search import fold, search_text_of
from survey_app.extensions import db
from survey_app.timeutil import to_local, utcnow
from tests.conftest import csrf_token_from
from tests.test_cases import open_case

# The English the libraries would show: every message of the table, up to its first
# placeholder, and the words no Vietnamese message has.
ENGLISH = sorted(
    {m.split("%")[0].strip(" '") for m in base_forms.MESSAGES if len(m.split("%")[0]) > 8}
    | {"This field", "Not a valid", "Invalid", "CSRF", "characters long", "must be"}
)


def _staff_forms(make):
    """(role, page to GET for the token, URL to POST, a payload of bad values)."""
    dossier = make.dossier(received_at=to_local(utcnow()).replace(tzinfo=None) - timedelta(days=2))
    case = open_case(make, dossier={"code": "C-1"})
    proc = make.procedure()
    return [
        (
            "clerk",
            "/dossiers/new",
            "/dossiers/new",
            {
                "procedure": "abc",
                "student_name": "x" * 200,
                "applicant_phone": "gọi tôi",
                "intake_channel": "fax",
                "return_channel": "?",
                "student_class": "y" * 30,
            },
        ),
        (
            "clerk",
            f"/dossiers/{dossier.code}/return",
            f"/dossiers/{dossier.code}/return",
            {"returned_at": "hôm qua", "return_channel": "fax"},
        ),
        (
            "clerk",
            f"/dossiers/{dossier.code}/withdraw",
            f"/dossiers/{dossier.code}/withdraw",
            {"reason": "x" * 600},
        ),
        (
            "principal",
            "/procedures/new",
            "/procedures/new",
            {"code": "mã sai!", "name": "", "working_days": "-3", "online_level": "9"},
        ),
        (
            "principal",
            f"/procedures/{proc.id}/edit",
            f"/procedures/{proc.id}/edit",
            {"name": "x" * 400, "working_days": "nhiều", "online_level": "7"},
        ),
        ("principal", "/calendar", "/calendar/days", {"day": "32/13/2026", "kind": "holiday"}),
        ("principal", "/dossiers/import", "/dossiers/import", {}),
        ("principal", f"/cases/{case.id}", f"/cases/{case.id}/note", {"text": "x" * 5000}),
        ("principal", f"/cases/{case.id}", f"/cases/{case.id}/call", {"outcome": "bận"}),
        (
            "principal",
            f"/cases/{case.id}",
            f"/cases/{case.id}/resolve",
            {"resolution": "", "root_cause": "không rõ"},
        ),
        (
            "principal",
            "/settings",
            "/settings",
            {
                "coverage": "101",
                "satisfaction": "abc",
                "report_due_dates": "31/02",
                "office_hours": "25:99",
                "case_due_working_days": "-1",
                "token_valid_days": "x",
                "min_cell_n": "1000",
                "effective_from": "hôm nay",
            },
        ),
        (
            "principal",
            "/users",
            "/users/new",
            {"username": "a b", "full_name": "x" * 200, "email": "không-phải-thư"},
        ),
        (
            "office",
            "/schools",
            "/schools/new",
            {"school-code": "mã trường!", "school-name": "", "school-address": "x" * 400},
        ),
        (
            "office",
            "/schools",
            "/schools/principals/new",
            {"principal-school": "KHONG-CO", "principal-username": "?", "principal-email": "@"},
        ),
        (
            "clerk",
            "/account/password",
            "/account/password",
            {"current": "", "new": "ngan", "confirm": "khac"},
        ),
        (None, "/login", "/login", {"username": "x" * 100, "password": ""}),
    ]


def test_no_english_error_on_any_staff_form(app, make):
    checked = 0
    users = {}
    for role, page, url, bad in _staff_forms(make):
        client = app.test_client()
        if role:
            user = users.get(role) or make.user(role, username=f"{role}-forms")
            users[role] = user
            login = client.get("/login").get_data(as_text=True)
            client.post(
                "/login",
                data={
                    "username": user.username,
                    "password": "correct horse battery",
                    "csrf_token": csrf_token_from(login),
                },
            )
        token = csrf_token_from(client.get(page).get_data(as_text=True))
        for data in ({}, bad):
            response = client.post(url, data={**data, "csrf_token": token})
            html = response.get_data(as_text=True)
            assert response.status_code == 400, (url, data, response.status_code)
            assert re.search(r'class="error[" ]|class="error-summary"', html), (url, data)
            english = [e for e in ENGLISH if e in html]
            assert not english, (url, data, english)
            checked += 1
        # and an expired or forged CSRF token: the Vietnamese page, with a way back
        forged = client.post(url, data={**bad, "csrf_token": "x" + token[1:]})
        assert forged.status_code == 400
        assert not [e for e in ENGLISH if e in forged.get_data(as_text=True)], url
    assert checked == 2 * 16


def test_every_form_of_the_app_derives_from_the_base_form(app):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith(survey_app.__name__)]
    assert len(ours) > 15
    stray = [c.__qualname__ for c in ours if not issubclass(c, base_forms.Form)]
    assert stray == [], "derive these from survey_app.forms.Form: " + ", ".join(stray)


def test_english_ui_keeps_english_messages(client, auth):
    auth.login("clerk")
    token = csrf_token_from(client.get("/dossiers/new").get_data(as_text=True))
    html = client.post(
        "/dossiers/new?lang=en", data={"csrf_token": token, "student_name": ""}
    ).get_data(as_text=True)
    assert "Please choose a procedure." in html and "This field is required." in html
    assert "Vui lòng" not in html


def test_intake_has_no_preselected_procedure(client, auth):
    auth.login("clerk")
    html = client.get("/dossiers/new").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="procedure".*?</select>', html, re.S).group(0)
    assert '<option selected value="">— Chọn thủ tục —</option>' in select_html
    assert select_html.count("selected") == 1
    token = csrf_token_from(html)
    response = client.post(
        "/dossiers/new", data={"csrf_token": token, "student_name": "Lê Khôi", "procedure": ""}
    )
    assert response.status_code == 400
    assert "Vui lòng chọn thủ tục." in response.get_data(as_text=True)
    assert db.session.scalar(select(Dossier.id)) is None


def test_return_and_print_the_slip_in_one_step(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier(received_at=to_local(utcnow()).replace(tzinfo=None) - timedelta(days=1))
    page = client.get(f"/dossiers/{dossier.code}/return").get_data(as_text=True)
    assert re.search(r"name=\"then\" value=\"slip\">Trả kết quả (&amp;|&) in phiếu<", page)
    now = to_local(utcnow()).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/dossiers/{dossier.code}/return",
        data={
            "csrf_token": csrf_token_from(page),
            "returned_at": now,
            "return_channel": "counter",
            "then": "slip",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/dossiers/{dossier.code}/slip"
    db.session.refresh(dossier)
    assert dossier.status.value == "returned"
    assert client.get(response.headers["Location"]).status_code == 200


# --- settings: every dated rule, generically ----------------------------------------------


def test_settings_page_edits_every_rule_with_history(client, auth, make, monkeypatch):
    monkeypatch.setitem(DEFAULTS, "future.rule_count", 3)  # a key another change adds later
    principal = auth.login("principal")
    html = client.get("/settings").get_data(as_text=True)
    names = set(re.findall(r'name="shown" value="([^"]+)"', html))
    assert {
        "coverage",
        "report_due_dates",
        "office_hours",
        "min_cell_n",
        "future_rule_count",
    } <= names
    assert len(names) == len(DEFAULTS)
    form = {
        "csrf_token": csrf_token_from(html),
        "office_hours": "7:00 - 11:00, 13:30-17:00",
        "case_due_working_days": "7",
        "future_rule_count": "9",
        "min_cell_n": "5",  # unchanged: no new row
        "effective_from": "2026-01-05",
    }
    shown = ["office_hours", "case_due_working_days", "future_rule_count", "min_cell_n"]
    response = client.post("/settings", data={**form, "shown": shown})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    school_id = principal.school_id
    hours = [["07:00", "11:00"], ["13:30", "17:00"]]
    assert get_rule("office_hours", school_id, date(2026, 1, 5)) == hours
    assert get_rule("office_hours", school_id, date(2026, 1, 4)) == DEFAULTS["office_hours"]
    assert get_rule("case_due_working_days", school_id, date(2026, 2, 1)) == 7
    assert get_rule("future.rule_count", school_id, date(2026, 2, 1)) == 9
    assert len(db.session.scalars(select(Rule)).all()) == 3  # the changes only
    page = client.get("/settings").get_data(as_text=True)
    assert "05/01/2026" in page and "Giờ làm việc của bộ phận một cửa" in page
    assert "07:00–11:00, 13:30–17:00" in page and "future.rule_count" in page


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("office_hours", "07:30-25:00", "Nhập giờ dạng HH:MM, ví dụ 16:30."),
        ("office_hours", "13:30-17:00, 07:30-11:30", "Các buổi phải theo thứ tự trong ngày"),
        ("report_months", "3, 6, 13", "Các số tháng từ 1 đến 12, tăng dần."),
        ("report_cutoff", "quarter", "Lựa chọn không hợp lệ."),
        ("min_cell_n", "0", "Nhập một số nguyên từ 1 đến 100."),
        ("token_valid_days", "ba mươi", "Nhập một số nguyên từ 1 đến 365."),
        ("coverage", "101", "Số phải trong khoảng 0 đến 100."),
    ],
)
def test_settings_refuse_bad_values_in_vietnamese(client, auth, name, value, message):
    auth.login("principal")
    html = client.get("/settings").get_data(as_text=True)
    response = client.post(
        "/settings",
        data={"csrf_token": csrf_token_from(html), name: value, "effective_from": "2026-01-05"},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Rule.id)) is None


# --- the register's search text -------------------------------------------------------------


def test_fold_strips_vietnamese_diacritics_and_case():
    assert fold("Đỗ  Thị HẰNG") == "do thi hang"
    assert fold("Nguyễn Khôi") == fold("nguyen khoi") == "nguyen khoi"
    assert fold("Lê Ánh") == "le anh"


def test_purge_takes_the_names_out_of_the_search_text(app, runner, make):
    old = datetime(2021, 3, 1, 9, 0)
    dossier = make.dossier(
        received_at=old, returned_at=old + timedelta(days=2), applicant_name="Đỗ Văn Cha"
    )
    assert "do van cha" in dossier.search_text
    result = runner.invoke(args=["data", "purge", "--before", "2022-01-01", "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    purged = db.session.get(Dossier, dossier.id)
    assert "cha" not in purged.search_text and "0901234567" not in purged.search_text
    assert purged.search_text == search_text_of(purged)


def test_migration_fills_the_search_text_of_existing_rows(tmp_path):
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import create_engine, text

    from survey_app import create_app
    from tests.conftest import scratch_database

    with scratch_database(tmp_path, "hl_desk_mig") as url:
        app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            config = AlembicConfig(str(app.extensions["migrate"].directory) + "/alembic.ini")
            config.set_main_option("script_location", app.extensions["migrate"].directory)
            command.upgrade(config, "3f6a2b9c8e17")
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO school (code, name, created_at) "
                        "VALUES ('S', 'S', '2025-01-01')"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO procedure (school_id, code, name, working_days, active) "
                        "VALUES (1, 'P', 'P', 3, true)"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO dossier (school_id, code, procedure_id, student_name, "
                        "student_class, applicant_phone, intake_channel, return_channel, "
                        "received_at, received_on, due_date, status, token, short_code, "
                        "created_at) "
                        "VALUES (1, '2025-000001', 1, 'Lê Minh Khôi', '7A1', '0912 345 678', "
                        "'counter', 'counter', '2025-01-02 02:00:00', '2025-01-02', '2025-01-07', "
                        "'received', 'tok', 'ABCDEFGH', '2025-01-02 02:00:00')"
                    )
                )
            command.upgrade(config, "head")
            with engine.connect() as conn:
                folded = conn.execute(text("SELECT search_text FROM dossier")).scalar_one()
            engine.dispose()
    assert "le minh khoi" in folded and "0912345678" in folded and "abcd-efgh" in folded
