"""A kiosk device: a tablet at the desk, enrolled by the principal, bound to one school."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.auth.models import User
from survey_app.extensions import Model
from survey_app.schools import School
from survey_app.timeutil import utcnow


class KioskDevice(Model):
    """Its credential is a random secret held in the tablet's cookie; only its SHA-256 is
    stored (a 256-bit secret needs no slow hash). The one-time enrolment code that hands
    the secret to the tablet is stored the same way and cleared when used."""

    __tablename__ = "kiosk_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrol_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrol_expires_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    school: Mapped[School] = relationship()
    created_by: Mapped[User] = relationship()
