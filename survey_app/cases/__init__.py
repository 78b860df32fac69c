from flask import Blueprint

bp = Blueprint("cases", __name__)

from survey_app.cases import loop, views  # noqa: E402,F401
