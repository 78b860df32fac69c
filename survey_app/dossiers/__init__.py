from flask import Blueprint

bp = Blueprint("dossiers", __name__)

from survey_app.dossiers import (  # noqa: E402,F401
    calendar_views,
    import_views,
    notice_views,
    print_views,
    procedure_views,
    views,
)
