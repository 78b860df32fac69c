"""The bulk import from a web page (principal): the same checks as `flask dossiers import`."""

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.auth.decorators import role_required
from survey_app.dossiers import bp, importer
from survey_app.dossiers.forms import ImportForm
from survey_app.extensions import db


@bp.route("/dossiers/import", methods=["GET", "POST"])
@role_required("principal")
def import_csv():
    form = ImportForm()
    if form.validate_on_submit():
        rows, errors = importer.parse(
            form.file.data.read(), current_user.school, max_rows=importer.WEB_MAX_ROWS
        )
        if errors:
            db.session.rollback()
            return render_template(
                "dossiers/import.html", form=form, errors=errors, header=importer.HEADER
            ), 400
        made = importer.write(rows, current_user.school, user=current_user)
        db.session.commit()
        return render_template(
            "dossiers/import.html",
            form=ImportForm(formdata=None),
            made=made,
            message=_("Đã nhập %(n)d hồ sơ.", n=len(made)),
            header=importer.HEADER,
        )
    status = 400 if form.is_submitted() else 200
    return render_template("dossiers/import.html", form=form, header=importer.HEADER), status
