"""The school's list of procedures: everyone on the desk reads it, the principal edits it."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.audit import audit
from survey_app.auth.decorators import role_required
from survey_app.dossiers import bp
from survey_app.dossiers.forms import ProcedureForm
from survey_app.dossiers.models import Procedure
from survey_app.dossiers.views import STAFF
from survey_app.extensions import db


def _load(procedure_id: int) -> Procedure:
    procedure = db.get_or_404(Procedure, procedure_id)
    if procedure.school_id != current_user.school_id:
        abort(404)
    return procedure


def _apply(form: ProcedureForm, procedure: Procedure) -> dict:
    """Copy the form onto the row; return what changed (for the audit row)."""
    new = {
        "name": form.name.data,
        "name_en": form.name_en.data or None,
        "working_days": form.working_days.data,
        "online_level": int(form.online_level.data) if form.online_level.data else None,
        "active": bool(form.active.data),
    }
    changed = {k: v for k, v in new.items() if getattr(procedure, k) != v}
    for key, value in new.items():
        setattr(procedure, key, value)
    return changed


@bp.route("/procedures")
@role_required(*STAFF)
def procedures():
    rows = db.session.scalars(
        select(Procedure)
        .where(Procedure.school_id == current_user.school_id)
        .order_by(Procedure.active.desc(), Procedure.name)
    ).all()
    return render_template("dossiers/procedures.html", procedures=rows)


@bp.route("/procedures/new", methods=["GET", "POST"])
@role_required("principal")
def new_procedure():
    form = ProcedureForm()
    if form.validate_on_submit():
        taken = db.session.scalars(
            select(Procedure.id).where(
                Procedure.school_id == current_user.school_id, Procedure.code == form.code.data
            )
        ).first()
        if taken:
            form.code.errors = [*form.code.errors, _("Mã thủ tục này đã có.")]
        else:
            procedure = Procedure(school_id=current_user.school_id, code=form.code.data)
            _apply(form, procedure)
            db.session.add(procedure)
            db.session.flush()
            audit("create", "procedure", procedure.id, code=procedure.code)
            db.session.commit()
            flash(_("Đã thêm thủ tục %(code)s.", code=procedure.code), "success")
            return redirect(url_for("dossiers.procedures"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("dossiers/procedure_form.html", form=form, procedure=None), status


@bp.route("/procedures/<int:procedure_id>/edit", methods=["GET", "POST"])
@role_required("principal")
def edit_procedure(procedure_id):
    procedure = _load(procedure_id)
    form = ProcedureForm(obj=procedure)
    del form.code  # the code is printed on old receipts and used by imports: fixed
    if not form.is_submitted():
        form.online_level.data = str(procedure.online_level or "")
    if form.validate_on_submit():
        changed = _apply(form, procedure)
        if changed:
            audit("update", "procedure", procedure.id, code=procedure.code, **changed)
            db.session.commit()
            flash(_("Đã lưu thủ tục %(code)s.", code=procedure.code), "success")
        return redirect(url_for("dossiers.procedures"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("dossiers/procedure_form.html", form=form, procedure=procedure), status
