"""Unbounded work (issue 16, finding 3): a day's slip sheet comes a page at a time (80
slips, with links to the other pages), whatever the number of returns that day."""

import re
from datetime import datetime, timedelta

from survey_app.dossiers import print_views
from survey_app.timeutil import local_today


def test_slip_sheet_is_paginated(client, auth, make, monkeypatch):
    assert print_views.SLIPS_PER_PAGE == 80  # ten A4 sheets of eight
    monkeypatch.setattr(print_views, "SLIPS_PER_PAGE", 16)  # the same code, fewer rows
    auth.login("clerk")
    today = local_today()
    morning = datetime.combine(today, datetime.min.time()) + timedelta(minutes=30)
    received = morning - timedelta(days=5)
    made = [
        make.dossier(received_at=received, returned_at=morning + timedelta(minutes=i))
        for i in range(37)
    ]
    codes = []
    for number, expected in ((1, 16), (2, 16), (3, 5)):
        page = client.get(f"/dossiers/slips?date={today.isoformat()}&page={number}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert html.count('<svg class="qr"') == expected
        assert "37 phiếu" in html and f"Trang {number}/3" in html
        codes += re.findall(r'class="short-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', html)
        if number < 3:
            assert f"page={number + 1}" in html and f"date={today.isoformat()}" in html
    assert codes == [d.short_code_display for d in made]  # every slip once, in order of return
    past_the_end = client.get(f"/dossiers/slips?date={today.isoformat()}&page=9")
    assert past_the_end.status_code == 200
    assert '<svg class="qr"' not in past_the_end.get_data(as_text=True)
