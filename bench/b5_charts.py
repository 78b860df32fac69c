"""B5 report charts: the monthly PDF report end to end, against K bare matplotlib charts.

Subject: `reports.exports.export(school, month, personal=True, fmt="pdf")`, the function
the web export and `flask report monthly` call: every figure query, K = 4 charts drawn
from those figures as reportlab drawings (pdf_charts.py; the PDF's charts are never cached),
the tables, reportlab and the embedded fonts. Baseline, same process: K × one bare
matplotlib `Figure()` bar chart `savefig(BytesIO, format="png")`. Ratio = subject /
baseline (≤ 2). Then 200 more reports with the process RSS before and after: growth
≤ 20 MB. The XLSX export (no charts) is timed for information.

    .venv/bin/python -m bench.b5_charts [--db sqlite|postgresql|both] [--reps 5] [--reports 200]
"""

import argparse
import json
import statistics
import sys
from datetime import date
from io import BytesIO

from bench.common import alternate, db_version, log, machine, rss_mb, timed
from bench.site import Site, site

THRESHOLD = 2.0
RSS_LIMIT_MB = 20.0


def bare_chart() -> bytes:
    """The baseline: one bare Figure() bar chart saved as PNG (matplotlib's object API)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    fig.add_subplot().bar(range(5), [3, 1, 4, 1, 5])
    buf = BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def last_month():
    from survey_app.reports.periods import month

    today = date.today()
    m = today.year * 12 + today.month - 2
    return month(m // 12, m % 12 + 1)


def run(s: Site, reps: int = 5, reports: int = 200) -> dict:
    from survey_app.extensions import db as sa
    from survey_app.reports import charts, exports, pdf_charts
    from survey_app.schools import School

    period = last_month()
    k = len(charts.NAMES)
    drawn = [0]
    draw = pdf_charts.drawing

    def counted(*args, **kwargs):
        drawn[0] += 1
        return draw(*args, **kwargs)

    pdf_charts.drawing = counted
    with s.app.app_context():
        school = sa.session.get(School, s.base.school_id)

        def report(fmt: str = "pdf") -> bytes:
            data = exports.export(school, period, True, fmt)[0]
            sa.session.rollback()
            return data

        def baseline(_i):
            return timed(lambda: [bare_chart() for _ in range(k)])

        def subject(_i):
            return timed(report)

        pdf = report()  # warm-up: imports, fonts, first draw
        baseline(0)
        alt = alternate(baseline, subject, reps, "s", False, f"B5 {s.db.kind}")
        draws_before = drawn[0]
        xlsx = statistics.median(timed(lambda: report("xlsx")) for _ in range(3))
        rss_start = rss_mb()
        log(f"B5 {s.db.kind}: {reports} reports for the RSS check, from {rss_start:.1f} MB")
        rss_samples = []
        for n in range(reports):
            report()
            if (n + 1) % 50 == 0:
                rss_samples.append(round(rss_mb(), 1))
        rss_end = rss_mb()
        draws = drawn[0] - draws_before
    pdf_charts.drawing = draw
    summary = alt.summary(THRESHOLD)
    growth = rss_end - rss_start
    return {
        "benchmark": "B5",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        "month": period.key,
        "charts_per_report": k,
        **summary,
        "pdf_bytes": len(pdf),
        "xlsx_s": round(xlsx, 3),
        "rss_reports": reports,
        "charts_drawn": draws,
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_samples_mb": rss_samples,
        "rss_growth_mb": round(growth, 1),
        "rss_pass": growth <= RSS_LIMIT_MB,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--reports", type=int, default=200)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    out = {"machine": machine(), "results": []}
    for kind in kinds:
        with site(kind, serve=False) as s:
            out["results"].append(run(s, args.reps, args.reports))
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
