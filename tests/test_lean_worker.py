"""A worker that serves survey pages never loads the report stack nor the `flask`
commands (README, deployment).

matplotlib, openpyxl, reportlab and python-docx (and qrcode with Pillow) are imported by
the functions that draw a chart or write a file, and alembic by the first thing that
migrates, so a gunicorn worker that has served only parents stays small (bench/rss.py).
The commands' modules (survey_app/commands.py) are imported when a command runs.
Checked in a fresh interpreter: the suite's own process has them all.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "matplotlib",
    "openpyxl",
    "reportlab",
    "docx",
    "qrcode",
    "PIL",
    "numpy",
    "alembic",
    "holidays",
    # the `flask` commands and what only they use
    "survey_app.auth.cli",
    "survey_app.dossiers.cli",
    "survey_app.notify.cli",
    "survey_app.reports.cli",
    "survey_app.demo",
    "survey_app.backup",
    "survey_app.retention",
    "email_validator",
)

SEED = textwrap.dedent(
    """
    import sys
    from datetime import timedelta

    from bench.seed import seed_base, seed_tokens
    from survey_app import create_app
    from survey_app.extensions import db
    from survey_app.timeutil import utcnow

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.app_context():
        db.create_all()
    # a returned dossier, as the benchmarks seed it: by the intake rule, whose working-day
    # count loads `holidays`, so in its own interpreter (a clerk's request, not a parent's)
    (token,) = seed_tokens(app, seed_base(app), 1, utcnow() - timedelta(hours=1), "L")
    print(token)
    """
)
SCRIPT = textwrap.dedent(
    """
    import json, sys

    from survey_app import create_app
    from tests.conftest import csrf_token_from

    HEAVY = {heavy!r}
    loaded = {{}}
    app = create_app({{"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1]}})
    loaded["create_app"] = sorted(m for m in HEAVY if m in sys.modules)
    token = sys.argv[2]
    client = app.test_client()
    page = client.get(f"/s/{{token}}")
    assert page.status_code == 200, page.status_code
    csrf = csrf_token_from(page.get_data(as_text=True))
    answer = client.post(f"/s/{{token}}", data={{"csrf_token": csrf, "overall": "satisfied"}})
    assert answer.status_code == 303, answer.status_code
    more = client.get(answer.headers["Location"])
    assert more.status_code == 200, more.status_code
    assert client.get("/s").status_code == 200  # the short-code entry page
    loaded["survey"] = sorted(m for m in HEAVY if m in sys.modules)
    print(json.dumps(loaded))
    """
)


def _python(script: str, *args: str) -> str:
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_serving_survey_pages_loads_no_report_library(tmp_path):
    url = f"sqlite:///{tmp_path / 'lean.db'}"
    token = _python(SEED, url)
    loaded = json.loads(_python(SCRIPT.format(heavy=HEAVY), url, token))
    assert loaded == {"create_app": [], "survey": []}
