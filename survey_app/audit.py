"""Append-only audit trail: who did what to which row, when."""

import json
from datetime import datetime
from typing import Any

from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text, insert
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import Model, db
from survey_app.timeutil import utcnow


class Audit(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[str | None] = mapped_column(Text)


_INSERT = insert(Audit.__table__)


def audit(
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    school_id: int | None = None,
    user_id: int | None = None,
    as_user: bool = True,
    **detail: Any,
) -> None:
    """Insert an audit row in the current transaction (the caller commits, or rolls back).

    Missing ids come from the logged-in user, unless `as_user` is False: a parent's answer
    is nobody's, even if a staff member's browser sent it.
    """
    if as_user and (user_id is None or school_id is None):
        user = current_user if getattr(current_user, "is_authenticated", False) else None
        if user is not None:
            user_id = user.id if user_id is None else user_id
            school_id = user.school_id if school_id is None else school_id
    # A Core INSERT on the session's connection: one cached statement, no unit of work
    # (on the answer's path, see survey/submit.py).
    db.session.connection().execute(
        _INSERT,
        {
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "school_id": school_id,
            "user_id": user_id,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        },
    )
