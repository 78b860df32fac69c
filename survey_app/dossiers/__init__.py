from flask import Blueprint

bp = Blueprint("dossiers", __name__)

from survey_app.dossiers import views  # noqa: E402,F401
