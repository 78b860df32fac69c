"""The school's desk networks and the "looks assisted" thresholds: dated rules, set by the
principal for their school (survey/provenance.py records, reports/queries.py counts)."""

import json

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.audit import audit
from survey_app.auth.decorators import role_required
from survey_app.extensions import db
from survey_app.reports import bp
from survey_app.reports.forms import DeskNetworksForm
from survey_app.rules import Rule, get_rule, set_rule
from survey_app.timeutil import local_today

FIELDS = {
    "networks": "desk_networks",
    "minutes": "assisted_minutes",
    "device_answers": "assisted_device_answers",
}


@bp.route("/settings/desk-networks", methods=["GET", "POST"])
@role_required("principal")
def settings_desk_networks():
    school_id = current_user.school_id
    today = local_today()
    form = DeskNetworksForm()
    if not form.is_submitted():
        form.networks.data = "\n".join(get_rule("desk_networks", school_id, today))
        form.minutes.data = get_rule("assisted_minutes", school_id, today)
        form.device_answers.data = get_rule("assisted_device_answers", school_id, today)
        form.effective_from.data = today
    if form.validate_on_submit():
        on = form.effective_from.data
        wanted = {
            "desk_networks": form.networks.parsed,
            "assisted_minutes": form.minutes.data,
            "assisted_device_answers": form.device_answers.data,
        }
        changed = {k: v for k, v in wanted.items() if get_rule(k, school_id, on) != v}
        for key, value in changed.items():
            rule = set_rule(key, value, on, school_id)
            db.session.flush()
            audit("set_rule", "rule", rule.id, key=key, value=value, effective_from=on)
        db.session.commit()
        if changed:
            flash(
                _(
                    "Đã lưu %(n)d thay đổi, áp dụng từ %(day)s.",
                    n=len(changed),
                    day=on.strftime("%d/%m/%Y"),
                )
            )
        else:
            flash(_("Không có thay đổi."))
        return redirect(url_for("reports.settings_desk_networks"), 303)
    history = db.session.scalars(
        select(Rule)
        .where(Rule.key.in_(FIELDS.values()), Rule.school_id == school_id)
        .order_by(Rule.effective_from.desc(), Rule.key)
        .limit(100)
    ).all()
    labels = {key: getattr(form, name).label.text for name, key in FIELDS.items()}
    rows = [(r.effective_from, labels[r.key], _value_text(r)) for r in history]
    status = 400 if form.is_submitted() else 200
    return render_template("reports/desk_networks.html", form=form, history=rows), status


def _value_text(rule: Rule) -> str:
    value = json.loads(rule.value)
    if rule.key == "desk_networks":
        return ", ".join(value) or "—"
    return str(value)
