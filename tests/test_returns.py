"""Return times from the server's clock, "nhập bù", ready vs picked up, the apology deadline:
the rules of issue "true figures" on both engines."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from survey_app.dossiers.intake import (
    IntakeError,
    apology_deadline,
    issue_apology,
    mark_ready,
    return_dossier,
)
from survey_app.dossiers.models import Apology, Dossier, DossierStatus
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.reports import periods, queries
from survey_app.timeutil import local_to_utc, to_local, utcnow
from tests.test_dossiers import local_input, local_now, post_form


def _return_url(dossier):
    return f"/dossiers/{dossier.code}/return"


def test_same_minute_confirm_is_accepted(client, auth, make):
    # The bug: the form pre-filled the current minute (seconds cut off); a dossier received
    # earlier in that same minute was then "returned before its receipt" and refused.
    auth.login("clerk")
    dossier = make.dossier()  # received now (this very second)
    same_minute = to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    response = post_form(
        client,
        _return_url(dossier),
        {"returned_at": local_input(same_minute), "return_channel": "counter"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.RETURNED
    assert dossier.returned_at >= dossier.received_at
    assert dossier.return_entered_at is None


def test_future_time_is_refused_in_vietnamese(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier(received_at=local_now() - timedelta(days=2))
    when = local_now() + timedelta(minutes=2)
    response = post_form(
        client,
        _return_url(dossier),
        {"returned_at": local_input(when), "return_channel": "counter"},
    )
    assert response.status_code == 400
    assert "không được ở tương lai" in response.get_data(as_text=True)
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.RECEIVED and dossier.returned_at is None


def test_backdated_return_needs_a_reason(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier(received_at=local_now() - timedelta(days=2))
    when = local_now() - timedelta(hours=3)
    response = post_form(
        client,
        _return_url(dossier),
        {"returned_at": local_input(when), "return_channel": "counter"},
    )
    assert response.status_code == 400
    assert "lý do nhập bù" in response.get_data(as_text=True)
    other = post_form(
        client,
        _return_url(dossier),
        {
            "returned_at": local_input(when),
            "backdate_reason": "other",
            "backdate_note": " ",
            "return_channel": "counter",
        },
    )
    assert other.status_code == 400  # "other" needs its text
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.RECEIVED


def test_within_the_grace_is_no_backdate(app, make):
    dossier = make.dossier(received_at=local_now() - timedelta(days=2))
    return_dossier(dossier, returned_at=utcnow() - timedelta(minutes=10))
    assert dossier.return_entered_at is None


def test_backdated_return_is_flagged_everywhere_and_counted(client, auth, make):
    clerk = auth.login("clerk")
    dossier = make.dossier(
        received_at=local_now() - timedelta(days=2), student_name="Lê <b>Nhập</b> Bù"
    )
    when = local_now().replace(second=0) - timedelta(days=1)
    before = utcnow()
    response = post_form(
        client,
        _return_url(dossier),
        {
            "returned_at": local_input(when),
            "backdate_reason": "offline",
            "backdate_note": "Mất điện <script>x</script>",
            "return_channel": "counter",
        },
    )
    assert response.status_code == 303
    db.session.refresh(dossier)
    assert dossier.returned_at == local_to_utc(when)
    assert before <= dossier.return_entered_at <= utcnow()  # when it was typed
    assert dossier.return_entered_by_id == clerk.id
    assert dossier.return_backdate_reason == "offline"
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "Nhập bù" in page and "Mất điện, mất mạng" in page
    assert "<script>x" not in page and "&lt;script&gt;x" in page
    # the register opens on those in progress: every status asked for
    register = client.get("/dossiers?status=all").get_data(as_text=True)
    assert "nhập bù" in register
    period = periods.parse_period(f"{when:%Y-%m}")
    r = queries.returns(dossier.school_id, period)[None]
    assert r.backdated == 1 and r.returned == 1
    auth.logout()
    auth.login("principal", username="ht")
    csv = client.get("/reports/export", query_string={"period": period.key, "format": "csv"})
    assert csv.status_code == 200
    line = next(x for x in csv.get_data(as_text=True).splitlines() if "nhập bù" in x)
    assert line.split(",")[-1] == "1", line
    dashboard = client.get("/dashboard", query_string={"period": period.key})
    assert "trong đó nhập bù: 1" in dashboard.get_data(as_text=True)


def test_on_time_rate_counts_the_ready_time_not_the_pickup(app, make):
    school = make.school()
    # Ready on the due date, picked up three days later: on time.
    ready_on_time = make.dossier(
        received_at=datetime(2020, 1, 6, 9),
        due_date=date(2020, 1, 8),
        returned_at=datetime(2020, 1, 13, 9),
    )
    ready_on_time.ready_at = local_to_utc(datetime(2020, 1, 8, 15))
    # No ready time: the return decides (late).
    late = make.dossier(
        received_at=datetime(2020, 1, 6, 9),
        due_date=date(2020, 1, 8),
        returned_at=datetime(2020, 1, 9, 9),
    )
    # Ready late, not picked up yet: resolved (late) in January.
    waiting = make.dossier(received_at=datetime(2020, 1, 6, 9), due_date=date(2020, 1, 8))
    waiting.ready_at = local_to_utc(datetime(2020, 1, 10, 10))
    # Ready in December, picked up in January: resolved in December, not in January.
    assert late.is_late is True
    december = make.dossier(
        received_at=datetime(2019, 12, 23, 9),
        due_date=date(2019, 12, 26),
        returned_at=datetime(2020, 1, 2, 9),
    )
    december.ready_at = local_to_utc(datetime(2019, 12, 26, 9))
    db.session.commit()
    r = queries.returns(school.id, periods.parse_period("2020-01"))[None]
    assert (r.returned, r.on_time, r.late, r.ready_recorded) == (3, 1, 2, 2)
    assert ready_on_time.is_late is False and ready_on_time.returned_at > ready_on_time.ready_at
    dec = queries.returns(school.id, periods.parse_period("2019-12"))[None]
    assert (dec.returned, dec.on_time) == (1, 1)


def test_lateness_in_python_and_sql_agree(app, make):
    rows = []
    for returned, ready in [
        (datetime(2020, 1, 8, 23, 59), None),  # the due day's last minute, local
        (datetime(2020, 1, 9, 0, 1), None),  # just after: late
        (datetime(2020, 1, 9, 0, 1), datetime(2020, 1, 8, 16)),  # ready in time
        (None, datetime(2020, 1, 9, 7)),  # ready late, not returned
        (None, None),  # not resolved: NULL / None
    ]:
        d = make.dossier(
            received_at=datetime(2020, 1, 6, 9), due_date=date(2020, 1, 8), returned_at=returned
        )
        d.ready_at = local_to_utc(ready) if ready else None
        rows.append(d)
    db.session.commit()
    in_sql = dict(db.session.execute(select(Dossier.id, Dossier.is_late)).all())
    assert [in_sql[d.id] for d in rows] == [d.is_late for d in rows]
    assert [d.is_late for d in rows] == [False, True, False, True, None]
    # As a filter too: SQL picks exactly the rows Python calls late.
    late_in_sql = set(db.session.scalars(select(Dossier.id).where(Dossier.is_late)))
    assert late_in_sql == {d.id for d in rows if d.is_late}


def test_mark_ready_on_the_dossier_page(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier(received_at=local_now() - timedelta(days=1))
    before = utcnow()
    page = f"/dossiers/{dossier.code}"
    assert post_form(client, f"{page}/ready", {}, page_url=page).status_code == 303
    db.session.refresh(dossier)
    assert before <= dossier.ready_at <= utcnow()
    assert dossier.status is DossierStatus.RECEIVED  # not picked up yet
    status = client.get(f"/s/{dossier.token}").get_data(as_text=True)
    assert "Đã có kết quả" in status
    with pytest.raises(IntakeError):
        mark_ready(dossier)  # only once


def _late_dossier(make):
    # Due Monday 13/01/2020; returned late.
    return make.dossier(
        received_at=datetime(2020, 1, 6, 9),
        due_date=date(2020, 1, 13),
        returned_at=datetime(2020, 1, 15, 9),
    )


def test_apology_on_the_due_date_is_late_one_working_day_before_is_in_time(app, make):
    school = make.school()
    calendar = WorkCalendar(school.id)
    assert apology_deadline(date(2020, 1, 13), calendar) == date(2020, 1, 10)  # the Friday
    on_due, before = _late_dossier(make), _late_dossier(make)
    issue_apology(
        on_due,
        reason="Chờ xác minh.",
        new_due_date=date(2020, 1, 15),
        channel="phone",
        issued_at=local_to_utc(datetime(2020, 1, 13, 8)),
        backdate_reason="offline",
    )
    issue_apology(
        before,
        reason="Chờ xác minh.",
        new_due_date=date(2020, 1, 15),
        channel="phone",
        issued_at=local_to_utc(datetime(2020, 1, 10, 16)),
        backdate_reason="offline",
    )
    db.session.commit()
    assert (on_due.apology.in_time, before.apology.in_time) == (False, True)
    in_sql = dict(db.session.execute(select(Apology.dossier_id, Apology.in_time)).all())
    assert (in_sql[on_due.id], in_sql[before.id]) == (False, True)
    r = queries.returns(school.id, periods.parse_period("2020-01"))[None]
    assert (r.late, r.late_apologised) == (2, 1)


def test_dossier_page_states_the_apology_deadline(client, auth, make):
    auth.login("clerk")
    dossier = _late_dossier(make)
    issue_apology(
        dossier,
        reason="Chờ xác minh.",
        new_due_date=date(2020, 1, 15),
        channel="phone",
        issued_at=local_to_utc(datetime(2020, 1, 13, 8)),
        backdate_reason="offline",
    )
    db.session.commit()
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "10/01/2020" in page  # the deadline, one working day before 13/01
    assert "Không kịp thời" in page


def test_one_stop_table_balances_with_ready_times(app, make):
    """Carried over + received = resolved + withdrawn + open at the end, where "resolved"
    is the ready time: a result ready but not yet collected is not open."""
    school = make.school()
    jan = periods.parse_period("2020-01")
    # ready in January, still not collected: resolved in January, not open at its end
    waiting = make.dossier(received_at=datetime(2019, 12, 30, 9), due_date=date(2020, 1, 2))
    waiting.ready_at = local_to_utc(datetime(2020, 1, 2, 9))
    # ready in December, collected in January: neither carried over nor resolved in January
    december = make.dossier(
        received_at=datetime(2019, 12, 20, 9),
        due_date=date(2019, 12, 24),
        returned_at=datetime(2020, 1, 3, 9),
    )
    december.ready_at = local_to_utc(datetime(2019, 12, 24, 9))
    # received in January, ready in January, collected in February
    late_pickup = make.dossier(
        received_at=datetime(2020, 1, 20, 9),
        due_date=date(2020, 1, 22),
        returned_at=datetime(2020, 2, 3, 9),
    )
    late_pickup.ready_at = local_to_utc(datetime(2020, 1, 22, 9))
    make.dossier(received_at=datetime(2020, 1, 14, 9), due_date=date(2020, 1, 16))  # open
    db.session.commit()
    f = queries.flow(school.id, jan, today=date(2020, 3, 1))[None]
    i = queries.intake(school.id, jan)[None]
    r = queries.returns(school.id, jan)[None]
    assert (f.carried_over, i.received, r.returned, f.withdrawn, f.open_end) == (1, 2, 2, 0, 1)
    assert f.carried_over + i.received == r.returned + f.withdrawn + f.open_end
    assert f.open_end_past_due == 1


# --- the apology's issue time: the same rule as the return's (intake.backdate) ------------


def _overdue(make):
    """Received 40 days ago, due 20 days ago, returned yesterday: late, needs an apology."""
    now = local_now()
    return make.dossier(
        received_at=now - timedelta(days=40),
        returned_at=now - timedelta(days=1),
        due_date=(now - timedelta(days=20)).date(),
    )


def _apology_form(dossier, **fields):
    return {
        "reason": "Chờ xác minh của trường cũ.",
        "new_due_date": (dossier.due_date + timedelta(days=30)).isoformat(),
        "channel": "phone",
        **fields,
    }


def test_apology_is_stamped_by_the_server_clock(client, auth, make):
    auth.login("clerk")
    dossier = _overdue(make)
    before = utcnow()
    response = post_form(client, f"/dossiers/{dossier.code}/apology/new", _apology_form(dossier))
    assert response.status_code == 303, response.get_data(as_text=True)
    apology = db.session.scalars(select(Apology)).one()
    assert before <= apology.issued_at <= utcnow()
    assert apology.entered_at is None and apology.backdate_reason is None
    assert apology.in_time is False  # issued today, long after the due date


def test_apology_within_the_grace_is_no_backdate(app, make):
    dossier = _overdue(make)
    apology = issue_apology(
        dossier,
        reason="Chờ xác minh.",
        new_due_date=dossier.due_date + timedelta(days=30),
        channel="phone",
        issued_at=utcnow() - timedelta(minutes=10),
    )
    assert apology.entered_at is None


def test_apology_in_the_future_is_refused_in_vietnamese(client, auth, make):
    auth.login("clerk")
    dossier = _overdue(make)
    when = local_now() + timedelta(minutes=2)
    form = _apology_form(dossier, issued_at=local_input(when))
    response = post_form(client, f"/dossiers/{dossier.code}/apology/new", form)
    assert response.status_code == 400
    assert "Thời điểm gửi thư không được ở tương lai" in response.get_data(as_text=True)
    assert db.session.scalars(select(Apology)).first() is None


def test_backdated_apology_needs_a_reason_is_flagged_and_counted(client, auth, make):
    clerk = auth.login("clerk")
    dossier = _overdue(make)
    url = f"/dossiers/{dossier.code}/apology/new"
    when = (local_now() - timedelta(days=25)).replace(second=0)  # before the due date
    no_reason = post_form(client, url, _apology_form(dossier, issued_at=local_input(when)))
    assert no_reason.status_code == 400
    assert "lý do nhập bù" in no_reason.get_data(as_text=True)
    blank_other = _apology_form(
        dossier, issued_at=local_input(when), backdate_reason="other", backdate_note=" "
    )
    assert post_form(client, url, blank_other).status_code == 400  # "other" needs its text
    assert (
        post_form(
            client,
            url,
            _apology_form(dossier, issued_at=local_input(when), backdate_reason="import"),
        ).status_code
        == 400
    )  # the importer's reason is not offered to a clerk
    assert db.session.scalars(select(Apology)).first() is None
    before = utcnow()
    ok = _apology_form(
        dossier,
        issued_at=local_input(when),
        backdate_reason="away",
        backdate_note="Gửi thư tại nhà phụ huynh",
    )
    assert post_form(client, url, ok).status_code == 303
    apology = db.session.scalars(select(Apology)).one()
    assert apology.issued_at == local_to_utc(when)
    assert before <= apology.entered_at <= utcnow()
    assert apology.entered_by_id == clerk.id
    assert (apology.backdate_reason, apology.backdate_note) == ("away", "Gửi thư tại nhà phụ huynh")
    assert apology.in_time is True
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "Nhập bù" in page and "ngoài bộ phận một cửa" in page
    assert "Gửi thư tại nhà phụ huynh" in page
    period = periods.parse_period(f"{to_local(dossier.resolved_at):%Y-%m}")
    r = queries.returns(dossier.school_id, period)[None]
    assert (r.late, r.apologised, r.late_apologised, r.apology_backdated) == (1, 1, 1, 1)
    assert (r.apologised_late, r.backdated) == (0, 0)  # the return itself was not back-dated
    # the printed control sheet and the month's register say so too
    sheet = client.get(f"/dossiers/{dossier.code}/control-sheet").get_data(as_text=True)
    assert "Nhập bù" in sheet
    month = f"{to_local(dossier.received_at):%Y-%m}"
    book = client.get("/dossiers/book", query_string={"month": month}).get_data(as_text=True)
    assert f"xin lỗi {when:%d/%m/%Y} (nhập bù)" in book
