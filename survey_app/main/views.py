"""Home and health check."""

from flask import current_app, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from survey_app.auth.views import home_for
from survey_app.extensions import db, limiter
from survey_app.kiosk.device import has_kiosk_cookie
from survey_app.main import bp
from survey_app.notify.models import Outbox
from survey_app.timeutil import utcnow


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    if has_kiosk_cookie():
        return redirect(url_for("kiosk.start"))
    return redirect(url_for("survey.enter_code"))


def _redis_state() -> str:
    """ "up", "down" (limits then count in each worker's memory) or "not configured"."""
    if not current_app.config.get("RATELIMIT_STORAGE_URI", "").startswith(("redis", "rediss")):
        return "not configured"
    try:
        return "up" if limiter.storage.check() else "down"
    except Exception:  # noqa: BLE001 - any failure of the store is "down", never a 500
        return "down"


def _outbox_state() -> dict:
    """Unsent mail: how many, and the age (minutes) of the oldest one."""
    count, oldest = db.session.execute(
        select(func.count(Outbox.id), func.min(Outbox.created_at)).where(Outbox.sent_at.is_(None))
    ).one()
    age = int((utcnow() - oldest).total_seconds() // 60) if oldest else 0
    limit = current_app.config["HEALTH_OUTBOX_MAX_AGE_MINUTES"]
    return {"pending": count, "oldest_minutes": age, "state": "late" if age > limit else "ok"}


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Each dependency's state as JSON. Only the database is vital (503 without it): with
    Redis down the limits count in memory, and late mail waits in the outbox."""
    try:
        db.session.execute(text("SELECT 1"))
        outbox = _outbox_state()
    except DBAPIError:
        db.session.rollback()
        return jsonify(status="unhealthy", database="down", redis=_redis_state()), 503
    redis = _redis_state()
    degraded = redis == "down" or outbox["state"] != "ok"
    return jsonify(
        status="degraded" if degraded else "ok", database="up", redis=redis, mail_outbox=outbox
    )
