"""The parent's survey."""

from flask import render_template

from survey_app.survey import bp


@bp.route("/s")
def enter_code():
    return render_template("survey/enter_code.html")
