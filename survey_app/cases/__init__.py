from flask import Blueprint

bp = Blueprint("cases", __name__)

from survey_app.cases import views  # noqa: E402,F401
