"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Run `python -m survey_app.migrate_once` (migrations, once, under a lock) before starting it;
the systemd unit and deploy/entrypoint.sh do. Every value can be overridden from the
environment; gunicorn also honours GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os
import sys

# Test knob, read before .env is (by survey_app.config, imported below), so a settings file
# cannot set it: the fault-injection tests serve the development config through this file.
_CALLER_ENV = dict(os.environ)


def _refuse_to_serve(reason: str) -> None:
    raise SystemExit(f"gunicorn.conf.py: refusing to start: {reason}")


def check_server_settings() -> None:
    """A server runs production on purpose, and never with a published key.

    gunicorn is how this app is served; a development or testing config served by it would
    have no Secure cookie, no host check and, without SECRET_KEY, the development key.
    """
    # Importing the config reads .env (the settings file the `flask` command reads too).
    from survey_app.config import env_bool, weak_secret

    non_production_allowed = env_bool("HL_NON_PRODUCTION_SERVER", environ=_CALLER_ENV)
    app_env = os.environ.get("APP_ENV", "development")
    if app_env != "production" and not non_production_allowed:
        _refuse_to_serve(f"APP_ENV is {app_env!r}; gunicorn serves APP_ENV=production only.")
    if weak_secret(os.environ.get("SECRET_KEY")):
        _refuse_to_serve("SECRET_KEY is missing, published, shorter than 32 bytes or patterned.")


check_server_settings()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Loopback only: gunicorn is never exposed without the reverse proxy in front. Sync workers
# read the request body themselves, so a client sending a body slowly would hold a worker
# for up to `timeout`; nginx buffers the whole body first (proxy_request_buffering, with
# client_body_timeout 15s) and hands gunicorn only complete requests.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Sync workers: every request is short and mostly waits on the database. 2 x cores + 1,
# capped so a big host does not open more database connections than PostgreSQL allows.
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))
if workers > 1 and not os.environ.get("REDIS_URL"):
    # Flask-Limiter then counts in each worker's memory (README, "Single PC with SQLite").
    print(
        f"gunicorn.conf.py: warning: REDIS_URL is not set: each of the {workers} workers "
        "counts login and survey-link attempts on its own, so those limits are "
        f"{workers} times looser; set REDIS_URL, or WEB_CONCURRENCY=1.",
        file=sys.stderr,
    )
worker_class = "sync"
# Heartbeat files on tmpfs: a worker blocked on a slow disk is not killed by mistake.
worker_tmp_dir = "/dev/shm"  # noqa: S108

# A request slower than this is stuck (exports stream in well under it): the worker is
# killed and replaced. On SIGTERM workers get graceful_timeout to finish in-flight requests.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = 5  # behind nginx on the same host

# Memory safety net: recycle each worker after about this many requests (jitter spreads
# the restarts so the workers do not all restart together).
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Each worker imports the app itself: no database connection is shared across fork().
preload_app = False

# Request line and headers limits (nginx sends far less; anything bigger is an attack).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Logs to stdout/stderr: journald (systemd) or the container runtime keeps them.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(h)s is the client address as the app saw it: the app's ProxyFix rewrites REMOTE_ADDR in
# place only for a peer in TRUSTED_PROXIES, so a client reaching gunicorn directly cannot
# write an address of its choosing into this log with X-Forwarded-For.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Survey tokens are written as /s/~<fingerprint> (the lookup's failure log uses the same).
logger_class = "survey_app.accesslog.RedactingLogger"

# Only the reverse proxy on this host may set X-Forwarded-* (ProxyFix trusts one hop).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "hai-long"
# No gunicornc control socket: systemd (or the container runtime) manages the process, and
# the default path ($HOME/.gunicorn/gunicorn.ctl) would be shared by every instance of a user.
control_socket_disable = True
