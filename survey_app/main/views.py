"""Home and health check."""

from flask import jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from survey_app.auth.views import home_for
from survey_app.extensions import db, limiter
from survey_app.main import bp


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("survey.enter_code"))


@bp.route("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        db.session.rollback()
        return jsonify(status="unhealthy", database="down"), 503
    return jsonify(status="ok", database="up")
