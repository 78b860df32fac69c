"""The whole follow-up as people see it, in Debian's Chromium: principal, then parent."""

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app.cases.models import Case, CaseStatus, EventKind
from survey_app.cases.routing import route_response
from survey_app.extensions import db
from survey_app.timeutil import LOCAL_TZ
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
# HL_SHOTS=/some/dir saves screenshots of each screen (for looking at them, not asserting).
SHOTS = os.environ.get("HL_SHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def complaint(make):
    now = datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    clerk = make.user("clerk", username="motcua")
    dossier = make.dossier(
        received_at=now - timedelta(days=9),
        returned_at=now - timedelta(days=1),
        received_by=clerk,
        returned_by=clerk,
    )
    details = {"visits": "2+", "staff_attitude": "dissatisfied", "extra_payment": "no"}
    response = make.response(
        dossier,
        overall="dissatisfied",
        details=details,
        reasons=["many_visits", "impolite"],
        comment=f"Phải đi lại ba lần mới xong. {XSS}\nMong nhà trường xem lại.",
        contact_consent=True,
        contact_phone="0912345678",
    )
    case = route_response(response, details)
    db.session.commit()
    return dossier, case


def test_principal_works_the_case_and_the_parent_reopens_it(live_server, desktop, phone, make):
    principal = make.user("principal", username="hieutruong", email="ht@school.test")
    dossier, case = complaint(make)
    db.session.commit()
    dialogs = []
    for page in (desktop, phone):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    browser_login(desktop, live_server, principal)
    desktop.goto(f"{live_server.url}/cases")
    comment = desktop.locator("td.comment").first
    assert XSS in comment.inner_text()
    assert desktop.locator("td.comment img").count() == 0
    shot(desktop, "inbox")

    desktop.click(f"text={dossier.code}")
    desktop.wait_for_url(f"**/cases/{case.id}")
    assert XSS in desktop.locator("blockquote.comment").first.inner_text()
    assert desktop.locator("a.phone").inner_text() == "0912345678"
    desktop.fill("textarea[name=text]", "Đã hỏi cán bộ một cửa về hồ sơ.")
    desktop.click("button:has-text('Thêm ghi chú')")
    desktop.select_option("select[name=outcome]", "reached")
    desktop.fill("textarea[name=notes]", "Phụ huynh cho biết phải bổ sung giấy tờ hai lần.")
    desktop.click("button:has-text('Ghi lại cuộc gọi')")
    desktop.click("button:has-text('Bắt đầu xử lý')")
    desktop.fill(
        "textarea[name=resolution]",
        "Nhà trường đã rà soát, nhắc nhở cán bộ và niêm yết rõ danh mục giấy tờ.",
    )
    desktop.select_option("select[name=root_cause]", "papers")
    shot(desktop, "case-before-resolve")
    desktop.click("button:has-text('Đánh dấu đã giải quyết')")
    desktop.wait_for_load_state()
    assert "Đã giải quyết" in desktop.locator(".case-head .status").inner_text()
    assert desktop.locator("ol.timeline li").count() == 2 + 4
    shot(desktop, "case-resolved")
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.status is CaseStatus.RESOLVED
    assert [e.kind for e in stored.events] == [
        EventKind.NOTE,
        EventKind.CALL,
        EventKind.STATUS,
        EventKind.STATUS,
    ]

    # The parent opens their own link on a phone with JavaScript off.
    phone.goto(f"{live_server.url}/s/{dossier.token}")
    body = phone.locator("body").inner_text()
    assert "niêm yết rõ danh mục giấy tờ" in body
    assert f"— {dossier.school.name}" in body
    assert principal.full_name not in body
    assert "Ông/Bà có hài lòng với cách nhà trường giải quyết không?" in body
    shot(phone, "parent-loop")
    phone.check("input[name=answer][value=no]")
    phone.fill("textarea[name=comment]", "Tôi vẫn chưa hài lòng.")
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    assert "Cảm ơn Ông/Bà đã phản hồi" in phone.locator("body").inner_text()
    shot(phone, "parent-thanks")

    db.session.rollback()
    db.session.expire_all()
    reopened = db.session.get(Case, case.id)
    assert reopened.status is CaseStatus.OPEN and reopened.parent_satisfied is False
    parent_event = db.session.scalars(select(Case).where(Case.id == case.id)).one().events[-1]
    assert parent_event.kind is EventKind.PARENT and parent_event.author_id is None

    desktop.goto(f"{live_server.url}/cases/{case.id}")
    assert "Không hài lòng — mở lại phản ánh" in desktop.locator("ol.timeline").inner_text()
    shot(desktop, "case-reopened")
    assert dialogs == []
