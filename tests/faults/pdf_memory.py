"""F11 worker: `python -m tests.faults.pdf_memory URL SCHOOL N` builds N monthly PDF reports
in this one process, sampling VmRSS; prints one JSON line with the samples (kB).

Each PDF is built from scratch and draws its four charts (the PDF's charts are never
cached), the worst case for a long-lived worker.
"""

import json
import sys
import time
from datetime import date


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main(url: str, code: str, count: int) -> dict:
    from flask_babel import force_locale
    from sqlalchemy import select

    from survey_app import create_app
    from survey_app.extensions import db
    from survey_app.reports import exports, pdf_charts, periods
    from survey_app.schools import School

    drawn = [0]
    draw = pdf_charts.drawing

    def counted(*args):
        drawn[0] += 1
        return draw(*args)

    pdf_charts.drawing = counted
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    samples, sizes = [], []
    started = time.monotonic()
    with app.app_context(), force_locale("vi"):
        school = db.session.scalars(select(School).where(School.code == code)).one()
        today = date.today()
        months = [periods.parse_period(f"{today.year - 1}-{m:02d}") for m in range(1, 13)]
        samples.append((0, rss_kb()))
        for i in range(count):
            data, _name, _media = exports.export(school, months[i % 12], True, "pdf", today)
            assert data.startswith(b"%PDF")
            sizes.append(len(data))
            db.session.remove()
            if (i + 1) % 10 == 0:
                samples.append((i + 1, rss_kb()))
    return {
        "samples": samples,
        "seconds": round(time.monotonic() - started, 1),
        "bytes": [min(sizes), max(sizes)],
        "draws": drawn[0],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
