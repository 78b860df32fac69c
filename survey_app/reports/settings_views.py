"""The settings page: every dated rule (dated_rules.DEFAULTS), set by the principal (their school)
or the oversight office (every school without its own value: school_id NULL), with its
history. Each change takes effect from a chosen day; earlier periods keep the old value."""

import json
from itertools import groupby

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField
from wtforms.validators import DataRequired

from survey_app.audit import audit
from survey_app.auth.decorators import role_required
from survey_app.dated_rules import Rule, get_rule, set_rule
from survey_app.extensions import db
from survey_app.forms import Form
from survey_app.parsing import InRange
from survey_app.reports import bp
from survey_app.reports.rule_fields import (
    GROUPS,
    Parsed,
    editable_keys,
    field_name,
    rule_field,
    show,
)
from survey_app.timeutil import local_today


def settings_form_class() -> type[Form]:
    """A form with one field per rule key (built per request: DEFAULTS may grow)."""
    fields = {}
    for key in editable_keys():
        entry = rule_field(key)
        unbound = entry.kind.make(entry.label)
        unbound.kwargs["validators"] = [*unbound.kwargs.get("validators", []), Parsed(entry.kind)]
        if entry.hint:
            unbound.kwargs["description"] = entry.hint
        fields[field_name(key)] = unbound
    fields["effective_from"] = DateField(
        _l("Áp dụng từ ngày"), validators=[DataRequired(), InRange()]
    )
    return type("SettingsForm", (Form,), fields)


@bp.route("/settings", methods=["GET", "POST"])
@bp.route("/settings/targets", methods=["GET", "POST"])
@role_required("principal", "office")
def settings_targets():
    school_id = current_user.school_id  # None for the office: its rules apply to all schools
    today = local_today()
    keys = editable_keys()
    form = settings_form_class()()
    if form.is_submitted():
        # A rule not posted at all (a page opened before a new rule was added) is unchanged.
        posted = set(request.form.getlist("shown")) or set(request.form)  # a checkbox left
        for key in [k for k in keys if field_name(k) not in posted]:  # off is still shown
            del form[field_name(key)]
            keys.remove(key)
    else:
        for key in keys:
            form[field_name(key)].data = rule_field(key).kind.to_form(
                get_rule(key, school_id, today)
            )
        form.effective_from.data = today
    if form.validate_on_submit():
        on = form.effective_from.data
        wanted = {key: form[field_name(key)].parsed for key in keys}
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
                ),
                "success",
            )
        else:
            flash(_("Không có thay đổi."))
        return redirect(url_for("reports.settings_targets"), 303)
    history = db.session.scalars(
        select(Rule)
        .where(Rule.school_id.is_(None) if school_id is None else Rule.school_id == school_id)
        .order_by(Rule.effective_from.desc(), Rule.key)
        .limit(200)
    ).all()
    by_group = groupby(
        sorted(keys, key=lambda k: list(GROUPS).index(rule_field(k).group)),
        key=lambda k: rule_field(k).group,
    )
    sections = [(GROUPS[g], [form[field_name(k)] for k in ks]) for g, ks in by_group]
    status = 400 if form.is_submitted() else 200
    return render_template(
        "reports/settings.html",
        form=form,
        sections=sections,
        history=[_history_row(r) for r in history],
        office=school_id is None,
    ), status


def _history_row(rule: Rule) -> tuple:
    label = rule_field(rule.key).label if rule.key in editable_keys() else rule.key
    return rule.effective_from, label, show(rule.key, json.loads(rule.value))
