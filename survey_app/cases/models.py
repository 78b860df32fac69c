"""Follow-up cases opened from dissatisfied responses, and their timelines."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.auth.models import User
from survey_app.enums import LabelledEnum, enum_column
from survey_app.extensions import Model
from survey_app.survey.models import Response
from survey_app.timeutil import utcnow


class CaseStatus(LabelledEnum):
    OPEN = "open", _l("Mới")
    IN_PROGRESS = "in_progress", _l("Đang xử lý")
    RESOLVED = "resolved", _l("Đã giải quyết")
    CLOSED = "closed", _l("Đã đóng")


class RootCause(LabelledEnum):
    PROCEDURE_UNCLEAR = "procedure_unclear", _l("Thủ tục, hướng dẫn chưa rõ ràng")
    STAFF_ATTITUDE = "staff_attitude", _l("Thái độ của cán bộ, giáo viên")
    DELAY = "delay", _l("Chậm trễ, trễ hẹn")
    PAPERS = "papers", _l("Yêu cầu giấy tờ ngoài quy định")
    FEES = "fees", _l("Chi phí ngoài quy định, phiền hà, nhũng nhiễu")
    FACILITIES = "facilities", _l("Cơ sở vật chất")
    OTHER = "other", _l("Khác")


class EventKind(LabelledEnum):
    NOTE = "note", _l("Ghi chú")
    CALL = "call", _l("Gọi điện")
    STATUS = "status", _l("Đổi trạng thái")
    PARENT = "parent", _l("Đánh giá cách giải quyết")  # the parent's answer when the loop is closed


class Case(Model):
    __tablename__ = "follow_up_case"
    __table_args__ = (
        Index("ix_case_school_status", "school_id", "status"),
        # reports.queries.cases: the cases still open, or ended from a period's start on
        # (and the median's cases ended within it), without reading the school's history
        Index("ix_case_school_ended", "school_id", text("coalesce(resolved_at, closed_at)")),
        CheckConstraint(
            "status NOT IN ('resolved', 'closed') OR "
            "(resolution IS NOT NULL AND root_cause IS NOT NULL)",
            name="resolution_required",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    due_date: Mapped[date]
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "case_status"), default=CaseStatus.OPEN
    )
    serious: Mapped[bool] = mapped_column(default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[RootCause | None] = mapped_column(enum_column(RootCause, "root_cause"))
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Closing the loop: the parent's answer to "are you satisfied with how it was handled?"
    parent_satisfied: Mapped[bool | None]
    parent_answered_at: Mapped[datetime | None]

    response: Mapped[Response] = relationship()
    assignee: Mapped[User | None] = relationship()
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.at", cascade="all, delete-orphan"
    )


class CaseEvent(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("follow_up_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the parent
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    text: Mapped[str] = mapped_column(Text, default="")
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))

    case: Mapped[Case] = relationship(back_populates="events")
    author: Mapped[User | None] = relationship()
