from flask import Blueprint

bp = Blueprint("survey", __name__)

from survey_app.survey import staff, views  # noqa: E402,F401
