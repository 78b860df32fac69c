"""Dashboard and report exports."""

from flask import render_template

from survey_app.auth.decorators import role_required
from survey_app.reports import bp


@bp.route("/dashboard")
@role_required("principal", "office")
def dashboard():
    return render_template("reports/dashboard.html")
