from flask import Blueprint

from survey_app.auth.models import User
from survey_app.extensions import db

bp = Blueprint("auth", __name__)


def load_user(user_id: str):
    """Flask-Login loader for the alternative id "<id>:<session_version>"."""
    uid, _, version = user_id.partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    # A database outage propagates to the 503 page; it never looks like "logged out".
    user = db.session.get(User, int(uid))
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user
