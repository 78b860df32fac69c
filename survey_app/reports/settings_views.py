"""Targets and report due dates: dated rules, set by the principal (their school) or the
oversight office (every school without its own value: school_id NULL)."""

import json
from decimal import Decimal

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.audit import audit
from survey_app.auth.decorators import role_required
from survey_app.extensions import db
from survey_app.reports import bp
from survey_app.reports.forms import TargetsForm, format_due_dates
from survey_app.reports.stats import pct
from survey_app.rules import Rule, get_rule, set_rule
from survey_app.timeutil import local_today

TARGET_FIELDS = ("coverage", "satisfaction", "on_time", "online_l4", "apology")
KEYS = tuple(f"target.{name}" for name in TARGET_FIELDS) + ("report_due_dates",)


@bp.route("/settings/targets", methods=["GET", "POST"])
@role_required("principal", "office")
def settings_targets():
    school_id = current_user.school_id  # None for the office: its rules apply to all schools
    today = local_today()
    form = TargetsForm()
    if not form.is_submitted():
        for name in TARGET_FIELDS:
            value = Decimal(str(get_rule(f"target.{name}", school_id, today))) * 100
            getattr(form, name).data = value.quantize(Decimal("0.1"))
        form.report_due_dates.data = format_due_dates(get_rule("report_due_dates", school_id))
        form.effective_from.data = today
    if form.validate_on_submit():
        on = form.effective_from.data
        wanted = {f"target.{n}": float(getattr(form, n).data) / 100 for n in TARGET_FIELDS}
        wanted["report_due_dates"] = form.report_due_dates.parsed
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
        return redirect(url_for("reports.settings_targets"), 303)
    history = db.session.scalars(
        select(Rule)
        .where(
            Rule.key.in_(KEYS),
            Rule.school_id.is_(None) if school_id is None else Rule.school_id == school_id,
        )
        .order_by(Rule.effective_from.desc(), Rule.key)
        .limit(100)
    ).all()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "reports/settings.html",
        form=form,
        history=[_history_row(r) for r in history],
        office=school_id is None,
    ), status


def _history_row(rule: Rule) -> tuple:
    value = json.loads(rule.value)
    if rule.key == "report_due_dates":
        return rule.effective_from, _("Hạn nộp báo cáo"), format_due_dates(value)
    field = getattr(TargetsForm, rule.key.removeprefix("target."))
    label = field.args[0] if field.args else field.kwargs.get("label", rule.key)
    return rule.effective_from, label, pct(float(value))
