"""The dashboard and the report page in a real browser: charts load, nothing is blocked."""

from datetime import datetime, time, timedelta

from survey_app.extensions import db
from survey_app.timeutil import local_today
from tests.conftest import browser_login


def test_dashboard_and_report_page_render_with_their_charts(live_server, desktop, make, tmp_path):
    principal = make.user(role="principal")
    today = local_today()
    for days in range(0, 120, 3):
        day = today - timedelta(days=days)
        dossier = make.dossier(
            received_at=datetime.combine(day, time(8)),
            returned_at=datetime.combine(day, time(9)) if days else None,
            intake_channel="online_l4" if days % 2 else "counter",
        )
        if days:
            make.response(dossier, overall="dissatisfied" if days % 9 == 0 else "satisfied")
    db.session.commit()
    problems = []
    desktop.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    desktop.on("pageerror", lambda e: problems.append(str(e)))
    browser_login(desktop, live_server, principal)

    desktop.goto(f"{live_server.url}/dashboard")
    desktop.wait_for_load_state("networkidle")
    assert desktop.locator("h1").inner_text().startswith("Tổng quan")
    assert desktop.locator("table.figures").count() == 2
    width = desktop.eval_on_selector("img.chart", "img => img.naturalWidth")
    assert width > 100  # the SVG trend chart was served and decoded
    desktop.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    desktop.goto(f"{live_server.url}/reports?period={today:%Y-%m}")
    desktop.wait_for_load_state("networkidle")
    widths = desktop.eval_on_selector_all("img.chart", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 4 and min(widths) > 100
    assert problems == []  # no CSP violation, no script error
