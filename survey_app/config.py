"""Configuration classes, read from the environment and `.env`, and the one parser of
boolean environment variables.

`.env` (found from the working directory up, as the `flask` command finds it) is read here,
once, when this module is first imported, before the classes below read the environment:
gunicorn.conf.py, `python -m survey_app.migrate_once`, wsgi.py and the `flask` command all
import it. A variable of the process always wins over the same name in `.env`.
"""

import os
import secrets
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

from survey_app.timeutil import LOCAL_TZ

_DOTENV = find_dotenv(".env", usecwd=True)
if _DOTENV:
    load_dotenv(_DOTENV, override=False)

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production
TESTING_SECRET = "testing-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - refused too
# Defaults, and every key written in this repository (anyone can read them).
WEAK_SECRETS = {
    "",
    "dev",
    "changeme",
    "secret",
    "change-me",
    "please-change-me",
    DEV_SECRET,
    TESTING_SECRET,
}


def env_bool(name: str, default: bool = False, environ=os.environ) -> bool:
    """A yes/no environment variable: 1, true, yes or on (any case) mean yes."""
    value = environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'hai_long.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/")
    # Shown on the login page (e.g. the ward's office when it hosts several schools); by
    # default the school's name when the database holds exactly one.
    DESK_NAME = os.environ.get("DESK_NAME", "").strip()
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must never refuse a right password nor turn a lookup into a 500: the
    # limits go on counting in this worker's memory (per process, so looser) until Redis
    # answers again (Flask-Limiter re-checks it with a growing back-off), and an error
    # while counting after the response is logged, not raised. A hung Redis costs at most
    # these timeouts (seconds) per try.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    # /healthz says "degraded" when the oldest unsent mail is older than this (minutes).
    HEALTH_OUTBOX_MAX_AGE_MINUTES = int(os.environ.get("HEALTH_OUTBOX_MAX_AGE_MINUTES", "60"))
    # Failed survey-link lookups (unknown token / short code): per address and global cap.
    SURVEY_LOOKUP_LIMIT = os.environ.get("SURVEY_LOOKUP_LIMIT", "20 per minute")
    SURVEY_LOOKUP_GLOBAL_LIMIT = os.environ.get("SURVEY_LOOKUP_GLOBAL_LIMIT", "300 per minute")
    LOGIN_LIMIT = "5 per minute"

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "hai-long@localhost")
    MAIL_TIMEOUT = 10
    # Try to deliver a case's mail right after the commit (in a thread, never blocking).
    MAIL_SEND_AFTER_COMMIT = env_bool("MAIL_SEND_AFTER_COMMIT", True)

    # The school's time zone has one home, timeutil.LOCAL_TZ (the SQL date arithmetic
    # assumes its fixed UTC+7 offset): the configuration reads it, it is not a setting.
    TIMEZONE = LOCAL_TZ.key
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = LOCAL_TZ.key
    LANGUAGES = ("vi", "en")  # the UI's languages, Vietnamese first (?lang= picks among them)

    SESSION_COOKIE_NAME = "hl_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # The kiosk tablet's device credential (kiosk/device.py): its cookie, and how long the
    # principal's one-time enrolment link stays valid.
    KIOSK_COOKIE_NAME = "hl_kiosk"
    KIOSK_COOKIE_DAYS = 365
    KIOSK_ENROL_MINUTES = 30

    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 64 * 1024
    MAX_FORM_PARTS = 200
    TRUSTED_HOSTS = [h for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h] or None
    PROXY_FIX = int(os.environ.get("PROXY_FIX", "0"))
    # Peers (addresses or networks, comma-separated) whose X-Forwarded-For/-Proto count;
    # a request from anyone else keeps its own TCP address. None by default.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "")
    HSTS = False


class DevelopmentConfig(Config):
    DEBUG = False
    # No published key signs anything: without SECRET_KEY a development process makes its
    # own (sessions end when it restarts). Production refuses a missing key instead.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = TESTING_SECRET
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    PUBLIC_BASE_URL = "http://localhost"
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SEND_AFTER_COMMIT = False
    ARGON2_FAST = True  # cheap hashes in tests; production uses OWASP parameters


class ProductionConfig(Config):
    # A failed statement's message (logged with the 500) lists no parameter values: no
    # comment, phone or token from SQLAlchemy (PostgreSQL's own text may quote a line).
    SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS, "hide_parameters": True}
    SESSION_COOKIE_NAME = "__Host-hl_session"
    SESSION_COOKIE_SECURE = True
    KIOSK_COOKIE_NAME = "__Host-hl_kiosk"
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    PROXY_FIX = int(os.environ.get("PROXY_FIX", "1"))
    # As shipped, nginx on the same host is the one proxy (deploy/nginx-hai-long.conf) and
    # gunicorn listens on loopback only: only a loopback peer may name the client.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _patterned(key: str) -> bool:
    """A key with no randomness in it: few distinct characters (32 spaces, "a" * 34), or a
    short piece repeated ("changeme" * 4)."""
    n = len(key)
    repeated = any(key == (key[:k] * (n // k + 1))[:n] for k in range(1, n // 2 + 1))
    return len(set(key)) < 8 or repeated


def weak_secret(key: str | None) -> bool:
    """A SECRET_KEY production refuses (the app and gunicorn.conf.py alike): missing, a
    published or default one, shorter than 32 bytes, or patterned."""
    key = key or ""
    return key.lower() in WEAK_SECRETS or len(key.encode()) < 32 or _patterned(key)


def check_production(config: dict) -> None:
    """Refuse to start in production with a missing, default, short or patterned SECRET_KEY."""
    key = config.get("SECRET_KEY") or ""
    if weak_secret(key):
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 bytes in production "
            "(python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if not config.get("TRUSTED_HOSTS"):
        raise RuntimeError("TRUSTED_HOSTS must list the host names this site answers to.")
