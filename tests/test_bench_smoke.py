"""The benchmarks' moving parts, once each on tiny data, so `make bench` cannot rot.

Nothing here measures speed: each benchmark's subject runs once and its result is checked
(status codes, stored rows, seeded figures, a PDF), plus the wrk script and the report.
"""

import shutil
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bench import b1_submit, b3_aggregate, b4_slips, b5_charts, floor_app, report
from bench.common import Database, alternate, write_requests, wrk
from bench.seed import history_bounds, seed_base, seed_history, seed_tokens
from survey_app.cases.models import Case
from survey_app.cases.routing import case_due_date
from survey_app.dossiers.intake import dossier_fields, link_expiry
from survey_app.dossiers.models import Dossier
from survey_app.dossiers.qr import qr_svg
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.notify.models import Outbox
from survey_app.reports import charts, exports, figures, pdf_charts, queries
from survey_app.reports.periods import Period
from survey_app.schools import School
from survey_app.survey.models import Response
from survey_app.timeutil import local_to_utc, local_today, to_local, utcnow


def _db(app) -> Database:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return Database("postgresql" if url.startswith("postgresql") else "sqlite", "test", url)


@pytest.fixture
def history(app):
    """A school with 400 bulk-seeded dossiers over the 3 months before this one."""
    base = seed_base(app, "SMOKE")
    start, end = history_bounds(3, date(2026, 5, 15))
    seed_history(app, _db(app), base, 400, start, end)
    return base, Period("custom", "custom", start, end)


def test_b1_submit_bodies_are_accepted_and_stored(app, client):
    base = seed_base(app, "SMOKE")
    tokens = seed_tokens(app, base, 2, utcnow() - timedelta(hours=1), "T")
    key = app.config["SECRET_KEY"]
    for k, token in enumerate(tokens):  # k = 0: dissatisfied, opens a case and a mail
        response = client.post(
            f"/s/{token}",
            data=b1_submit.body(token, k, key),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert db.session.scalar(select(func.count(Response.id))) == 2
    assert db.session.scalar(select(func.count(Case.id))) == 1
    assert db.session.scalar(select(func.count(Outbox.id))) == 1
    # The same token again is refused: the pool must never repeat a token.
    again = client.post(
        f"/s/{tokens[1]}",
        data=b1_submit.body(tokens[1], 1, key),
        content_type="application/x-www-form-urlencoded",
    )
    assert again.status_code == 409


def test_b1_floor_route_stores_the_bare_answer(app, client):
    """B1's baseline, on both engines: the bare lookup stores response, answers, audit."""
    floor_app.register(app)
    base = seed_base(app, "SMOKE")
    (token,) = seed_tokens(app, base, 1, utcnow() - timedelta(hours=1), "F")
    body = b1_submit.body(token, 1, app.config["SECRET_KEY"])
    kind = "application/x-www-form-urlencoded"
    response = client.post(f"/bench/floor/{token}", data=body, content_type=kind)
    assert response.status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.overall == "very_satisfied" and stored.answers == []  # step 1: overall only
    audited = db.session.execute(
        text("SELECT entity_id FROM audit WHERE action = 'survey_answered'")
    )
    assert audited.scalars().all() == [stored.id]
    assert client.post(f"/bench/floor/{token}", data=body, content_type=kind).status_code == 409
    assert client.post("/bench/floor/unknown", data=body, content_type=kind).status_code == 404


def test_b2_page_of_a_seeded_token(app, client):
    base = seed_base(app, "SMOKE")
    (token,) = seed_tokens(app, base, 1, utcnow() - timedelta(hours=1), "P")
    assert client.get(f"/s/{token}").status_code == 200


def test_b3_seeded_history_figures_and_plans(app, history):
    base, period = history
    fig = figures.compute(base.school_id, period)
    assert fig.intake.received == 400
    assert fig.intake.surveyed == 320  # every 5th id unanswered
    assert fig.intake.withdrawn == 20  # every 20th id withdrawn
    assert fig.intake.dissatisfied == fig.cases.opened > 0
    assert fig.intake.qr + fig.intake.code + fig.intake.paper + fig.intake.kiosk == 320
    answered = {a.question.code: a.answered for a in fig.aspects}
    assert set(answered.values()) == {320}  # six answers per response
    a, b = period.bounds_utc
    b += timedelta(days=30)  # answers come after the return, up to 10 days after receipt
    with b3_aggregate.Capture(db.engine) as cap:
        count = db.session.execute(text(b3_aggregate.BASELINE_SQL), {"m": a, "m_next": b}).scalar()
        figures.compute(base.school_id, period)
    assert count == 320
    plans = [b3_aggregate.explain(s, p, _db(app).kind) for s, p in cap.statements]
    assert len(plans) >= 5 and all(p["plan"] for p in plans)
    if _db(app).kind == "sqlite":  # no statistics: the plans the schema and the SQL give
        (returns,) = [p["plan"] for p in plans if " AS returned," in p["sql"]]
        (notices,) = [p["plan"] for p in plans if " AS supplement," in p["sql"]]
        # returns(): the school's resolved dossiers counted on the index entries alone
        assert "COVERING INDEX ix_dossier_school_resolved" in returns
        # notices(): the period's forms by issue time, not every dossier of the school
        assert "SEARCH notice USING INDEX ix_notice_issued" in notices
        # provenance(): answers per device key from the keyed answers only
        with b3_aggregate.Capture(db.engine) as cap:
            queries.provenance(base.school_id, period)
        (split,) = [(s, p) for s, p in cap.statements if " AS surveyed," in s]
        assert "ix_response_device_key" in b3_aggregate.explain(*split, "sqlite")["plan"]


def test_seeded_history_dates_follow_the_app_rules(app, history):
    """The bulk seed's received_on, due date, link expiry and case due date are the app's
    rules' answers (`dossier_fields`, `link_expiry`, `case_due_date`), for receipts at every
    hour, evenings and weekends."""
    base, _period = history
    school = db.session.get_one(School, base.school_id)
    calendar = WorkCalendar(school.id)
    moved = 0
    for d in db.session.scalars(select(Dossier).where(Dossier.school_id == school.id)):
        rule = dossier_fields(
            school, d.procedure, calendar, student_name="A", received_at=d.received_at
        )
        assert (d.received_on, d.due_date) == (rule["received_on"], rule["due_date"]), d.code
        if d.returned_at is not None:
            assert d.token_expires_at == link_expiry(calendar, d.returned_at), d.code
        moved += d.received_on != to_local(d.received_at).date()
    assert moved > 50  # receipts after closing or on a day off count from the next opening
    cases = db.session.scalars(select(Case).where(Case.school_id == school.id)).all()
    opened_on_day_off = 0
    for case in cases:
        assert case.due_date == case_due_date(school.id, case.opened_at), case.id
        opened_on_day_off += not calendar.is_working_day(to_local(case.opened_at).date())
    assert len(cases) > 10 and opened_on_day_off > 0


def test_b4_qr_baseline_and_slip_sheet_pdf(app, client, auth):
    base = seed_base(app, "SLIPS")
    day = local_today() - timedelta(days=1)
    returned = local_to_utc(datetime.combine(day, datetime.min.time()) + timedelta(hours=10))
    tokens = seed_tokens(app, base, 3, returned, "S")
    assert qr_svg(f"http://localhost/s/{tokens[0]}").startswith("<svg")
    auth.login("clerk", school=db.session.get(School, base.school_id))
    sheet = client.get(f"/dossiers/slips?date={day.isoformat()}")
    assert sheet.status_code == 200
    assert sheet.get_data(as_text=True).count('class="qr"') == 3


@pytest.mark.browser
def test_b4_print_sheet_to_pdf(app, browser, live_server):
    base = seed_base(app, "SLIPS")
    day = local_today() - timedelta(days=1)
    returned = local_to_utc(datetime.combine(day, datetime.min.time()) + timedelta(hours=10))
    seed_tokens(app, base, 9, returned, "S")
    context = browser.new_context()
    try:
        page = context.new_page()
        b4_slips.login(page, live_server.url, base.clerk_username)
        info: dict = {}
        pdf = b4_slips.print_sheet(page, f"{live_server.url}/dossiers/slips?date={day}", info)
    finally:
        context.close()
    assert pdf.startswith(b"%PDF")
    assert b4_slips.pdf_pages(pdf) == 2  # 8 slips per A4 sheet
    assert info["load_s"] > 0 and info["pdf_s"] > 0


def test_b5_report_and_bare_chart(app, history, monkeypatch):
    base, _period = history
    school = db.session.get(School, base.school_id)
    month = Period("2026-03", "month", date(2026, 3, 1), date(2026, 4, 1))
    drawn = []
    draw = pdf_charts.drawing
    monkeypatch.setattr(pdf_charts, "drawing", lambda *a: drawn.append(a[0]) or draw(*a))
    pdf = exports.export(school, month, True, "pdf")[0]
    assert pdf.startswith(b"%PDF")
    assert sorted(drawn) == sorted(charts.NAMES)  # every chart drawn for the report
    assert b5_charts.bare_chart().startswith(b"\x89PNG")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_script_counts_statuses(app, live_server, tmp_path):
    base = seed_base(app, "SMOKE")
    (token,) = seed_tokens(app, base, 1, utcnow() - timedelta(hours=1), "W")
    requests = write_requests(tmp_path / "r.txt", [("GET", f"/s/{token}", ""), ("GET", "/x", "")])
    result = wrk(live_server.url, requests, 1, connections=2)
    assert result["requests"] > 0
    assert set(result["statuses"]) == {200, 404}
    assert result["issued"] >= result["requests"]
    assert result["wrapped"] > 0


def test_alternation_and_report_tables():
    values = iter([10.0, 2.0, 10.0, 3.0, 10.0, 4.0])
    alt = alternate(lambda i: next(values), lambda i: next(values), 3, "req/s", True)
    summary = alt.summary(0.2)
    assert summary["ratio"] == 0.3 and summary["pass"] is True
    assert summary["baseline_all"] == [10.0, 10.0, 10.0]
    row = {"benchmark": "B1", "db": "sqlite", **summary}
    table = report.summary_table([row])
    assert "| B1 | submit ÷ raw-SQL floor (req/s) | sqlite | 10 | 3 | **0.3** (0.2–0.4)" in table
