"""The principal's lists: procedures and the calendar of days off / make-up days."""

from datetime import date, datetime

from sqlalchemy import select

from survey_app.audit import Audit
from survey_app.dossiers.intake import create_dossier
from survey_app.dossiers.models import CalendarDay, DayKind, Procedure
from survey_app.extensions import db
from survey_app.timeutil import local_to_utc
from tests.conftest import csrf_token_from


def post_form(client, url, data, page_url):
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_procedures_list_cli_format(runner, make):
    make.school()
    result = runner.invoke(args=["procedures", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "XAC-NHAN-HS\t1\tCấp giấy xác nhận học sinh đang học tại trường" in lines
    assert all(len(line.split("\t")) == 3 for line in lines)


def test_clerk_reads_procedures_principal_edits(client, auth, make):
    procedure = make.procedure(code="CHUYEN-TRUONG")
    auth.login("clerk")
    html = client.get("/procedures").get_data(as_text=True)
    assert "Chuyển trường" in html and "/edit" not in html
    auth.logout()
    auth.login("principal")
    url = f"/procedures/{procedure.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="CHUYEN-TRUONG"' not in page  # the code is not editable
    response = post_form(
        client,
        url,
        {"name": "Chuyển trường (THCS)", "working_days": "5", "online_level": "4", "active": "y"},
        url,
    )
    assert response.status_code == 303
    db.session.refresh(procedure)
    assert (procedure.name, procedure.working_days, procedure.online_level) == (
        "Chuyển trường (THCS)",
        5,
        4,
    )
    assert procedure.code == "CHUYEN-TRUONG" and procedure.active
    audit = db.session.scalars(select(Audit).where(Audit.entity == "procedure")).one()
    assert audit.action == "update" and '"working_days": 5' in audit.detail
    bad = post_form(client, url, {"name": "X", "working_days": "-1"}, url)
    assert bad.status_code == 400
    off = post_form(client, url, {"name": "X", "working_days": "5", "online_level": ""}, url)
    assert off.status_code == 303
    db.session.refresh(procedure)
    assert procedure.active is False and procedure.online_level is None


def test_new_procedure_and_duplicate_code(client, auth, make):
    auth.login("principal")
    data = {"code": "cap-the", "name": "Cấp thẻ học sinh", "working_days": "2", "active": "y"}
    response = post_form(client, "/procedures/new", data, "/procedures/new")
    assert response.status_code == 303
    created = db.session.scalars(select(Procedure).where(Procedure.code == "CAP-THE")).one()
    assert created.working_days == 2 and created.school_id == make.school().id
    again = post_form(client, "/procedures/new", data, "/procedures/new")
    assert again.status_code == 400
    assert "Mã thủ tục này đã có." in again.get_data(as_text=True)


def test_inactive_procedure_is_not_offered_at_intake(client, auth, make):
    procedure = make.procedure(code="XIN-HOC-LAI")
    procedure.active = False
    db.session.commit()
    auth.login("clerk")
    html = client.get("/dossiers/new").get_data(as_text=True)
    assert f'value="{procedure.id}"' not in html


def test_procedure_of_another_school_is_404(client, auth, make):
    other = make.school(code="OTHER", name="Trường khác")
    foreign = make.procedure(other)
    auth.login("principal")
    assert client.get(f"/procedures/{foreign.id}/edit").status_code == 404


def test_principal_adds_an_extra_day_off_and_due_dates_follow(client, auth, make):
    auth.login("principal")
    school = make.school()
    page = "/calendar?year=2020"
    html = client.get(page).get_data(as_text=True)
    assert "Tết Nguyên Đán" in html or "Tết" in html
    data = {"day": "2020-02-03", "kind": "off", "note": "Thông báo của UBND"}
    response = post_form(client, "/calendar/days", data, page)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/calendar?year=2020")
    row = db.session.scalars(select(CalendarDay)).one()
    assert (row.school_id, row.day, row.kind) == (school.id, date(2020, 2, 3), DayKind.OFF)
    dossier = create_dossier(
        school,
        make.procedure(code="CHUYEN-TRUONG"),
        student_name="A",
        received_at=local_to_utc(datetime(2020, 1, 22, 9, 0)),
    )
    assert dossier.due_date == date(2020, 2, 4)  # 30/01, 31/01, (03/02 off), 04/02
    assert "Thông báo của UBND" in client.get(page).get_data(as_text=True)


def test_calendar_refuses_pointless_and_duplicate_days(client, auth, make):
    auth.login("principal")
    page = "/calendar?year=2020"
    cases = [
        {"day": "2020-03-04", "kind": "work"},  # a Wednesday is already worked
        {"day": "2020-03-07", "kind": "off"},  # a Saturday is already off
        {"day": "2020-01-27", "kind": "off"},  # Tết is already off
        {"day": "not-a-date", "kind": "off"},
        {"day": "2020-03-07", "kind": "holiday"},
    ]
    for data in cases:
        assert post_form(client, "/calendar/days", data, page).status_code == 400, data
    assert post_form(client, "/calendar/days", {"day": "2020-03-07", "kind": "work"}, page)
    dup = post_form(client, "/calendar/days", {"day": "2020-03-07", "kind": "work"}, page)
    assert dup.status_code == 400
    assert len(db.session.scalars(select(CalendarDay)).all()) == 1


def test_principal_removes_a_day_but_not_the_offices(client, auth, make):
    school = make.school()
    own = CalendarDay(school_id=school.id, day=date(2020, 3, 7), kind=DayKind.WORK)
    office = CalendarDay(school_id=None, day=date(2020, 3, 9), kind=DayKind.OFF, note="phường")
    db.session.add_all([own, office])
    db.session.commit()
    auth.login("principal")
    page = "/calendar?year=2020"
    html = client.get(page).get_data(as_text=True)
    assert "do cơ quan quản lý đặt" in html
    assert f"/calendar/days/{office.id}/delete" not in html
    assert post_form(client, f"/calendar/days/{office.id}/delete", {}, page).status_code == 404
    assert client.post(f"/calendar/days/{own.id}/delete").status_code == 400  # no CSRF
    assert post_form(client, f"/calendar/days/{own.id}/delete", {}, page).status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(CalendarDay.id)).all() == [office.id]
    actions = db.session.scalars(select(Audit.action).where(Audit.entity == "calendar_day"))
    assert list(actions) == ["delete"]


def test_calendar_year_must_be_sane(client, auth):
    auth.login("clerk")
    assert client.get("/calendar?year=20x0").status_code == 400
    assert client.get("/calendar?year=1900").status_code == 400
    html = client.get("/calendar?year=2024").get_data(as_text=True)
    assert "04/05/2024" in html  # the make-up Saturday the package knows
    assert "Thêm vào lịch" not in html  # clerks read only
