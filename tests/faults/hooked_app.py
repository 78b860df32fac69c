"""wsgi's app with faults injected from outside, for the tests that kill or stall a submit.

`harness.Gunicorn` serves `tests.faults.hooked_app:create()` (with the repository's
gunicorn.conf.py) when a test sets one of these variables; survey_app itself has no hook:

- `HL_FAULT_SUBMIT_SLEEP=<s>`: the submit sleeps after its last write (the audit row),
  before its COMMIT, by wrapping the `audit` that `survey_app.survey.submit` calls;
- `HL_FAULT_KILL_AFTER_COMMIT=1`: the worker SIGKILLs itself right after the submit's
  COMMIT, before the response is sent, by wrapping the view's `store_response`.
"""

import os
import signal
import time

from flask import Flask

from survey_app import create_app
from survey_app.config import env_bool
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
    return app
