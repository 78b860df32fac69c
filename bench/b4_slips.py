"""B4 QR slip PDF: 1,000 survey slips as one PDF, against 1,000 QR codes.

The product has no server-side PDF for slips: the clerk prints the A4 sheet of 8 slips
(`/dossiers/slips?date=...`) from the browser. So the subject is what that costs end to end:
gunicorn renders the sheet for a day with 1,000 returned dossiers (1,000 inline SVG QR codes,
80 to a page since issue 16: 13 pages of `?page=N`), and Chromium (Playwright, headless)
loads each page and prints it with `page.pdf()` to bytes; the subject is all of them.
Baseline: 1,000 × `survey_app.dossiers.qr.qr_svg(url)` in this process — the project's own
QR function (python-qrcode; the benchmark checklist names segno, which the project does not use).
Ratio = subject time / baseline time (≤ 3); absolute times are recorded too.

    .venv/bin/python -m bench.b4_slips [--db sqlite|postgresql|both] [--reps 5]
"""

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta

from bench.common import BENCH_DIR, Disturbed, alternate, db_version, log, machine, timed
from bench.seed import PASSWORD, seed_base, seed_tokens
from bench.site import Site, site

THRESHOLD = 3.0
SLIPS = 1000
CHROMIUM = "/usr/bin/chromium"


def seed_day(s: Site):
    """A second school whose 1,000 dossiers were all returned yesterday (local)."""
    from survey_app.timeutil import local_to_utc, local_today

    day = local_today() - timedelta(days=1)
    base = seed_base(s.app, "SLIPS")
    returned = local_to_utc(datetime.combine(day, datetime.min.time()) + timedelta(hours=10))
    tokens = seed_tokens(s.app, base, SLIPS, returned, "S")
    return base, day, tokens


def login(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login" in page.url:
        raise RuntimeError(f"login as {username} failed at {page.url}")


def print_sheet(page, sheet_url: str, info: dict) -> bytes:
    """Load the A4 sheet of slips and print it to PDF bytes (times into `info`)."""
    start = time.perf_counter()
    response = page.goto(sheet_url, wait_until="load")
    info["load_s"] = time.perf_counter() - start
    if response.status != 200:
        raise Disturbed(f"the slip sheet answered {response.status}")
    info["html_bytes"] = len(response.body())
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    info["pdf_s"] = time.perf_counter() - start - info["load_s"]
    return pdf


def pdf_pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def run(s: Site, reps: int = 5, keep_pdf: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    from survey_app.dossiers.qr import qr_svg

    base, day, tokens = seed_day(s)
    url = s.server.url
    urls = [f"{url}/s/{t}" for t in tokens]
    sheet = f"{url}/dossiers/slips?date={day.isoformat()}"
    info: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(180_000)
        login(page, url, base.clerk_username)

        def print_pdf() -> list[bytes]:
            """Every page of the day's sheet (80 slips each), times and sizes summed."""
            from survey_app.dossiers.print_views import SLIPS_PER_PAGE

            pdfs, totals = [], {"load_s": 0.0, "pdf_s": 0.0, "html_bytes": 0}
            for number in range(1, -(-SLIPS // SLIPS_PER_PAGE) + 1):
                pdfs.append(print_sheet(page, f"{sheet}&page={number}", info))
                for key in totals:
                    totals[key] += info[key]
            info.update(totals)
            return pdfs

        def baseline(_i):
            return timed(lambda: [qr_svg(u) for u in urls])

        loads, prints = [], []

        def subject(_i):
            elapsed = timed(lambda: info.__setitem__("pdf", print_pdf()))
            printed = sum(pdf_pages(p) for p in info["pdf"])
            if printed != -(-SLIPS // 8):
                raise Disturbed(f"the PDFs have {printed} pages")
            loads.append(info["load_s"])
            prints.append(info["pdf_s"])
            return elapsed

        baseline(0), subject(0)  # warm-up: workers, templates, Chromium's first layout
        alt = alternate(baseline, subject, reps, "s", False, f"B4 {s.db.kind}")
        pdf = info["pdf"][0]  # the first page's file is kept
        version = browser.version
        browser.close()
    pages = sum(pdf_pages(p) for p in info["pdf"])
    shot = None
    if keep_pdf:
        path = BENCH_DIR / f"slips-{s.db.kind}.pdf"
        path.write_bytes(pdf)
        shot = str(path)
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(path)[:-4]],
            check=False,
        )
    log(f"B4 {s.db.kind}: {pages} pages, {sum(len(p) for p in info['pdf']):,} bytes")
    summary = alt.summary(THRESHOLD)
    return {
        "benchmark": "B4",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        "chromium": version,
        **summary,
        "slips": SLIPS,
        "pdf_pages": pages,
        "pdf_bytes": sum(len(p) for p in info["pdf"]),
        "html_bytes": info["html_bytes"],
        "load_s_median": round(sorted(loads)[len(loads) // 2], 3),
        "print_s_median": round(sorted(prints)[len(prints) // 2], 3),
        "pdf_file": shot,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--keep-pdf", action="store_true", help="keep the PDF and a PNG of p. 1")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    out = {"machine": machine(), "results": []}
    for kind in kinds:
        with site(kind) as s:
            out["results"].append(run(s, args.reps, args.keep_pdf))
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
