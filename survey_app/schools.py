"""Schools: the unit every row belongs to."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import Model
from survey_app.timeutil import utcnow

if TYPE_CHECKING:
    from survey_app.auth.models import User


class School(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    authority: Mapped[str | None] = mapped_column(String(200))  # the oversight office above it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="school")
