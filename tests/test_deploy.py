"""Production start-up: the locked migration step and gunicorn with its config file."""

import fcntl
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from survey_app import create_app
from survey_app.accesslog import fingerprint, redact
from survey_app.migrate_once import ADVISORY_LOCK_KEY
from tests.conftest import scratch_database

ROOT = Path(__file__).resolve().parent.parent


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


def _env(url: str, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    return {**env, "DATABASE_URL": url, "APP_ENV": "development", **extra}


def _deploy(url: str, **extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "survey_app.migrate_once"],
        cwd=ROOT,
        env=_env(url, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextmanager
def migration_lock_held(url: str):
    """Hold the lock the deploy step takes, as a slow first start would."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        engine.dispose()
        return
    instance = create_app({"APP_ENV": "testing"}).instance_path
    os.makedirs(instance, exist_ok=True)
    with open(os.path.join(instance, "migrate.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} not seen; output so far:\n{seen}")


def test_two_starts_migrate_once(tmp_path):
    head = _head_revision()
    with scratch_database(tmp_path, "hl_deploy") as url:
        with migration_lock_held(url):
            # Both starts find the lock taken and queue behind it, then race for it.
            first, second = _deploy(url), _deploy(url)
            outputs = [_wait_for_line(p, "waiting", 60) for p in (first, second)]
        for proc, i in ((first, 0), (second, 1)):
            rest, _ = proc.communicate(timeout=60)
            outputs[i] += rest
            assert proc.returncode == 0, outputs[i]
        log = "\n".join(outputs)
        assert log.count("Running upgrade  -> ") == 1, log  # the first migration, once
        assert sum("deploy: migrated empty -> " + head in out for out in outputs) == 1, log
        assert sum("nothing to do" in out for out in outputs) == 1, log

        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
            assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
        engine.dispose()

        again = _deploy(url)
        out, _ = again.communicate(timeout=60)
        assert again.returncode == 0 and "nothing to do" in out and "Running upgrade" not in out


def test_deploy_fails_loudly():
    down = _deploy("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    out, _ = down.communicate(timeout=60)
    assert down.returncode == 1 and "deploy: FAILED: OperationalError" in out

    weak = _deploy("sqlite://", APP_ENV="production", SECRET_KEY="changeme")
    out, _ = weak.communicate(timeout=60)
    assert weak.returncode == 1 and "SECRET_KEY" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, host: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Host": host, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.slow
def test_gunicorn_boots_with_the_config_and_serves(tmp_path):
    url = f"sqlite:///{tmp_path / 'served.db'}"
    deploy = _deploy(url)
    assert deploy.wait(60) == 0, deploy.stdout.read()
    port = _free_port()
    env = _env(
        url,
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        TRUSTED_HOSTS="127.0.0.1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    # The benchmarks' server: wsgi's app plus /hello (bench/hello_app.py), as they run it.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bench.hello_app:create()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base, host = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, headers, body = _get(base + "/healthz", host)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn died"
                time.sleep(0.2)
        health = json.loads(body)
        assert status == 200 and health["status"] == "ok" and health["database"] == "up"
        # Production settings are live: HSTS, and unknown Host headers refused.
        assert "max-age=" in headers["Strict-Transport-Security"]
        assert _get(base + "/healthz", "evil.example")[0] == 400
        status, _, body = _get(base + "/hello", host, {"X-Forwarded-Proto": "https"})
        assert (status, body) == (200, b"Hello, world!\n")
        referer = {"Referer": f"https://{host}/s/{SECRET_TOKEN}/thanks"}
        assert _get(f"{base}/s/{SECRET_TOKEN}?lang=en", host, referer)[0] == 404
        # Other spellings of the same link, and a token in a query string (issue 16).
        for path in ("//s/", "/s//", "/login?next=/s/", "/s?token=", "/survey-entry?code="):
            assert _get(f"{base}{path}{SECRET_TOKEN}", host)[0] < 500
    finally:
        server.send_signal(signal.SIGTERM)
        log, _ = server.communicate(timeout=30)
    assert server.returncode == 0, log
    assert log.count("Booting worker") == 2, log
    assert '"GET /healthz HTTP/1.1" 200' in log  # access log on stdout
    assert "Traceback" not in log
    # Survey tokens never reach the log: the access line and the lookup's failure line
    # both name it by the same fingerprint.
    assert SECRET_TOKEN not in log
    assert f'"GET /s/~{fingerprint(SECRET_TOKEN)}?lang=en HTTP/1.1" 404' in log
    assert f"survey lookup failed: token {fingerprint(SECRET_TOKEN)}" in log


SECRET_TOKEN = "Zq3v9TtJm0Lk2Xw8RbYc1NdPe7HsGaUf"


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        ("GET /s/TOKEN/thanks?lang=en HTTP/1.1", "GET /s/~FP/thanks?lang=en HTTP/1.1"),
        ("/s/TOKEN/loop", "/s/~FP/loop"),
        ("https://survey.example.edu.vn/s/TOKEN", "https://survey.example.edu.vn/s/~FP"),
        ("POST /s HTTP/1.1", "POST /s HTTP/1.1"),  # the code form: nothing secret
        ("GET /dossiers/HS-0001/slip HTTP/1.1", "GET /dossiers/HS-0001/slip HTTP/1.1"),
        ("GET /static/s/app.css HTTP/1.1", "GET /static/s/app.css HTTP/1.1"),
    ],
)
def test_access_log_redaction(logged, expected):
    token = SECRET_TOKEN
    out = redact(logged.replace("TOKEN", token))
    assert out == expected.replace("FP", fingerprint(token))
    assert token not in out


def test_hello_is_the_benchmarks_not_the_apps(client):
    from bench import hello_app

    assert client.get("/hello").status_code == 404
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "hello" not in app.view_functions
    on = hello_app.register(app)
    assert on.test_client().get("/hello").get_data() == b"Hello, world!\n"


def test_nginx_access_log_redacts_survey_tokens_and_the_tablets_codes(tmp_path):
    """deploy/nginx-hai-long.conf's maps and log format, run by a real nginx (Debian's,
    from `make install-system`): the log never holds a token, a short code on the tablet's
    path or an enrolment code; the tablet's own pages are logged as they are."""
    conf = (ROOT / "deploy/nginx-hai-long.conf").read_text()
    maps = "".join(re.findall(r"^map .*?^}\n", conf, re.S | re.M))
    log_format = re.search(r"^log_format hai_long.*?;\n", conf, re.S | re.M).group(0)
    port = _free_port()
    temp = " ".join(f"{k}_temp_path {tmp_path}/{k};" for k in ("client_body", "proxy"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{maps}{log_format}access_log {tmp_path}/access.log hai_long;\n{temp}\n"
        f"server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }}\n}}\n"
    )
    nginx = ["/usr/sbin/nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    subprocess.run([*nginx, "-t"], check=True, capture_output=True, timeout=30)
    subprocess.run(nginx, check=True, timeout=30)
    token, code, enrol = secrets.token_urlsafe(24), "ABCD2345", secrets.token_urlsafe(30)
    paths = [f"/s/{token}/thanks", f"//kiosk/{code}?x=1", f"/kiosk/enrol/{enrol}"]
    kept = ["/kiosk/done", "/kiosk?lang=en", "/kiosks/3/link"]
    try:
        for path in paths + kept:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).close()
    finally:
        subprocess.run([*nginx, "-s", "stop"], check=True, timeout=30)
    for _ in range(50):  # nginx writes its log line as each request ends; stopped: flushed
        log = (tmp_path / "access.log").read_text() if (tmp_path / "access.log").exists() else ""
        if log.count("\n") == len(paths + kept):
            break
        time.sleep(0.1)
    assert token not in log and code not in log and enrol not in log, log
    for line in ("GET /s/~/thanks", "GET /kiosk/~?x=1", "GET /kiosk/enrol/~", *kept):
        assert line in log, (line, log)
