"""Intake, return, withdrawal and apology through the web, with CSRF on."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey_app.audit import Audit
from survey_app.dated_rules import set_rule
from survey_app.dossiers import intake
from survey_app.dossiers.intake import apology_deadline, create_dossier, next_code
from survey_app.dossiers.models import Apology, Dossier, DossierStatus, Procedure
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.schools import School
from survey_app.timeutil import local_to_utc, local_today, to_local, utcnow
from tests.conftest import csrf_token_from


def post_form(client, url, data, page_url=None):
    """GET the form page for its CSRF token, then POST to `url`."""
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def intake_data(procedure, **kw):
    return {
        "procedure": procedure.id,
        "student_name": "Lê Văn An",
        "student_class": "7A2",
        "applicant_name": "Lê Văn Bố",
        "applicant_phone": "0901 234 567",
        "intake_channel": "postal",
        "return_channel": "counter",
        **kw,
    }


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def local_input(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def local_now() -> datetime:
    return to_local(utcnow()).replace(tzinfo=None, microsecond=0)


def test_clerk_registers_a_dossier(client, auth, make):
    clerk = auth.login("clerk")
    procedure = make.procedure(code="CHUYEN-TRUONG")  # 3 working days
    response = post_form(client, "/dossiers/new", intake_data(procedure))
    assert response.status_code == 303
    dossier = db.session.scalars(select(Dossier)).one()
    year = to_local(dossier.received_at).year
    assert dossier.code == f"{year}-000001"
    assert response.headers["Location"] == f"/dossiers/{dossier.code}?received=1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # the page after intake leads with printing the receipt
    assert f'class="button primary" href="/dossiers/{dossier.code}/receipt"' in page
    assert dossier.received_by_id == clerk.id
    assert dossier.intake_channel.value == "postal"
    assert dossier.applicant_phone == "0901 234 567"
    assert abs(dossier.received_at - utcnow()) < timedelta(minutes=1)
    cal = WorkCalendar(dossier.school_id)
    assert dossier.received_on == cal.receipt_day(dossier.received_at)
    assert dossier.due_date == cal.add_working_days(dossier.received_on, 3)
    assert cal.working_days_between(dossier.received_on, dossier.due_date) == 3
    assert dossier.status is DossierStatus.RECEIVED
    assert len(dossier.token) >= 22 and len(dossier.short_code) == 8
    trail = db.session.scalars(select(Audit).where(Audit.entity == "dossier")).all()
    assert [(a.action, a.entity_id, a.user_id) for a in trail] == [("create", dossier.id, clerk.id)]
    second = post_form(client, "/dossiers/new", intake_data(procedure, student_name="Lê Thị Hai"))
    assert second.headers["Location"] == f"/dossiers/{year}-000002?received=1"


def test_intake_refuses_a_post_without_csrf(client, auth, make):
    auth.login("clerk")
    response = client.post("/dossiers/new", data=intake_data(make.procedure()))
    assert response.status_code == 400
    assert count(Dossier) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"student_name": ""},
        {"student_name": "x" * 121},
        {"applicant_phone": "call me"},
        {"student_name": "An\x00"},
        {"intake_channel": "fax"},
        {"procedure": "999999"},
    ],
)
def test_intake_rejects_bad_input_with_400_and_writes_nothing(client, auth, make, bad):
    auth.login("clerk")
    response = post_form(client, "/dossiers/new", {**intake_data(make.procedure()), **bad})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(Dossier) == 0


def test_tracking_codes_count_per_school_and_year(app, make):
    school, other = make.school(), make.school(code="OTHER", name="Trường khác")
    proc, other_proc = make.procedure(school), make.procedure(other)

    def new(s, p, when):
        return create_dossier(s, p, student_name="A", received_at=local_to_utc(when)).code

    codes = [
        new(school, proc, datetime(2020, 1, 2, 9)),
        new(school, proc, datetime(2020, 12, 31, 23, 30)),  # local 2020, UTC 2020 too
        new(school, proc, datetime(2021, 1, 1, 3, 0)),  # local 2021, UTC still 2020
        new(other, other_proc, datetime(2020, 5, 5, 9)),
        new(school, proc, datetime(2021, 2, 1, 9)),
    ]
    db.session.commit()
    assert codes == ["2020-000001", "2020-000002", "2021-000001", "2020-000001", "2021-000002"]
    assert next_code(school.id, 2020) == "2020-000003"


def test_a_code_taken_by_a_concurrent_intake_is_retried(app, make, monkeypatch):
    """Another clerk commits the same max+1 between our SELECT and INSERT."""
    school, proc = make.school(), make.procedure()
    first = create_dossier(school, proc, student_name="A", received_at=utcnow())
    db.session.commit()
    real_next_code, calls = intake.next_code, []

    def racing_next_code(school_id, year):
        calls.append(year)
        return first.code if len(calls) == 1 else real_next_code(school_id, year)

    monkeypatch.setattr(intake, "next_code", racing_next_code)
    second = create_dossier(school, proc, student_name="B", received_at=utcnow())
    db.session.commit()
    assert len(calls) == 2
    assert second.code == first.code[:5] + "000002"
    assert count(Dossier) == 2


def test_return_on_time_sets_expiry_and_shows_state(client, auth, make):
    clerk = auth.login("clerk")
    set_rule("token_valid_days", 10, date(2000, 1, 1), make.school().id)
    received = datetime.combine(local_today(), datetime.min.time()) - timedelta(days=3)
    dossier = make.dossier(received_at=received + timedelta(hours=8))
    dossier.due_date = local_today()
    db.session.commit()
    url = f"/dossiers/{dossier.code}/return"
    before = utcnow()
    response = post_form(client, url, {"return_channel": "postal"})  # stamped by the server
    assert response.status_code == 303
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.RETURNED
    assert before <= dossier.returned_at <= utcnow()
    assert dossier.return_entered_at is None  # not "nhập bù"
    returned = to_local(dossier.returned_at).replace(tzinfo=None)
    assert dossier.returned_by_id == clerk.id
    assert dossier.return_channel.value == "postal"
    assert dossier.token_expires_at == dossier.returned_at + timedelta(days=10)
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "Đúng hạn" in page and "Đã trả đúng hạn" in page
    assert returned.strftime("%d/%m/%Y") in page
    again = post_form(client, url, {"returned_at": local_input(returned)}, page_url="/dossiers")
    assert again.status_code == 303  # already returned: refused, nothing changes
    stamped = dossier.returned_at
    db.session.refresh(dossier)
    assert dossier.returned_at == stamped


@pytest.mark.parametrize("shift", [timedelta(days=-30), timedelta(days=2)])
def test_return_before_receipt_or_in_the_future_is_400(client, auth, make, shift):
    auth.login("clerk")
    dossier = make.dossier(received_at=local_now() - timedelta(days=5))
    when = local_now() + shift
    url = f"/dossiers/{dossier.code}/return"
    response = post_form(
        client, url, {"returned_at": local_input(when), "return_channel": "counter"}
    )
    assert response.status_code == 400
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.RECEIVED and dossier.returned_at is None


def test_late_return_then_apology_letter(client, auth, make):
    principal = make.user("principal", username="hieutruong")
    auth.login("clerk")
    today = local_today()
    dossier = make.dossier(
        received_at=datetime.combine(today, datetime.min.time()) - timedelta(days=20)
    )
    due = dossier.due_date
    assert due < today
    url = f"/dossiers/{dossier.code}/return"
    now = local_now()
    form = {"returned_at": local_input(now), "return_channel": "counter"}
    assert post_form(client, url, form).status_code == 303
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "Trễ hạn" in page and "Hồ sơ trễ hạn chưa có thư xin lỗi" in page
    new_date = today + timedelta(days=3)
    form = {
        "reason": "Chờ xác minh của phường.",
        "new_due_date": new_date.isoformat(),
        "channel": "phone",
        "issued_at": local_input(now),
    }
    response = post_form(client, f"/dossiers/{dossier.code}/apology/new", form)
    assert response.status_code == 303
    apology = db.session.scalars(select(Apology)).one()
    assert apology.new_due_date == new_date and apology.channel == "phone"
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    deadline = apology_deadline(due, WorkCalendar(dossier.school_id))
    assert "Không kịp thời: gửi sau ngày " + deadline.strftime("%d/%m/%Y") in page
    assert "Hồ sơ trễ hạn chưa có thư xin lỗi" not in page
    letter = client.get(f"/dossiers/{dossier.code}/apology")
    html = letter.get_data(as_text=True)
    assert letter.status_code == 200
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in html and "Mẫu số 04" in html
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "HIỆU TRƯỞNG" in html
    assert principal.full_name in html and dossier.code in html
    assert "Chờ xác minh của phường." in html and due.strftime("%d/%m/%Y") in html
    actions = db.session.scalars(select(Audit.action).where(Audit.entity_id == dossier.id)).all()
    assert actions == ["return", "apology"]
    twice = post_form(client, f"/dossiers/{dossier.code}/apology/new", form, "/dossiers")
    assert twice.status_code == 303 and count(Apology) == 1


def test_apology_sent_before_the_due_date_counts_as_in_time(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier(received_at=local_now() - timedelta(hours=1))
    dossier.due_date = max(local_today(), dossier.received_on) + timedelta(days=2)
    db.session.commit()
    now = local_now()
    form = {
        "reason": "Thiếu chữ ký.",
        "new_due_date": (dossier.due_date + timedelta(days=3)).isoformat(),
        "channel": "counter",
        "issued_at": local_input(now),
    }
    assert post_form(client, f"/dossiers/{dossier.code}/apology/new", form).status_code == 303
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    deadline = apology_deadline(dossier.due_date, WorkCalendar(dossier.school_id))
    assert deadline >= local_today()
    assert "Kịp thời: gửi trong hoặc trước ngày " + deadline.strftime("%d/%m/%Y") in page


@pytest.mark.parametrize("case", ["on_time", "early_new_date", "no_reason"])
def test_apology_refusals_are_400_and_write_nothing(client, auth, make, case):
    auth.login("clerk")
    today, now = local_today(), local_now()
    dossier = make.dossier(
        received_at=datetime.combine(today, datetime.min.time()) - timedelta(days=20),
        returned_at=now if case == "on_time" else None,
    )
    if case == "on_time":
        dossier.due_date = today
        db.session.commit()
    form = {
        "reason": "" if case == "no_reason" else "Lý do",
        "new_due_date": (dossier.due_date if case == "early_new_date" else today).isoformat(),
        "channel": "counter",
        "issued_at": local_input(now),
    }
    url = f"/dossiers/{dossier.code}/apology/new"
    response = post_form(client, url, form, page_url="/dossiers")
    assert response.status_code == (303 if case == "on_time" else 400)
    assert count(Apology) == 0


def test_withdrawal_needs_a_reason_and_closes_the_dossier(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier()
    url = f"/dossiers/{dossier.code}/withdraw"
    assert post_form(client, url, {"reason": "  "}).status_code == 400
    response = post_form(client, url, {"reason": "Phụ huynh đổi ý."})
    assert response.status_code == 303
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.WITHDRAWN
    assert dossier.withdraw_reason == "Phụ huynh đổi ý." and dossier.withdrawn_at
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "Đã rút" in page and "Phụ huynh đổi ý." in page
    back = client.get(f"/dossiers/{dossier.code}/return")
    assert back.status_code == 303  # a withdrawn dossier cannot be returned
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.WITHDRAWN


def test_dossier_page_shows_dates_and_audit_trail(client, auth, make):
    clerk = auth.login("clerk")
    post_form(client, "/dossiers/new", intake_data(make.procedure()))
    dossier = db.session.scalars(select(Dossier)).one()
    html = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert to_local(dossier.received_at).strftime("%H:%M %d/%m/%Y") in html
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    assert dossier.short_code_display in html
    assert "Tiếp nhận hồ sơ" in html and clerk.full_name in html
    assert "style=" not in html  # CSP: styles come from static files only


def test_other_schools_dossier_is_404(client, auth, make):
    other = make.school(code="OTHER", name="Trường khác")
    foreign = make.dossier(school=other, code="2020-000001")
    auth.login("principal")
    for suffix in ("", "/receipt", "/slip", "/return", "/withdraw", "/apology/new"):
        assert client.get(f"/dossiers/{foreign.code}{suffix}").status_code == 404
    page = client.get(f"/dossiers/{foreign.code}").text  # said to staff, not to a parent
    assert "không thuộc trường của Ông/Bà" in page and "mã trên phiếu" not in page


def test_concurrent_intakes_get_distinct_consecutive_codes(app, make):
    """Real concurrency on PostgreSQL: clerks at once, each in its own transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the race needs PostgreSQL")
    import threading

    school_id, proc_id = make.school().id, make.procedure().id
    barrier, errors = threading.Barrier(3), []

    def clerk():
        with app.app_context():
            try:
                barrier.wait()
                for _ in range(8):
                    school = db.session.get(School, school_id)
                    create_dossier(school, db.session.get(Procedure, proc_id), student_name="A")
                    db.session.commit()
            except Exception as error:  # reported below, not swallowed
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.expire_all()
    codes = sorted(db.session.scalars(select(Dossier.code)))
    year = codes[0][:4]
    assert codes == [f"{year}-{n:06d}" for n in range(1, 25)]


def test_issue_apology_refuses_on_time_and_withdrawn_dossiers(app, make):
    now = local_now()
    on_time = make.dossier(received_at=now - timedelta(hours=2), returned_at=now)
    withdrawn = make.dossier(status="withdrawn")
    for dossier in (on_time, withdrawn):
        with pytest.raises(intake.IntakeError):
            intake.issue_apology(
                dossier, reason="x", new_due_date=date(2100, 1, 1), channel="counter"
            )
    assert count(Apology) == 0


@pytest.mark.parametrize(
    ("local_time", "receipt_day"),
    [
        (datetime(2026, 3, 13, 16, 45), date(2026, 3, 13)),  # Friday, before closing
        (datetime(2026, 3, 13, 17, 30), date(2026, 3, 16)),  # after closing: Monday
        (datetime(2026, 3, 14, 10, 0), date(2026, 3, 16)),  # Saturday: Monday
        (datetime(2026, 3, 13, 12, 15), date(2026, 3, 13)),  # lunch break: the afternoon's
    ],
)
def test_the_app_and_the_factory_derive_the_same_days(app, make, local_time, receipt_day):
    """One home for received_on and due_date (intake.dossier_fields): the app's intake and
    the tests' factory (and so the demo and the benchmark seed) agree, office hours and
    weekend included."""
    school = make.school()
    procedure = make.procedure(school, code="CHUYEN-TRUONG")
    made = create_dossier(
        school, procedure, student_name="Lê Văn An", received_at=local_to_utc(local_time)
    )
    db.session.commit()
    built = make.dossier(school, procedure, received_at=local_time)
    due = WorkCalendar(school.id).add_working_days(receipt_day, procedure.working_days)
    assert procedure.working_days > 1 and due > receipt_day
    assert (made.received_on, made.due_date) == (receipt_day, due)
    assert (built.received_on, built.due_date) == (receipt_day, due)
    assert made.received_at == built.received_at
    assert re.fullmatch(r"2026-\d{6}", made.code) and built.code.startswith("T-")


def test_the_intake_rule_checks_and_normalises_without_writing(app, make):
    school, other = make.school(), make.school(code="OTHER", name="Trường khác")
    procedure = make.procedure(school)
    received = local_to_utc(datetime(2026, 3, 13, 9, 0))
    fields = intake.dossier_fields(
        school,
        procedure,
        student_name="  Lê Văn An ",
        student_class=" ",
        applicant_phone=" 0901234567 ",
        intake_channel="postal",
        received_at=received,
    )
    assert fields["student_name"] == "Lê Văn An" and fields["student_class"] is None
    assert fields["applicant_name"] is None and fields["applicant_phone"] == "0901234567"
    assert fields["status"] is DossierStatus.RECEIVED and fields["received_at"] == received
    assert fields["received_on"] == date(2026, 3, 13)
    with pytest.raises(intake.IntakeError):
        intake.dossier_fields(school, make.procedure(other), student_name="A")
    with pytest.raises(intake.IntakeError):
        intake.dossier_fields(school, procedure, student_name=" ")
    with pytest.raises(intake.IntakeError):
        intake.dossier_fields(
            school, procedure, student_name="A", received_at=utcnow() + timedelta(hours=1)
        )
    # `now` (default the clock) bounds the time of receipt
    yesterday = utcnow() - timedelta(days=1)
    with pytest.raises(intake.IntakeError):
        intake.dossier_fields(
            school, procedure, student_name="A", received_at=utcnow(), now=yesterday
        )
    assert count(Dossier) == 0 and count(Audit) == 0
