"""Survey responses and their per-question answers."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app import questions
from survey_app.auth.models import User
from survey_app.dossiers.models import Dossier
from survey_app.enums import LabelledEnum, enum_column
from survey_app.extensions import Model
from survey_app.timeutil import utcnow


class ResponseChannel(LabelledEnum):
    QR = "qr", _l("Quét mã QR")
    CODE = "code", _l("Nhập mã trên phiếu")
    PAPER = "paper", _l("Phiếu giấy")
    KIOSK = "kiosk", _l("Máy khảo sát tại quầy")


SELF_SERVICE = (ResponseChannel.QR, ResponseChannel.CODE)
ASSISTED = (ResponseChannel.PAPER, ResponseChannel.KIOSK)


class Overall(LabelledEnum):
    # the labels are the question set's levels (survey_app.questions is their home)
    VERY_SATISFIED = "very_satisfied", dict(questions.LEVELS)["very_satisfied"]
    SATISFIED = "satisfied", dict(questions.LEVELS)["satisfied"]
    DISSATISFIED = "dissatisfied", dict(questions.LEVELS)["dissatisfied"]


class Response(Model):
    __table_args__ = (
        Index("ix_response_school_submitted", "school_id", "submitted_at"),
        # reports.queries.aspects joins a month's dossiers to their responses' ids and on
        # to their answers: from index entries alone, and on PostgreSQL as one range of it.
        # (intake reads the same range of the unique index on dossier_id, and the rows.)
        Index("ix_response_dossier_response", "dossier_id", "id"),
        # reports.queries.provenance counts a school's answers per device key; keys live 30
        # days (provenance.forget_devices), so only the keyed answers are indexed (B3:
        # the count read every response of the school from the period's start on)
        Index(
            "ix_response_device_key",
            "school_id",
            "device_key",
            "submitted_at",
            postgresql_where=text("device_key IS NOT NULL"),
            sqlite_where=text("device_key IS NOT NULL"),
        ),
        CheckConstraint("contact_phone IS NULL OR contact_consent", name="phone_needs_consent"),
        # Self-service answers name nobody; a paper form names who typed it; a kiosk answer
        # names its device (answers from before devices existed name the signed-in clerk).
        CheckConstraint(
            "(channel IN ('qr', 'code') AND entered_by_id IS NULL AND kiosk_device_id IS NULL)"
            " OR (channel = 'paper' AND entered_by_id IS NOT NULL AND kiosk_device_id IS NULL)"
            " OR (channel = 'kiosk'"
            " AND (kiosk_device_id IS NOT NULL OR entered_by_id IS NOT NULL))",
            name="answer_names_its_operator",
        ),
        CheckConstraint(
            "late_entry_reason IS NULL OR channel = 'paper'", name="late_entry_on_paper_only"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The database, not Python, guarantees one answer per dossier.
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[ResponseChannel] = mapped_column(enum_column(ResponseChannel, "channel"))
    overall: Mapped[Overall] = mapped_column(enum_column(Overall, "overall"))
    comment: Mapped[str | None] = mapped_column(Text)
    contact_consent: Mapped[bool] = mapped_column(default=False)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    questions_version: Mapped[str] = mapped_column(String(20))
    # Where a self-service answer came from, without naming the parent (provenance.py);
    # NULL on paper and kiosk answers. device_key is nulled after 30 days, its day's count
    # of the school's answers (device_day_answers) kept in its place.
    from_desk_network: Mapped[bool | None]
    minutes_after_return: Mapped[int | None]
    device_key: Mapped[str | None] = mapped_column(String(32))
    device_day_answers: Mapped[int | None]
    # When the optional step 2 was sent or skipped (self-service links): it is taken once.
    details_at: Mapped[datetime | None]
    # The kiosk device a kiosk answer came from; columns in the order the migrations add them
    # (a restored SQLite backup is compared column by column with these models).
    kiosk_device_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id"))
    # Why a paper form was entered after its link had expired (counted apart in reports).
    late_entry_reason: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship()
    entered_by: Mapped[User | None] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(Model):
    """One answer to a detail question, or one ticked reason (question_code 'reasons')."""

    __table_args__ = (UniqueConstraint("response_id", "question_code", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the unique constraint above (response_id is its first column).
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"))
    question_code: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(40))

    response: Mapped[Response] = relationship(back_populates="answers")
