from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from survey_app.kiosk import admin_views, views  # noqa: E402,F401
