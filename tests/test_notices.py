"""Supplement requests and refusals, and the printed one-stop forms (Decree 118/2025/NĐ-CP):
a supplement moves the due date, the forms print with their titles, escaped, for the
school's clerk and principal only."""

import re
from datetime import date, datetime, timedelta

import pytest

from survey_app.dossiers.intake import (
    IntakeError,
    complete_supplement,
    issue_apology,
    request_supplement,
)
from survey_app.dossiers.models import DossierStatus, NoticeKind
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.timeutil import local_to_utc
from tests.conftest import AuthActions
from tests.test_dossiers import local_now, post_form

HOSTILE = '<script>alert("x")</script>'


def test_supplement_moves_the_due_date_and_keeps_the_first(app, make, monkeypatch):
    school = make.school()
    calendar = WorkCalendar(school.id)
    # Received Monday 06/01/2020 for a 2-working-day procedure: due Wednesday 08/01.
    dossier = make.dossier(received_at=datetime(2020, 1, 6, 9), due_date=date(2020, 1, 8))
    working_days = dossier.procedure.working_days
    notice = request_supplement(dossier, papers="Bản sao giấy khai sinh.")
    with pytest.raises(IntakeError):
        request_supplement(dossier, papers="Một lần nữa")  # one open request at a time
    # The complete dossier comes back on Friday 10/01 at 10:00 local.
    notice.issued_at = local_to_utc(datetime(2020, 1, 7, 9))
    complete_supplement(
        dossier, completed_at=local_to_utc(datetime(2020, 1, 10, 10)), calendar=calendar
    )
    expected = calendar.add_working_days(
        calendar.receipt_day(local_to_utc(datetime(2020, 1, 10, 10))), working_days
    )
    assert expected > date(2020, 1, 10)
    assert dossier.due_date == expected == notice.due_date_after
    assert dossier.original_due_date == date(2020, 1, 8) == dossier.first_due_date
    assert notice.due_date_before == date(2020, 1, 8)
    # Resolved on the new due date: on time; the apology rule still counts from 08/01.
    dossier.ready_at = local_to_utc(
        datetime.combine(expected, datetime.min.time()) + timedelta(hours=9)
    )
    assert dossier.is_late is False
    db.session.commit()


def test_apology_deadline_counts_from_the_original_due_date(app, make):
    dossier = make.dossier(received_at=datetime(2020, 1, 6, 9), due_date=date(2020, 1, 8))
    request_supplement(dossier, papers="Ảnh 3x4.")
    dossier.notices[0].issued_at = local_to_utc(datetime(2020, 1, 6, 10))
    complete_supplement(dossier, completed_at=local_to_utc(datetime(2020, 1, 13, 9)))
    apology = issue_apology(
        dossier,
        reason="Chờ xác minh.",
        new_due_date=dossier.due_date + timedelta(days=5),
        channel="phone",
        issued_at=local_to_utc(datetime(2020, 1, 7, 9)),
        backdate_reason="offline",
    )
    assert apology.in_time_by == date(2020, 1, 7)  # one working day before 08/01
    assert apology.in_time is True


def test_supplement_and_refusal_through_the_pages(client, auth, make):
    auth.login("clerk")
    dossier = make.dossier(received_at=local_now() - timedelta(hours=2))
    url = f"/dossiers/{dossier.code}/supplement/new"
    form_page = client.get(url).text  # the code never breaks at its hyphen; plain in <title>
    assert f'hồ sơ <span class="code">{dossier.code}</span></h1>' in form_page
    assert f"<title>Yêu cầu bổ sung, hoàn thiện hồ sơ {dossier.code} · " in form_page
    assert post_form(client, url, {"papers": " "}).status_code == 400
    response = post_form(client, url, {"papers": f"Bản sao học bạ {HOSTILE}"})
    assert response.status_code == 303
    printed = client.get(response.headers["Location"])
    html = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in html and "Mẫu số 02" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "Chờ bổ sung hồ sơ" in page
    assert "<dt>Trạng thái</dt><dd>Chờ bổ sung hồ sơ</dd>" in page  # as the badge says
    done = post_form(
        client,
        f"/dossiers/{dossier.code}/supplement/done",
        {},
        page_url=f"/dossiers/{dossier.code}",
    )
    assert done.status_code == 303
    db.session.refresh(dossier)
    assert dossier.notices[0].completed_at is not None and dossier.original_due_date is not None
    refuse = f"/dossiers/{dossier.code}/refuse"
    response = post_form(client, refuse, {"reason": f"Không thuộc thẩm quyền {HOSTILE}"})
    assert response.status_code == 303
    db.session.refresh(dossier)
    assert dossier.status is DossierStatus.WITHDRAWN
    assert dossier.notices[-1].kind is NoticeKind.REFUSAL
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ" in html and "Mẫu số 03" in html
    assert HOSTILE not in html
    other = make.dossier()  # the form's title names its dossier, in English too
    english = client.get(f"/dossiers/{other.code}/refuse?lang=en").text
    assert f"Refuse to receive or process dossier {other.code}" in english


def test_control_sheet_and_book_print(client, auth, make):
    auth.login("principal")
    dossier = make.dossier(
        received_at=datetime(2020, 1, 6, 9),
        due_date=date(2020, 1, 8),
        returned_at=datetime(2020, 1, 9, 9),
        student_name=f"Bé {HOSTILE}",
    )
    sheet = client.get(f"/dossiers/{dossier.code}/control-sheet")
    html = sheet.get_data(as_text=True)
    assert sheet.status_code == 200
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in html and "Mẫu số 06" in html
    assert "Quá hạn" in html and HOSTILE not in html
    book = client.get("/dossiers/book?month=2020-01")
    html = book.get_data(as_text=True)
    assert book.status_code == 200
    assert "SỔ THEO DÕI HỒ SƠ" in html and "Mẫu số 07" in html and dossier.code in html
    assert "Tháng 01 năm 2020" in html and HOSTILE not in html
    assert client.get("/dossiers/book?month=2020-13").status_code == 400
    receipt = client.get(f"/dossiers/{dossier.code}/receipt").get_data(as_text=True)
    assert "Mẫu số 01" in receipt and "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt
    assert f"{dossier.code}/TN" in receipt


def test_a_notice_is_numbered_within_its_dossier(client, auth, make):
    """Số: <dossier code>/<form suffix>-<n>: the dossier's first supplement request is 1, its
    second 2, whatever other dossiers' forms came between (not the database's row id)."""
    auth.login("clerk")
    first, other = make.dossier(), make.dossier()
    numbers = []
    for dossier in (other, first, other, first):
        notice = request_supplement(dossier, papers="Ảnh 3x4.")
        complete_supplement(dossier)
        db.session.commit()
        html = client.get(f"/dossiers/{dossier.code}/notices/{notice.id}").text
        numbers.append(re.search(r"Số: ([^<]+)<", html)[1])
    suffix = numbers[0].split("/")[1].rsplit("-", 1)[0]
    assert numbers == [
        f"{other.code}/{suffix}-1",
        f"{first.code}/{suffix}-1",
        f"{other.code}/{suffix}-2",
        f"{first.code}/{suffix}-2",
    ]


@pytest.mark.parametrize("moved", [True, False])
def test_a_moved_due_date_is_said_only_when_it_moved(client, auth, make, moved):
    """A supplement completed early enough leaves the due date where it was: the dossier,
    the control sheet and the register then show no "first due date"."""
    auth.login("principal")
    # Received Monday 06/01/2020 at 09:00 for a 1-working-day procedure: due Tuesday 07/01.
    dossier = make.dossier(received_at=datetime(2020, 1, 6, 9))
    assert dossier.procedure.working_days == 1 and dossier.due_date == date(2020, 1, 7)
    notice = request_supplement(dossier, papers="Ảnh 3x4.")
    notice.issued_at = local_to_utc(datetime(2020, 1, 6, 9, 30))
    # Back the same morning (still due 07/01), or on Friday 10/01 (due Monday 13/01).
    back = datetime(2020, 1, 10, 10) if moved else datetime(2020, 1, 6, 10)
    complete_supplement(dossier, completed_at=local_to_utc(back))
    db.session.commit()
    assert dossier.original_due_date == date(2020, 1, 7)
    assert dossier.due_date == (date(2020, 1, 13) if moved else date(2020, 1, 7))
    pages = [
        client.get(f"/dossiers/{dossier.code}").text,
        client.get(f"/dossiers/{dossier.code}/control-sheet").text,
    ]
    said = "hẹn ban đầu 07/01/2020, dời do yêu cầu bổ sung"
    assert all((said in page) is moved for page in pages)
    book = client.get("/dossiers/book?month=2020-01").text
    assert ("<small>(07/01/2020)</small>" in book) is moved
    assert 'style="' not in pages[1]  # the columns' widths are print.css's (CSP: no inline)


@pytest.mark.parametrize(
    "path",
    ["/dossiers/{code}/control-sheet", "/dossiers/{code}/notices/{notice}", "/dossiers/book"],
)
def test_forms_only_for_the_schools_clerk_and_principal(app, make, path):
    dossier = make.dossier(received_at=local_now() - timedelta(hours=1))
    notice = request_supplement(dossier, papers="Ảnh.")
    db.session.commit()
    url = path.format(code=dossier.code, notice=notice.id)
    other = make.school(code="OTHER", name="Trường khác")

    def as_user(role, **kw):
        client = app.test_client()
        if role:
            AuthActions(client, make).login(role, **kw)
        return client.get(url)

    assert as_user(None).status_code in (302, 303, 401)  # no session: to the login page
    assert as_user("office").status_code == 403
    foreign = as_user("clerk", username="other_clerk", school=other)
    if "{code}" in path:
        assert foreign.status_code == 404  # another school's dossier
    else:
        assert dossier.code not in foreign.get_data(as_text=True)  # its own month only
    assert as_user("clerk").status_code == 200
    assert as_user("principal").status_code == 200


def test_notice_of_another_dossier_is_404(client, auth, make):
    auth.login("clerk")
    first = make.dossier(received_at=local_now() - timedelta(hours=1))
    second = make.dossier(received_at=local_now() - timedelta(hours=1))
    notice = request_supplement(second, papers="Ảnh.")
    db.session.commit()
    assert client.get(f"/dossiers/{first.code}/notices/{notice.id}").status_code == 404


def test_a_dossier_awaiting_papers_is_not_overdue_in_the_register(client, auth, make):
    auth.login("clerk")
    waiting = make.dossier(received_at=local_now() - timedelta(days=20), student_name="Chờ")
    overdue = make.dossier(received_at=local_now() - timedelta(days=20), student_name="Quá")
    request_supplement(waiting, papers="Ảnh.")
    db.session.commit()
    html = client.get("/dossiers?state=overdue").get_data(as_text=True)
    assert overdue.code in html and waiting.code not in html
