"""B6 page weight: what Chromium loads for the parent's survey pages, against 14,600 bytes.

Serves the app (Werkzeug, in a thread) on a fresh SQLite database built by the migrations,
seeds returned dossiers, loads /s/<token> (step 1) in headless Chromium at 360×740 with
JavaScript off, records every request, and prints JSON: request count, raw bytes, gzipped
bytes (`gzip.compress` of each body: Werkzeug does not compress, a proxy would) and the
ratio to the initial congestion window (10 × 1,460 B). Then it answers step 1 (satisfied on
one link, dissatisfied on another) and weighs each step 2, /s/<token>/more, the same way.

    .venv/bin/python -m bench.page_weight [--url http://host/s/<token>]
"""

import argparse
import gzip
import json
import platform
import re
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
INITIAL_WINDOW = 14_600  # 10 segments of 1,460 bytes (RFC 6928)


def seeded_server(workdir: Path, links: int = 1) -> tuple[object, list[str]]:
    """The app on a migrated SQLite database with `links` returned dossiers; (server, urls)."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from survey_app import create_app
    from survey_app.dossiers.intake import dossier_fields, link_expiry
    from survey_app.dossiers.models import Dossier, DossierStatus
    from survey_app.dossiers.procedures import seed_procedures
    from survey_app.dossiers.workdays import WorkCalendar
    from survey_app.extensions import db
    from survey_app.schools import School
    from survey_app.timeutil import utcnow

    app = create_app(
        {
            "APP_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
            "MAIL_SEND_AFTER_COMMIT": False,
        }
    )
    with app.app_context():
        upgrade()
        school = School(code="BENCH", name="Trường THCS Chánh Hưng", address="TP. Hồ Chí Minh")
        db.session.add(school)
        procedure = seed_procedures(school)[0]
        db.session.flush()  # the ids the intake rule reads
        now = utcnow()
        calendar = WorkCalendar(school.id)
        dossiers = [
            Dossier(
                **dossier_fields(
                    school,
                    procedure,
                    calendar,
                    student_name="Nguyễn Văn An",
                    received_at=now - timedelta(days=5),
                )
                | {
                    "code": f"2026-{n:06d}",
                    "returned_at": now - timedelta(hours=1),
                    "status": DossierStatus.RETURNED,
                    "token_expires_at": link_expiry(calendar, now),
                }
            )
            for n in range(1, links + 1)
        ]
        db.session.add_all(dossiers)
        db.session.commit()
        tokens = [d.token for d in dossiers]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, [f"http://127.0.0.1:{server.server_port}/s/{t}" for t in tokens]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def answer_step_one(url: str, overall: str) -> str:
    """Answer step 1 of the survey at `url` like a form post; the step-2 URL it leads to."""
    html = urllib.request.urlopen(url, timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"overall": overall, "csrf_token": token}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, data=body, timeout=30)
    except urllib.error.HTTPError as error:  # the 303 to step 2
        if error.code != 303:
            raise
        return urllib.parse.urljoin(url, error.headers["Location"])
    raise RuntimeError("step 1 did not answer 303")


def weigh_steps(urls: list[str]) -> dict:
    """Step 1 on the first link; step 2 after a satisfied (second link) and a dissatisfied
    (third link) answer. The step-1 figures at the top, as before; each step under `steps`."""
    steps = {"step1": weigh(urls[0])}
    for name, url, overall in (
        ("step2_satisfied", urls[1], "satisfied"),
        ("step2_dissatisfied", urls[2], "dissatisfied"),
    ):
        weight = weigh(answer_step_one(url, overall))
        weight["measure"] = f"B6 page weight of GET /s/<token>/more after {overall}"
        steps[name] = weight
    result = dict(steps["step1"])
    result["steps"] = {k: {f: v[f] for f in _SUMMARY} for k, v in steps.items()}
    result["pass"] = all(step["pass"] for step in steps.values())
    return result


_SUMMARY = ("requests", "raw_bytes", "gzip_bytes", "header_bytes", "ratio", "pass")


def weigh(url: str) -> dict:
    """Load `url` like a parent's phone and weigh every request it makes."""
    from playwright.sync_api import sync_playwright

    records = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, java_script_enabled=False, is_mobile=True
        )
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(url, wait_until="load")
        page.wait_for_timeout(300)  # let late requests (icons, fonts) show up
        for request in finished:
            response = request.response()
            body = response.body() if response else b""
            sizes = request.sizes()
            records.append(
                {
                    "url": re.sub(r"/s/[^/?]+", "/s/<token>", request.url),
                    "status": response.status if response else None,
                    "type": request.resource_type,
                    "body_bytes": len(body),
                    "gzip_bytes": len(gzip.compress(body, compresslevel=6)),
                    "header_bytes": sizes["responseHeadersSize"],
                }
            )
        version = browser.version
        browser.close()
    raw = sum(r["body_bytes"] for r in records)
    gzipped = sum(r["gzip_bytes"] for r in records)
    headers = sum(r["header_bytes"] for r in records)
    return {
        "measure": "B6 page weight of GET /s/<token>",
        "requests": len(records),
        "raw_bytes": raw,
        "gzip_bytes": gzipped,
        "header_bytes": headers,
        "gzip_plus_headers": gzipped + headers,
        "baseline_bytes": INITIAL_WINDOW,
        "ratio": round((gzipped + headers) / INITIAL_WINDOW, 3),
        "ratio_body_only": round(gzipped / INITIAL_WINDOW, 3),
        "ratio_raw": round((raw + headers) / INITIAL_WINDOW, 3),
        "pass": len(records) == 1 and raw <= 20 * 1024 and gzipped <= 14 * 1024,
        "detail": records,
        "versions": {
            "chromium": version,
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="weigh this survey URL instead of a seeded local server")
    args = parser.parse_args(argv)
    if args.url:
        result = weigh(args.url)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            server, urls = seeded_server(Path(tmp), links=3)
            try:
                result = weigh_steps(urls)
            finally:
                server.shutdown()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
