"""wsgi's app with faults injected from outside, for the tests that kill or stall a submit.

`harness.Gunicorn` serves `tests.faults.hooked_app:create()` (with the repository's
gunicorn.conf.py) when a test sets one of these variables; survey_app itself has no hook:

- `HL_FAULT_SUBMIT_SLEEP=<s>`: the submit sleeps after its last write (the audit row),
  before its COMMIT, by wrapping the `audit` that `survey_app.survey.submit` calls;
- `HL_FAULT_KILL_AFTER_COMMIT=1`: the worker SIGKILLs itself right after the submit's
  COMMIT, before the response is sent, by wrapping the view's `store_response`;
- `HL_FAULT_SQLITE_DEFERRED=1`: SQLite's writers begin with a plain deferred `BEGIN`
  instead of `BEGIN IMMEDIATE` (the app's listener swapped: F6's regression run).
"""

import os
import signal
import time

from flask import Flask
from sqlalchemy import event

from survey_app import create_app
from survey_app.config import env_bool
from survey_app.extensions import db
from survey_app.survey import submit, views


def create() -> Flask:
    app = create_app()
    sleep = float(os.environ.get("HL_FAULT_SUBMIT_SLEEP") or 0)
    if sleep:
        audit = submit.audit

        def audit_then_sleep(*args, **kwargs):
            audit(*args, **kwargs)
            time.sleep(sleep)

        submit.audit = audit_then_sleep
    if env_bool("HL_FAULT_KILL_AFTER_COMMIT"):
        store_response = views.store_response

        def store_then_die(*args, **kwargs):
            stored = store_response(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            return stored

        views.store_response = store_then_die
    if env_bool("HL_FAULT_SQLITE_DEFERRED"):
        with app.app_context():
            engine = db.engine
        event.remove(engine, "begin", app.extensions["sqlite_begin"])
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return app
