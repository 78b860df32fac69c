"""The dossier register."""

from flask import render_template

from survey_app.auth.decorators import role_required
from survey_app.dossiers import bp


@bp.route("/dossiers")
@role_required("principal", "clerk")
def register():
    return render_template("dossiers/register.html")
