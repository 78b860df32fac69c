"""Enrolling a kiosk tablet the way a principal does it: /kiosks, then the one-time link
opened on the tablet (its own client, no staff session)."""

import re

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.kiosk.models import KioskDevice
from tests.conftest import csrf_token_from

ENROL_LINK = re.compile(r"/kiosk/enrol/([A-Za-z0-9_-]{20,100})")


def enrolment_link(principal_client, name: str = "Máy tính bảng quầy 1") -> str:
    token = csrf_token_from(principal_client.get("/kiosks").get_data(as_text=True))
    made = principal_client.post("/kiosks", data={"name": name, "csrf_token": token})
    assert made.status_code == 303, made.status_code
    page = principal_client.get(made.headers["Location"])  # shown once
    assert page.status_code == 200, page.status_code
    return ENROL_LINK.search(page.get_data(as_text=True)).group(0)


def enrol_tablet(app, link: str):
    """A fresh browser that opens `link` and confirms: the kiosk tablet's client."""
    tablet = app.test_client()
    page = tablet.get(link)
    assert page.status_code == 200, page.status_code
    response = tablet.post(link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk"
    return tablet


def kiosk_tablet(app, principal_client, name: str = "Máy tính bảng quầy 1"):
    """(tablet client, its device row)."""
    tablet = enrol_tablet(app, enrolment_link(principal_client, name))
    db.session.expire_all()
    device = db.session.scalars(select(KioskDevice).where(KioskDevice.name == name)).one()
    return tablet, device


def kiosk_post(tablet, url: str, data: dict):
    """POST a kiosk form with the tablet's session CSRF token (read from the start page)."""
    token = csrf_token_from(tablet.get("/kiosk").get_data(as_text=True))
    return tablet.post(url, data={**data, "csrf_token": token})
