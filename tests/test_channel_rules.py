"""Same rules on every channel: qr, code, paper and kiosk all ask survey.refusal, and each
shows the same refusal for an expired link, an answered dossier and (paper, kiosk) the
clerk who handled the dossier. Paper after expiry: only with a reason, counted apart."""

from datetime import timedelta

import pytest

from survey_app.extensions import db
from survey_app.reports import queries
from survey_app.reports.periods import custom
from survey_app.survey.models import Response, ResponseChannel
from survey_app.survey.refusal import refusal
from survey_app.timeutil import local_today, utcnow
from tests.conftest import PASSWORD, csrf_token_from
from tests.kiosk_helpers import kiosk_post, kiosk_tablet
from tests.test_survey import count, local_now, returned_dossier, stored

CHANNELS = ("qr", "code", "paper", "kiosk")
EXPIRED_TEXT = "Thời hạn khảo sát của hồ sơ này đã hết"
ANSWERED_TEXT = "mỗi hồ sơ chỉ một phiếu"
HANDLED_TEXT = "nhờ một cán bộ khác nhập"


def _login(client, username: str) -> None:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303


class Desk:
    """A school with a principal and two clerks, a kiosk tablet, and a way to try one
    dossier on each channel the way its real user does."""

    def __init__(self, app, client, auth, make):
        self.app, self.make = app, make
        self.principal = auth.login("principal", username="hieutruong")
        self.clerk = make.user("clerk", username="tiepnhan")
        self.typist = make.user("clerk", username="nhapphieu")
        self.tablet, self.device = kiosk_tablet(app, client)
        self.paper = app.test_client()
        _login(self.paper, "nhapphieu")

    def dossier(self, **kw):
        return returned_dossier(self.make, **kw)

    def attempt(self, channel: str, dossier, tablet=None):
        """(GET status, POST status, page text) of `channel` for `dossier`."""
        data = {"overall": "satisfied"}
        if channel in ("qr", "code"):
            client = self.app.test_client()
            url = f"/s/{dossier.token}" + ("?via=code" if channel == "code" else "")
            if channel == "code":  # the parent types the slip's code at /s first
                typed = client.post("/s", data={"code": dossier.short_code_display})
                assert typed.status_code == 303 and typed.headers["Location"].endswith(url)
            page = client.get(url)
            posted = client.post(url, data={**data, "csrf_token": "x"})
        elif channel == "paper":
            url = f"/survey-entry/{dossier.code}"
            page = self.paper.get(url)
            token = csrf_token_from(self.paper.get("/survey-entry").get_data(as_text=True))
            posted = self.paper.post(url, data={**data, "csrf_token": token})
        else:
            tablet = tablet or self.tablet
            url = f"/kiosk/{dossier.short_code}"
            page = tablet.get(url)
            posted = kiosk_post(tablet, url, data)
        return page.status_code, posted.status_code, page.get_data(as_text=True)


@pytest.fixture
def desk(app, client, auth, make):
    return Desk(app, client, auth, make)


def _expire(dossier) -> None:
    dossier.token_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


@pytest.mark.parametrize("channel", CHANNELS)
def test_expired_link_is_refused_on_every_channel(desk, channel):
    dossier = desk.dossier(received_by_id=desk.clerk.id, returned_by_id=desk.clerk.id)
    _expire(dossier)
    operator = desk.typist if channel == "paper" else None
    refused = refusal(dossier, ResponseChannel(channel), operator)
    assert (refused.reason, refused.status) == ("expired", 410)
    got, posted, html = desk.attempt(channel, dossier)
    if channel == "paper":
        # The form opens, asking for the reason; without one nothing is stored.
        assert got == 200 and EXPIRED_TEXT in html and 'name="late_reason"' in html
        assert posted == 400
    else:
        assert (got, posted) == (410, 410)
        if channel == "kiosk":
            assert EXPIRED_TEXT in html
    assert count(Response) == 0


@pytest.mark.parametrize("channel", CHANNELS)
def test_answered_dossier_is_refused_on_every_channel(desk, channel):
    dossier = desk.dossier()
    desk.make.response(dossier, channel="qr")
    refused = refusal(dossier, ResponseChannel(channel), desk.typist)
    assert (refused.reason, refused.status) == ("answered", 409)
    got, posted, html = desk.attempt(channel, dossier)
    assert (got, posted) == (409, 409)
    if channel in ("paper", "kiosk"):
        assert ANSWERED_TEXT in html
    assert count(Response) == 1


@pytest.mark.parametrize("channel", ("paper", "kiosk"))
@pytest.mark.parametrize("handled", ("received_by_id", "returned_by_id"))
def test_the_handling_clerk_never_enters_the_answer(app, desk, channel, handled):
    dossier = desk.dossier(**{handled: desk.typist.id})
    refused = refusal(dossier, ResponseChannel(channel), desk.typist)
    assert (refused.reason, refused.status) == ("handled", 403)
    # Kiosk: the handling clerk signed in on the tablet is the same clerk at the tablet.
    tablet = None
    if channel == "kiosk":
        tablet = desk.tablet
        _login(tablet, "nhapphieu")
    got, posted, html = desk.attempt(channel, dossier, tablet)
    assert (got, posted) == (403, 403) and HANDLED_TEXT in html
    assert count(Response) == 0
    # Anyone else may: another clerk on paper, the parent alone on the kiosk.
    other = app.test_client()
    _login(other, "tiepnhan")
    if channel == "paper":
        desk.paper = other
        expected_by = desk.clerk.id
    else:
        token = csrf_token_from(desk.tablet.get("/kiosk").get_data(as_text=True))
        assert desk.tablet.post("/logout", data={"csrf_token": token}).status_code in (302, 303)
        expected_by = None
    got, posted, _html = desk.attempt(channel, dossier)
    assert (got, posted) == (200, 303)
    assert stored(dossier).entered_by_id == expected_by


def test_self_service_ignores_who_handled_it(desk):
    """A parent's own link names no operator: the handling-clerk rule is not theirs."""
    dossier = desk.dossier(received_by_id=desk.clerk.id)
    for channel in (ResponseChannel.QR, ResponseChannel.CODE):
        assert refusal(dossier, channel, None) is None


def test_paper_after_expiry_needs_a_reason_and_is_counted_apart(desk):
    late = desk.dossier()
    on_time = desk.dossier()
    _expire(late)
    url = f"/survey-entry/{late.code}"
    token = csrf_token_from(desk.paper.get(url).get_data(as_text=True))
    for reason in ("", "   "):
        refused = desk.paper.post(
            url, data={"overall": "satisfied", "late_reason": reason, "csrf_token": token}
        )
        assert refused.status_code == 400 and EXPIRED_TEXT in refused.get_data(as_text=True)
    too_long = desk.paper.post(
        url, data={"overall": "satisfied", "late_reason": "x" * 501, "csrf_token": token}
    )
    assert too_long.status_code == 400
    assert count(Response) == 0
    reason = "Phụ huynh gửi phiếu qua đường bưu điện, nhận sau hạn"
    saved = desk.paper.post(
        url, data={"overall": "satisfied", "late_reason": reason, "csrf_token": token}
    )
    assert saved.status_code == 303
    assert stored(late).late_entry_reason == reason
    # A form entered in time keeps no reason, even if one is typed.
    in_time = desk.paper.post(
        f"/survey-entry/{on_time.code}",
        data={"overall": "satisfied", "late_reason": "không cần", "csrf_token": token},
    )
    assert in_time.status_code == 303 and stored(on_time).late_entry_reason is None
    today = local_today()
    figures = queries.intake(late.school_id, custom(today - timedelta(days=30), today))[None]
    assert (figures.paper, figures.paper_late) == (2, 1)


def test_the_principals_dashboard_shows_late_paper_entries(client, auth, make):
    auth.login("principal")
    now = local_now()
    dossier = make.dossier(
        received_at=now - timedelta(minutes=2), returned_at=now - timedelta(minutes=1)
    )
    make.response(dossier, channel="paper", late_entry_reason="Phiếu gửi qua bưu điện")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Phiếu giấy nhập sau khi hết hạn khảo sát (có ghi lý do): 1" in html
