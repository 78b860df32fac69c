"""The dashboard as a to-do list: each number counts what its link lists; the month under
way shown with its count, never judged "Chưa đạt", and drawn dashed in the trend."""

import re
from datetime import datetime, timedelta

from matplotlib.lines import Line2D
from reportlab.graphics.shapes import Circle, Line, Rect
from reportlab.lib.colors import white

from survey_app.reports import charts, pdf, pdf_charts, periods, queries
from survey_app.reports import figures as F
from survey_app.timeutil import local_today, to_local, utcnow
from tests.test_figures import _apology, _case


def local_now() -> datetime:
    return to_local(utcnow()).replace(tzinfo=None, microsecond=0)


def _codes(html: str) -> set[str]:
    return set(re.findall(r"T-\d{6}", html))


def test_each_todo_number_links_to_the_list_it_counts(client, auth, make):
    principal = auth.login("principal")
    school, now, today = principal.school, local_now(), local_today()
    ago = lambda days: now - timedelta(days=days)  # noqa: E731
    overdue = make.dossier(school=school, received_at=ago(10), due_date=today - timedelta(days=1))
    due_today = make.dossier(school=school, received_at=ago(5), due_date=today)
    make.dossier(school=school, received_at=ago(1), due_date=today + timedelta(days=3))
    late = make.dossier(
        school=school, received_at=ago(20), due_date=today - timedelta(days=15), returned_at=ago(2)
    )
    apologised = make.dossier(
        school=school, received_at=ago(20), due_date=today - timedelta(days=15), returned_at=ago(2)
    )
    _apology(apologised, ago(16))
    returned_now = make.dossier(
        school=school, received_at=ago(2), due_date=today + timedelta(days=2), returned_at=now
    )
    make.dossier(
        received_at=ago(10),
        due_date=today - timedelta(days=1),
        school=make.school(code="OTHER", name="Trường khác"),
    )  # another school's
    answer = make.response(late, overall="dissatisfied")
    _case(answer, ago(9), today - timedelta(days=2))  # overdue
    _case(make.response(returned_now, overall="dissatisfied"), ago(0), today + timedelta(days=5))

    todo = queries.todo(school.id, today)
    assert (todo.overdue_cases, todo.dossiers_due, todo.dossiers_overdue) == (1, 2, 1)
    assert (todo.without_apology, todo.slips_today) == (2, 1)

    html = client.get("/dashboard").get_data(as_text=True)
    todo_html = html.split('class="todo"')[1].split("</section>")[0]
    tiles = re.findall(
        r'<a class="todo-tile[^"]*" href="([^"]+)">\s*<span class="big">([^<]+)', todo_html
    )
    by_link = {href.replace("&amp;", "&"): number for href, number in tiles}
    assert by_link["/cases?f=overdue"] == "1"
    assert by_link["/dossiers?state=due"] == "2"
    assert by_link["/dossiers?state=no_apology"] == "2"
    assert by_link["/dossiers/slips"] == "1"
    assert todo_html.index("Phản ánh quá hạn") < html.index("Tháng này") - html.index(
        'class="todo"'
    )
    # each link lists exactly what its number counts
    assert _codes(client.get("/dossiers?state=due").get_data(as_text=True)) == {
        overdue.code,
        due_today.code,
    }
    assert _codes(client.get("/dossiers?state=no_apology").get_data(as_text=True)) == {
        overdue.code,
        late.code,
    }
    slips = client.get("/dossiers/slips").get_data(as_text=True)
    assert returned_now.short_code[:4] in slips and late.short_code[:4] not in slips
    assert "quá hạn" in client.get("/cases?f=overdue").get_data(as_text=True).lower()


def test_the_month_under_way_is_never_judged_and_the_interval_is_explained_once(client, auth, make):
    principal = auth.login("principal")
    dossier = make.dossier(school=principal.school, received_at=local_now() - timedelta(minutes=5))
    make.response(dossier, overall="dissatisfied")  # 0% satisfied this month
    html = client.get("/dashboard").get_data(as_text=True)
    month = html.split("Tháng này")[1].split("Từ đầu năm")[0]
    assert "Đang diễn ra" in month and "tạm tính" in month
    assert "Chưa đạt" not in month and "row-bad" not in month
    assert "0,0%" in month and "0/1" in month  # its count is shown
    assert "Chưa đạt" in html.split("Từ đầu năm")[1]  # a judged period still says so
    assert "KTC" not in html
    assert html.count("tỷ lệ thật nằm trong khoảng này") == 1 + html.count('title="Khoảng tin cậy')


def test_the_trend_draws_the_month_under_way_dashed(app, make):
    school = make.school()
    make.response(make.dossier(school=school, received_at=local_now() - timedelta(minutes=5)))
    with app.test_request_context():
        month = periods.month_of(local_today())
        data = charts.trend_data(school.id, month, F.targets(school.id, month))
        fig = charts.draw_trend(data)
        pdf.register_fonts()  # as the PDF writer does before it draws (the test may run alone)
        drawing = pdf_charts.trend(data)
    running = data[8]
    assert running[-1] is True and not any(running[:-1])
    lines = [a for a in fig.axes[0].get_lines() if isinstance(a, Line2D)]
    dashed = [line for line in lines if line.get_linestyle() == "--"]
    assert len(dashed) == 2  # coverage and satisfaction, the last segment of each
    solid = [line for line in lines if line.get_linestyle() == "-"]
    for line in solid:  # the closed months' lines never reach the month under way
        ys = line.get_ydata()
        assert len(ys) == 12 and ys[-1] != ys[-1]  # NaN
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "đang diễn ra" in ticks[-1]
    # the PDF's chart alike: one dashed segment a series, the month's markers hollow
    shapes = drawing.contents
    dashed = [s for s in shapes if isinstance(s, Line) and s.strokeDashArray == [4, 2]]
    assert not dashed  # no closed month before it has a figure: nothing to join
    markers = [s for s in shapes if isinstance(s, Circle) or isinstance(s, Rect) and s.width < 10]
    hollow = [s for s in markers if s.fillColor == white]
    assert len(hollow) == sum(v is not None for v in (data[1][-1], data[2][-1])) >= 1
