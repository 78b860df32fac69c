"""Filed reports: figures frozen as the principal signed them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import Model
from survey_app.timeutil import utcnow


class FiledReport(Model):
    __table_args__ = (UniqueConstraint("school_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    period: Mapped[str] = mapped_column(String(10))  # 2020-01, 2020-Q1, 2020-H1, 2020-9M, 2020
    number: Mapped[str | None] = mapped_column(String(40))  # the report's official number
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    figures: Mapped[str] = mapped_column(Text)  # JSON of the figures as filed
