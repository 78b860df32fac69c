"""Dated configuration: targets, deadlines, office hours... never constants in code.

A rule is looked up for a school and a day: the school's latest value effective on that day,
else the oversight office's (school_id NULL), else the default below.
"""

import json
from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import Model, db
from survey_app.timeutil import local_today

DEFAULTS: dict[str, Any] = {
    "target.coverage": 0.90,  # >= 90% of dossiers surveyed
    "target.satisfaction": 0.95,  # > 95% satisfied
    "target.on_time": 0.95,  # > 95% resolved on time
    "target.online_l4": 0.40,  # > 40% received online at level 4
    "target.apology": 1.0,  # an apology for every late dossier
    # The desk's opening hours on a working day, [open, close] pairs in local time. A dossier
    # received outside them counts as received at the next opening (Decree 118/2025/NĐ-CP
    # sets no cut-off hour; the hours are the school's own, posted at the desk).
    "office_hours": [["07:30", "11:30"], ["13:30", "17:00"]],
    "desk_phone": "",  # the one-stop desk's phone number, printed on the slips ("": none)
    "case_due_working_days": 5,
    "token_valid_days": 30,  # the survey link expires this long after return
    "survey_step2_minutes": 60,  # step 2 (details, comment) can be sent this long after step 1
    # The plan's periodic reports (see reports/periods.py and docs/reports.md): the 3-, 6-,
    # 9-month and annual reports, in that order, sent before these days (MM-DD) ...
    "report_due_dates": ["02-15", "05-15", "08-15", "11-10"],
    # ... over cumulative windows of these many months from the reporting year's first day
    # (MM-DD; the year is named by the calendar year it ends in) ...
    "report_months": [3, 6, 9, 12],
    "report_year_start": "11-01",
    # ... cut at month ends ("month_end") or from the 15th to the 14th ("decree_09",
    # Decree 09/2019/NĐ-CP art. 12).
    "report_cutoff": "month_end",
    "min_cell_n": 5,  # breakdown cells with fewer answers show "—"
    # Where a self-service answer came from (survey/provenance.py): the school's desk
    # network as CIDR strings, e.g. ["203.0.113.0/24", "2001:db8:1:2::/64"]; an answer from
    # it less than `assisted_minutes` after the return, or from a device that answered
    # `assisted_device_answers` or more of the school's dossiers that day, looks assisted.
    "desk_networks": [],
    "assisted_minutes": 15,
    "assisted_device_answers": 3,
    # `flask data purge`: parents' comments, case notes and resolutions, and sent mail
    # bodies older than this are replaced by "—" (counts and codes stay). Personal data is
    # kept no longer than its purpose needs (Decree 13/2023/NĐ-CP, Art. 3 and 16): two
    # school years covers the yearly report and a complaint about it.
    "free_text_retention_days": 730,
}


class Rule(Model):
    __table_args__ = (UniqueConstraint("school_id", "key", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    key: Mapped[str] = mapped_column(String(50))
    value: Mapped[str] = mapped_column(Text)  # JSON
    effective_from: Mapped[date]


def get_rule(key: str, school_id: int | None = None, on: date | None = None) -> Any:
    """The value of `key` in force for `school_id` on day `on` (default: today)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    on = on or local_today()
    row = db.session.scalars(
        select(Rule)
        .where(
            Rule.key == key,
            Rule.effective_from <= on,
            or_(Rule.school_id == school_id, Rule.school_id.is_(None)),
        )
        # the school's own value wins over the office's; then the latest
        .order_by(Rule.school_id.is_(None), Rule.effective_from.desc())
        .limit(1)
    ).first()
    return json.loads(row.value) if row else DEFAULTS[key]


def set_rule(key: str, value: Any, effective_from: date, school_id: int | None) -> Rule:
    """Add or replace the value of `key` from `effective_from` (the caller commits)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.scalars(
        select(Rule).where(
            Rule.key == key,
            Rule.effective_from == effective_from,
            Rule.school_id.is_(school_id) if school_id is None else Rule.school_id == school_id,
        )
    ).first() or Rule(key=key, effective_from=effective_from, school_id=school_id)
    row.value = json.dumps(value)
    db.session.add(row)
    return row


# Returns and apologies. The plan asks for an apology letter for every late dossier, sent
# at least one working day before the original due date (one sent on the due date is late).
# A return typed more than `backdate_grace_minutes` before the server's clock is a return
# entered after the fact ("nhập bù"): it needs a reason and is counted apart.
DEFAULTS.update(
    {
        "apology_lead_working_days": 1,
        "backdate_grace_minutes": 15,
    }
)
