"""Dated configuration: targets, deadlines, cut-off hour... never constants in code.

A rule is looked up for a school and a day: the school's latest value effective on that day,
else the oversight office's (school_id NULL), else the default below.
"""

import json
from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import db
from survey_app.timeutil import local_today

DEFAULTS: dict[str, Any] = {
    "target.coverage": 0.90,  # >= 90% of dossiers surveyed
    "target.satisfaction": 0.95,  # > 95% satisfied
    "target.on_time": 0.95,  # > 95% resolved on time
    "target.online_l4": 0.40,  # > 40% received online at level 4
    "target.apology": 1.0,  # an apology for every late dossier
    "cutoff_time": "16:30",  # received later counts from the next working day
    "case_due_working_days": 5,
    "token_valid_days": 30,  # the survey link expires this long after return
    "report_due_dates": ["02-15", "05-15", "08-15", "11-10"],
    "min_cell_n": 5,  # breakdown cells with fewer answers show "—"
}


class Rule(db.Model):
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
