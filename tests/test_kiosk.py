"""The kiosk is a device, not a clerk: enrolled by the principal, revocable, kiosk pages
only, dossiers by short code only, nothing about other dossiers."""

import re
from datetime import timedelta

from sqlalchemy import select

from survey_app.audit import Audit
from survey_app.extensions import db
from survey_app.kiosk.models import KioskDevice
from survey_app.survey.models import Response
from survey_app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.kiosk_helpers import (
    ENROL_LINK,
    enrol_tablet,
    enrolment_link,
    kiosk_post,
    kiosk_tablet,
)
from tests.test_survey import count, returned_dossier, stored

STAFF_PAGES = ("/dossiers", "/cases", "/reports", "/dashboard", "/survey-entry", "/kiosks")


def _audit_actions() -> list[str]:
    db.session.expire_all()
    actions = db.session.scalars(select(Audit.action).order_by(Audit.id))
    return [a for a in actions if a.startswith("kiosk_")]


def test_principal_enrols_lists_and_revokes_a_tablet(app, client, auth):
    principal = auth.login("principal")
    link = enrolment_link(client, "Quầy 1")
    device = db.session.scalars(select(KioskDevice)).one()
    assert device.school_id == principal.school_id and device.created_by_id == principal.id
    assert (
        device.secret_hash is None
        and device.enrol_hash
        and link.split("/")[-1] not in (device.enrol_hash)
    )  # only the hash of the one-time code is kept
    listed = client.get("/kiosks").get_data(as_text=True)
    assert "Quầy 1" in listed and "Chờ mở liên kết trên máy" in listed
    again = client.get(f"/kiosks/{device.id}/link")  # the link is shown once
    assert again.status_code == 303 and link not in again.get_data(as_text=True)

    tablet = enrol_tablet(app, link)
    cookie = tablet.get_cookie("hl_kiosk")
    assert cookie.http_only and cookie.same_site == "Strict"
    assert cookie.expires is not None  # long-lived, not a session cookie
    device_id, _dot, secret = cookie.value.partition(".")
    db.session.expire_all()
    assert int(device_id) == device.id and secret not in device.secret_hash
    session = tablet.get_cookie("hl_session")  # only the CSRF token, no staff session
    data = app.session_interface.get_signing_serializer(app).loads(session.value)
    assert "_user_id" not in data and set(data) <= {"csrf_token", "_fresh"}
    assert tablet.get("/kiosk").status_code == 200
    # The link was for one use.
    assert app.test_client().get(link).status_code == 404
    listed = client.get("/kiosks").get_data(as_text=True)
    assert "Đang dùng" in listed and "—" not in listed.split("Quầy 1", 1)[1].split("</tr>")[0]

    token = csrf_token_from(listed)
    revoked = client.post(f"/kiosks/{device.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    # Revocation takes effect at the tablet's next request.
    page = tablet.get("/kiosk")
    assert page.status_code == 403 and "thu hồi" in page.get_data(as_text=True)
    assert _audit_actions() == ["kiosk_created", "kiosk_enrolled", "kiosk_revoked"]
    audit_rows = db.session.scalars(
        select(Audit).where(Audit.action.startswith("kiosk_")).order_by(Audit.id)
    ).all()
    assert {a.entity_id for a in audit_rows} == {device.id}
    assert audit_rows[0].user_id == principal.id and audit_rows[2].user_id == principal.id
    assert audit_rows[1].user_id is None  # the tablet is nobody


def test_enrolment_link_expires_and_needs_a_signed_out_browser(app, client, auth):
    auth.login("principal")
    link = enrolment_link(client)
    # The principal's own signed-in browser is not turned into a kiosk.
    assert client.get(link).status_code == 409
    device = db.session.scalars(select(KioskDevice)).one()
    device.enrol_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(link).status_code == 404
    assert app.test_client().get("/kiosk/enrol/" + "x" * 43).status_code == 404


def test_kiosks_page_is_the_principals_of_that_school_only(app, client, auth, make):
    auth.login("principal")
    enrolment_link(client, "Quầy phía Đông")
    device = db.session.scalars(select(KioskDevice)).one()
    other = make.school(code="KHAC", name="Trường khác")
    auth.logout()
    auth.login("principal", username="hieutruong-khac", school=other)
    assert device.name not in client.get("/kiosks").get_data(as_text=True)
    token = csrf_token_from(client.get("/kiosks").get_data(as_text=True))
    assert client.post(f"/kiosks/{device.id}/revoke", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/kiosks/{device.id}/link", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(KioskDevice, device.id).revoked_at is None
    auth.logout()
    auth.login("clerk")
    assert client.get("/kiosks").status_code == 403
    # CSRF on the principal's forms.
    auth.logout()
    auth.login("principal")
    assert client.post("/kiosks", data={"name": "Không có CSRF"}).status_code == 400
    assert client.post(f"/kiosks/{device.id}/revoke").status_code == 400


def test_kiosk_device_gets_403_on_every_staff_route(app, client, auth):
    auth.login("principal")
    tablet, device = kiosk_tablet(app, client)
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "allowed_roles", None)
        if not roles or "kiosk" in roles or "GET" not in rule.methods:
            continue
        values = {arg: "1" for arg in rule.arguments}
        url = rule.build(values)[1]
        assert tablet.get(url).status_code == 403, url
        checked += 1
    assert checked > 20
    for url in STAFF_PAGES:
        assert tablet.get(url).status_code == 403, url


def test_revoked_kiosk_gets_nothing(app, client, auth, make):
    auth.login("principal")
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    tablet, device = kiosk_tablet(app, client)
    form = tablet.get("/kiosk/K7QM3XPA")
    assert form.status_code == 200
    token = csrf_token_from(form.get_data(as_text=True))
    device.revoked_at = utcnow()
    db.session.commit()
    for url in ("/kiosk", "/kiosk/K7QM3XPA", "/kiosk/done", *STAFF_PAGES):
        page = tablet.get(url)
        assert page.status_code == 403, url
        html = page.get_data(as_text=True)
        assert dossier.procedure.name not in html and dossier.code not in html
    data = {"overall": "satisfied", "code": "K7QM3XPA", "csrf_token": token}
    for url in ("/kiosk", "/kiosk/K7QM3XPA"):
        assert tablet.post(url, data=data).status_code == 403
    assert count(Response) == 0
    # A forged or stale cookie is no kiosk either.
    forged = app.test_client()
    forged.set_cookie("hl_kiosk", f"{device.id}.{'A' * 43}")
    assert forged.get("/kiosk").status_code == 403
    assert forged.get("/dossiers").status_code == 403


def test_kiosk_round_trip_by_short_code(app, client, auth, make):
    auth.login("principal")
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    tablet, device = kiosk_tablet(app, client)
    start = tablet.get("/kiosk")
    assert start.status_code == 200 and 'name="code"' in start.get_data(as_text=True)
    found = kiosk_post(tablet, "/kiosk", {"code": "k7qm-3xpa"})
    assert found.status_code == 303 and found.headers["Location"] == "/kiosk/K7QM3XPA"
    form = tablet.get("/kiosk/K7QM3XPA")
    assert form.status_code == 200 and 'name="overall"' in form.get_data(as_text=True)
    answered = kiosk_post(tablet, "/kiosk/K7QM3XPA", {"overall": "very_satisfied"})
    assert answered.status_code == 303 and answered.headers["Location"] == "/kiosk/done"
    row = stored(dossier)
    assert row.channel.value == "kiosk" and row.kiosk_device_id == device.id
    assert row.entered_by_id is None  # nobody signed in on the tablet
    done = tablet.get("/kiosk/done").get_data(as_text=True)
    assert 'http-equiv="refresh" content="8;url=/kiosk"' in done and "Cảm ơn" in done
    assert tablet.get("/kiosk/K7QM3XPA").status_code == 409
    db.session.expire_all()
    assert db.session.get(KioskDevice, device.id).last_used_at is not None


def test_kiosk_never_looks_up_a_tracking_code_nor_another_school(app, client, auth, make):
    auth.login("principal")
    dossier = returned_dossier(make, short_code="K7QM3XPA")
    other = make.school(code="KHAC", name="Trường khác")
    foreign = returned_dossier(make, school=other, short_code="HJKM2345")
    tablet, _device = kiosk_tablet(app, client)
    assert kiosk_post(tablet, "/kiosk", {"code": dossier.code}).status_code == 404
    assert tablet.get(f"/kiosk/{dossier.code}").status_code == 404
    assert kiosk_post(tablet, "/kiosk", {"code": foreign.short_code}).status_code == 404
    assert tablet.get(f"/kiosk/{foreign.short_code}").status_code == 404
    assert kiosk_post(tablet, "/kiosk", {"code": ""}).status_code == 400
    for code in ("%00", "a%00b", "x" * 500, "%C3%28", "..%2F..", "K7QM3XP0"):
        assert tablet.get(f"/kiosk/{code}").status_code == 404, code
    assert count(Response) == 0


def test_kiosk_pages_show_no_other_dossiers(app, client, auth, make):
    auth.login("principal")
    mine = returned_dossier(make, short_code="K7QM3XPA")
    others = [returned_dossier(make, student_name=f"Học sinh {n}") for n in range(3)]
    tablet, _device = kiosk_tablet(app, client)
    pages = {
        "/kiosk": tablet.get("/kiosk"),
        "/kiosk/K7QM3XPA": tablet.get("/kiosk/K7QM3XPA"),
        "not found": kiosk_post(tablet, "/kiosk", {"code": "ZZZZ2222"}),
    }
    kiosk_post(tablet, "/kiosk/K7QM3XPA", {"overall": "satisfied"})
    pages["/kiosk/done"] = tablet.get("/kiosk/done")
    pages["answered"] = tablet.get("/kiosk/K7QM3XPA")
    for name, page in pages.items():
        html = page.get_data(as_text=True)
        for other in others:
            for secret in (other.code, other.short_code, other.token, other.student_name):
                assert secret not in html, (name, secret)
        for secret in (mine.code, mine.student_name, mine.applicant_name, mine.token):
            assert secret not in html, (name, secret)
        links = re.findall(r'(?:href|action)="([^"]+)"', html)
        for link in links:
            assert link.startswith(("/kiosk", "data:")), (name, link)
        assert "Đăng xuất" not in html


def test_a_new_enrolment_link_moves_the_device_to_another_tablet(app, client, auth):
    auth.login("principal")
    old_tablet, device = kiosk_tablet(app, client)
    token = csrf_token_from(client.get("/kiosks").get_data(as_text=True))
    made = client.post(f"/kiosks/{device.id}/link", data={"csrf_token": token})
    assert made.status_code == 303
    link = ENROL_LINK.search(client.get(made.headers["Location"]).get_data(as_text=True))
    assert old_tablet.get("/kiosk").status_code == 200  # until the new link is used
    new_tablet = enrol_tablet(app, link.group(0))
    assert new_tablet.get("/kiosk").status_code == 200
    assert old_tablet.get("/kiosk").status_code == 403
    assert _audit_actions() == [
        "kiosk_created",
        "kiosk_enrolled",
        "kiosk_link_issued",
        "kiosk_enrolled",
    ]
    client.post(f"/kiosks/{device.id}/revoke", data={"csrf_token": token})
    assert client.post(f"/kiosks/{device.id}/link", data={"csrf_token": token}).status_code == 409
