"""Production only on purpose (issue 16, finding 5): gunicorn serves APP_ENV=production
only and never with a published key; neither an EnvironmentFile nor .env can turn the
systemd unit or the entrypoint into development; .env.example sets no APP_ENV.

The gunicorn config file is executed as gunicorn executes it (a copy beside a .env of
the test's own, so .env is read from tmp_path), and one real `gunicorn` start is refused.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from survey_app.config import DEV_SECRET

ROOT = Path(__file__).resolve().parent.parent
STRONG = secrets.token_hex(32)


def _clean_env(**extra) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("APP_ENV", "SECRET_KEY", "HL_NON_PRODUCTION_SERVER", "DATABASE_URL")
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _run_config(tmp_path, dotenv: str = "", **env) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "gunicorn.conf.py", tmp_path / "gunicorn.conf.py")
    (tmp_path / ".env").write_text(dotenv)
    code = "import runpy, sys; runpy.run_path(sys.argv[1]); print('APP_ENV ok')"
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "gunicorn.conf.py")],
        cwd=tmp_path,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_real_gunicorn_refuses_development(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=_clean_env(
            APP_ENV="development",
            SECRET_KEY=STRONG,
            DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
            GUNICORN_BIND="127.0.0.1:0",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refusing to start: APP_ENV is 'development'" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("dotenv", "env", "refusal"),
    [
        ("", {"APP_ENV": "development", "SECRET_KEY": STRONG}, "APP_ENV"),
        ("", {"APP_ENV": "testing", "SECRET_KEY": STRONG}, "APP_ENV"),
        ("", {"SECRET_KEY": STRONG}, "APP_ENV"),  # nothing said: not production
        (f"APP_ENV=development\nSECRET_KEY={STRONG}\n", {}, "APP_ENV"),
        ("", {"APP_ENV": "production"}, "SECRET_KEY"),
        ("", {"APP_ENV": "production", "SECRET_KEY": DEV_SECRET}, "SECRET_KEY"),
        # The fault tests' knob allows a development config, never the development key...
        ("", {"APP_ENV": "development", "HL_NON_PRODUCTION_SERVER": "1"}, "SECRET_KEY"),
        # ...and .env cannot set the knob.
        (f"HL_NON_PRODUCTION_SERVER=1\nSECRET_KEY={STRONG}\n", {"APP_ENV": "dev"}, "APP_ENV"),
    ],
)
def test_gunicorn_config_refuses(tmp_path, dotenv, env, refusal):
    result = _run_config(tmp_path, dotenv, **env)
    assert result.returncode != 0, result.stdout
    assert f"refusing to start: {refusal}" in result.stderr


def test_gunicorn_config_refuses_a_patterned_key_as_the_app_does(tmp_path):
    result = _run_config(tmp_path, APP_ENV="production", SECRET_KEY="changeme" * 4)
    assert result.returncode != 0 and "refusing to start: SECRET_KEY" in result.stderr


@pytest.mark.parametrize(("redis", "workers", "warned"), [("", "3", True), ("", "1", False)])
def test_gunicorn_config_warns_when_limits_count_per_worker(tmp_path, redis, workers, warned):
    """Without Redis each worker counts attempts on its own: said at start, not hidden."""
    result = _run_config(
        tmp_path,
        f"SECRET_KEY={STRONG}\n",
        APP_ENV="production",
        REDIS_URL=redis,
        WEB_CONCURRENCY=workers,
    )
    assert result.returncode == 0, result.stderr
    assert ("limits are 3 times looser" in result.stderr) is warned, result.stderr
    with_redis = _run_config(
        tmp_path,
        f"SECRET_KEY={STRONG}\n",
        APP_ENV="production",
        REDIS_URL="redis://127.0.0.1:6379/0",
        WEB_CONCURRENCY=workers,
    )
    assert "REDIS_URL is not set" not in with_redis.stderr


def test_dotenv_cannot_override_the_process_production(tmp_path):
    dotenv = f"APP_ENV=development\nSECRET_KEY={STRONG}\n"
    result = _run_config(tmp_path, dotenv, APP_ENV="production")
    assert result.returncode == 0, result.stderr
    assert "APP_ENV ok" in result.stdout


def _fake_checkout(tmp_path, dotenv: str) -> Path:
    """deploy/entrypoint.sh in a checkout whose virtualenv's programs print APP_ENV."""
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy/entrypoint.sh", tmp_path / "deploy/entrypoint.sh")
    (tmp_path / ".env").write_text(dotenv)
    (tmp_path / "survey_app/translations/vi/LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "survey_app/translations/vi/LC_MESSAGES/messages.mo").write_bytes(b"")
    bin_dir = tmp_path / "venv/bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "gunicorn"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} APP_ENV=$APP_ENV BIND=$GUNICORN_BIND"\n')
        script.chmod(0o755)
    return tmp_path


@pytest.mark.parametrize("dotenv", ["APP_ENV=development\n", "APP_ENV=testing\nX=1\n", ""])
def test_entrypoint_runs_production_whatever_dotenv_says(tmp_path, dotenv):
    checkout = _fake_checkout(tmp_path, dotenv)
    result = subprocess.run(
        ["sh", str(checkout / "deploy/entrypoint.sh")],
        env={"PATH": os.environ["PATH"], "VENV": str(checkout / "venv")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "python APP_ENV=production BIND=127.0.0.1:8000",
        "gunicorn APP_ENV=production BIND=127.0.0.1:8000",
    ]


def test_systemd_unit_sets_production_on_the_command_lines():
    unit = (ROOT / "deploy/hai-long.service").read_text()
    assert not re.search(r"^Environment=.*APP_ENV", unit, re.M)
    execs = re.findall(r"^(ExecStart(?:Pre)?)=(.*)$", unit, re.M)
    assert {name for name, _ in execs} == {"ExecStart", "ExecStartPre"}
    for _name, line in execs:
        assert line.startswith("/usr/bin/env APP_ENV=production "), line
    # EnvironmentFile= is read before the command line's env: the file cannot win.
    assert unit.index("EnvironmentFile=") < unit.index("ExecStart=")


def test_env_example_sets_no_app_env():
    example = (ROOT / ".env.example").read_text()
    assert not re.search(r"^\s*APP_ENV\s*=", example, re.M)


def test_no_config_signs_with_the_published_development_key(tmp_path):
    """`flask run` without SECRET_KEY: a key of this process, never the one in the repo."""
    code = (
        "from survey_app import create_app; "
        "a = create_app({'APP_ENV': 'development', 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); "
        "print(a.config['SECRET_KEY'])"
    )
    keys = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert DEV_SECRET not in keys and all(len(k) >= 32 for k in keys)
    assert keys[0] != keys[1]


def test_dotenv_is_read_once_by_the_config(tmp_path):
    """`.env` of the working directory reaches the config (and so gunicorn.conf.py and the
    deploy step, which import it); a variable of the process wins over it."""
    (tmp_path / ".env").write_text(
        "MAIL_DEFAULT_SENDER=desk@school.test\nMAIL_USE_TLS=yes\nMAIL_PORT=2525\n"
    )
    code = (
        "from survey_app.config import Config; "
        "print(Config.MAIL_DEFAULT_SENDER, Config.MAIL_USE_TLS, Config.MAIL_PORT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=_clean_env(MAIL_PORT="587"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["desk@school.test", "True", "587"], result.stderr


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        ("1", False, True),
        (" Yes ", False, True),
        ("on", False, True),
        ("TRUE", False, True),
        ("0", True, False),
        ("no", True, False),
        ("", True, False),
        (None, True, True),
        (None, False, False),
    ],
)
def test_env_bool(value, default, expected):
    from survey_app.config import env_bool

    environ = {} if value is None else {"X": value}
    assert env_bool("X", default, environ) is expected
