"""B6 page weight: what Chromium loads for the parent's survey page, against 14,600 bytes.

Serves the app (Werkzeug, in a thread) on a fresh SQLite database built by the migrations,
seeds one returned dossier, loads /s/<token> in headless Chromium at 360×740 with
JavaScript off, records every request, and prints JSON: request count, raw bytes, gzipped
bytes (`gzip.compress` of each body: Werkzeug does not compress, a proxy would) and the
ratio to the initial congestion window (10 × 1,460 B).

    .venv/bin/python -m bench.page_weight [--url http://host/s/<token>]
"""

import argparse
import gzip
import json
import platform
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
INITIAL_WINDOW = 14_600  # 10 segments of 1,460 bytes (RFC 6928)


def seeded_server(workdir: Path) -> tuple[object, str]:
    """The app on a migrated SQLite database with one returned dossier; (server, url)."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from survey_app import create_app
    from survey_app.auth.models import School
    from survey_app.dossiers.models import Dossier, DossierStatus, IntakeChannel
    from survey_app.dossiers.procedures import seed_procedures
    from survey_app.extensions import db
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
        now = utcnow()
        dossier = Dossier(
            school=school,
            procedure=procedure,
            code="2026-000001",
            student_name="Nguyễn Văn An",
            intake_channel=IntakeChannel.COUNTER,
            received_at=now - timedelta(days=5),
            received_on=(now - timedelta(days=5)).date(),
            due_date=now.date(),
            returned_at=now - timedelta(hours=1),
            status=DossierStatus.RETURNED,
            token_expires_at=now + timedelta(days=30),
        )
        db.session.add(dossier)
        db.session.commit()
        token = dossier.token
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/s/{token}"


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
                    "url": request.url.split("/s/")[0] + "/s/<token>"
                    if "/s/" in request.url
                    else request.url,
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
            server, url = seeded_server(Path(tmp))
            try:
                result = weigh(url)
            finally:
                server.shutdown()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
