"""Staff accounts: users and their roles."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.enums import LabelledEnum, enum_column
from survey_app.extensions import Model
from survey_app.schools import School
from survey_app.timeutil import utcnow


class Role(LabelledEnum):
    PRINCIPAL = "principal", _l("Hiệu trưởng")
    CLERK = "clerk", _l("Cán bộ một cửa")
    OFFICE = "office", _l("Cơ quan quản lý")


class User(UserMixin, Model):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role = 'office' OR school_id IS NOT NULL", name="school_staff"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped at logout and password change: every cookie carrying the old value dies.
    session_version: Mapped[int] = mapped_column(default=1)
    # Set with a password someone else chose (a reset): changed before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[School | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id: user id plus session version."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role.value in roles
