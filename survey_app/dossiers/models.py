"""Procedures, dossiers, apology letters and the calendar of days off / make-up days."""

import secrets
from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.auth.models import User
from survey_app.dossiers.search import search_text_of
from survey_app.enums import LabelledEnum, enum_column
from survey_app.extensions import Model
from survey_app.schools import School
from survey_app.timeutil import sql_local_date, to_local, utcnow

# No 0/O, 1/I/L: a parent reading a printed slip cannot confuse them.
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_token() -> str:
    """A survey token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))


class IntakeChannel(LabelledEnum):
    COUNTER = "counter", _l("Trực tiếp tại bộ phận một cửa")
    POSTAL = "postal", _l("Qua bưu chính")
    # Decree 42/2022/NĐ-CP art. 11: "một phần" and "toàn trình" replace the old levels 3 and 4
    # (the stored values keep the plan's names).
    ONLINE_L3 = "online_l3", _l("Trực tuyến một phần")
    ONLINE_L4 = "online_l4", _l("Trực tuyến toàn trình")


class ReturnChannel(LabelledEnum):
    COUNTER = "counter", _l("Trực tiếp tại bộ phận một cửa")
    POSTAL = "postal", _l("Qua bưu chính")


class ApologyChannel(LabelledEnum):
    """How an apology letter reached the parent (stored as text in `apology.channel`)."""

    COUNTER = "counter", _l("Trực tiếp tại bộ phận một cửa")
    POSTAL = "postal", _l("Qua bưu chính")
    PHONE = "phone", _l("Điện thoại")
    EMAIL = "email", _l("Thư điện tử")
    MESSAGE = "message", _l("Tin nhắn")


class BackdateReason(LabelledEnum):
    """Why a time is entered after the fact ("nhập bù": a return, an apology): the reason
    stored beside it (dossiers.intake.backdate checks it)."""

    OFFLINE = "offline", _l("Mất điện, mất mạng: không ghi được ngay lúc đó")
    AWAY = "away", _l("Làm việc ngoài bộ phận một cửa, ghi khi quay lại")
    POSTAL = "postal", _l("Qua bưu chính: ghi theo ngày gửi hoặc ngày phát")
    IMPORT = "import", _l("Nhập từ tệp")  # the importer's, never offered on a form
    OTHER = "other", _l("Lý do khác (ghi rõ)")


class DossierStatus(LabelledEnum):
    RECEIVED = "received", _l("Đang giải quyết")
    RETURNED = "returned", _l("Đã trả kết quả")
    WITHDRAWN = "withdrawn", _l("Đã rút")


class DossierState(LabelledEnum):
    """Where a dossier stands against its due date (dossiers.intake.state computes it)."""

    IN_PROGRESS = "in_progress", _l("Đang giải quyết")
    DUE_TODAY = "due_today", _l("Đến hạn hôm nay")
    AT_RISK = "at_risk", _l("Sắp đến hạn")
    OVERDUE = "overdue", _l("Quá hạn")
    ON_TIME = "on_time", _l("Đã trả đúng hạn")
    LATE = "late", _l("Đã trả trễ hạn")
    WITHDRAWN = "withdrawn", _l("Đã rút")
    READY = "ready", _l("Đã có kết quả, chờ nhận")
    READY_LATE = "ready_late", _l("Có kết quả trễ hạn, chờ nhận")
    SUPPLEMENT = "supplement", _l("Chờ bổ sung hồ sơ")


class ResolutionTiming(LabelledEnum):
    """Resolved before, on or after the due date (dossiers.intake.resolution_timing)."""

    EARLY = "early", _l("Trước hạn")
    ON_TIME = "on_time", _l("Đúng hạn")
    LATE = "late", _l("Quá hạn")


class DayKind(LabelledEnum):
    OFF = "off", _l("Ngày nghỉ thêm")  # an extra day off announced by the government
    WORK = "work", _l("Ngày làm việc bù")  # a make-up working day (usually a Saturday)


class Procedure(Model):
    __table_args__ = (
        UniqueConstraint("school_id", "code"),
        CheckConstraint("working_days >= 0", name="working_days"),
        CheckConstraint("online_level IS NULL OR online_level IN (3, 4)", name="online_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    working_days: Mapped[int]
    online_level: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    school: Mapped[School] = relationship()

    @property
    def local_name(self) -> str:
        """The name in the page's language: the English name, where one is given, on a
        page in English; else the Vietnamese name (which the papers always print)."""
        locale = get_locale()
        if self.name_en and locale is not None and locale.language == "en":
            return self.name_en
        return self.name


# What reports.queries.returns() reads of a resolved dossier, beside its resolved time:
# carried by the indexes it selects through (per school, and the office's)
RESOLVED_READS = ("due_date", "status", "ready_at", "returned_at", "return_entered_at")


class Dossier(Model):
    __table_args__ = (
        UniqueConstraint("school_id", "code"),
        # the id as well (PostgreSQL): reports.queries reads the id range of a period's
        # dossiers, and the ids to join to their responses, from the index alone
        Index("ix_dossier_school_received", "school_id", "received_at", postgresql_include=["id"]),
        # reports.queries.flow: the returned dossiers received before a period's end and
        # returned after its start are found and counted on the index entries alone
        Index(
            "ix_dossier_school_returned_received",
            "school_id",
            "returned_at",
            "received_at",
            "due_date",
            postgresql_include=["id"],  # reports.queries.returns joins apologies by it
        ),
        # reports.queries.flow: open dossiers, and withdrawn ones by date of receipt
        Index(
            "ix_dossier_school_status_received",
            "school_id",
            "status",
            "received_at",
            "withdrawn_at",
        ),
        CheckConstraint("due_date >= received_on", name="due_after_receipt"),
        CheckConstraint(
            "(status = 'returned') = (returned_at IS NOT NULL)", name="returned_has_time"
        ),
        # reports.queries.returns: dossiers resolved in a period (Dossier.resolved_at), with
        # the columns it reads, so that a school's month is counted on the index entries
        # alone (key columns, not INCLUDE: SQLite has none; B3 SQLite returns 0.10 s ->
        # 0.06 s, migration a7c3e9f1d2b8)
        Index(
            "ix_dossier_school_resolved",
            "school_id",
            text("coalesce(ready_at, returned_at)"),
            *RESOLVED_READS,
            postgresql_include=["id"],
        ),
        # The oversight office's scope (every school, B7 in BENCHMARKS.md): the same
        # reads without the school in front (received; resolved; returned after a
        # period's start and received before it; open or withdrawn by date of receipt)
        Index("ix_dossier_received", "received_at", postgresql_include=["id"]),
        Index(  # with what reports.queries.returns() reads (migration f3a9c2d7b1e4)
            "ix_dossier_resolved",
            text("coalesce(ready_at, returned_at)"),
            postgresql_include=["id", "school_id", *RESOLVED_READS],
        ),
        Index("ix_dossier_returned_received", "returned_at", "received_at"),
        Index("ix_dossier_status_received", "status", "received_at", "withdrawn_at"),
        CheckConstraint(
            "(return_entered_at IS NULL) = (return_backdate_reason IS NULL)",
            name="backdate_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    code: Mapped[str] = mapped_column(String(20))  # e.g. 2020-000123, per school and year
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), index=True)
    applicant_name: Mapped[str | None] = mapped_column(String(120))
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    student_name: Mapped[str] = mapped_column(String(120))
    student_class: Mapped[str | None] = mapped_column(String(20))
    intake_channel: Mapped[IntakeChannel] = mapped_column(
        enum_column(IntakeChannel, "intake_channel")
    )
    return_channel: Mapped[ReturnChannel] = mapped_column(
        enum_column(ReturnChannel, "return_channel"), default=ReturnChannel.COUNTER
    )
    received_at: Mapped[datetime]  # naive UTC
    # The working day the clock starts from (after the cut-off hour: the next working day).
    received_on: Mapped[date]
    due_date: Mapped[date]
    returned_at: Mapped[datetime | None]
    status: Mapped[DossierStatus] = mapped_column(
        enum_column(DossierStatus, "dossier_status"), default=DossierStatus.RECEIVED
    )
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    withdrawn_at: Mapped[datetime | None]
    withdraw_reason: Mapped[str | None] = mapped_column(String(500))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    short_code: Mapped[str] = mapped_column(String(8), unique=True, default=new_short_code)
    token_expires_at: Mapped[datetime | None]
    personal_data_purged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the result was ready for the parent: the on-time rate counts from it (the
    # parent's pickup, returned_at, is kept beside it and no longer decides lateness).
    ready_at: Mapped[datetime | None]
    # A return entered after the fact ("nhập bù"): when it was typed, by whom, and why.
    return_entered_at: Mapped[datetime | None]
    return_entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    return_backdate_reason: Mapped[str | None] = mapped_column(String(30))
    return_backdate_note: Mapped[str | None] = mapped_column(String(500))
    # The due date the receipt first gave, set when a supplement request moves due_date:
    # the apology rule still counts from it.
    original_due_date: Mapped[date | None]
    # Codes, names, class and phone folded by dossiers.search (filled on every write).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    school: Mapped[School] = relationship()
    procedure: Mapped[Procedure] = relationship()
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    return_entered_by: Mapped[User | None] = relationship(foreign_keys=[return_entered_by_id])
    apology: Mapped["Apology | None"] = relationship(back_populates="dossier")
    notices: Mapped[list["Notice"]] = relationship(
        back_populates="dossier", order_by="Notice.issued_at, Notice.id"
    )

    @property
    def short_code_display(self) -> str:
        return f"{self.short_code[:4]}-{self.short_code[4:]}"

    # --- lateness: the one definition, in Python and in SQL --------------------------

    @hybrid_property
    def resolved_at(self) -> datetime | None:
        """When the dossier was resolved: its result ready, else returned (None: neither)."""
        return self.ready_at if self.ready_at is not None else self.returned_at

    @resolved_at.inplace.expression
    @classmethod
    def _resolved_at_sql(cls):
        return func.coalesce(cls.ready_at, cls.returned_at)

    @hybrid_property
    def resolved_on(self) -> date | None:
        """The school's local day of resolved_at."""
        return to_local(self.resolved_at).date() if self.resolved_at is not None else None

    @resolved_on.inplace.expression
    @classmethod
    def _resolved_on_sql(cls):
        return sql_local_date(func.coalesce(cls.ready_at, cls.returned_at))

    @hybrid_property
    def is_late(self) -> bool | None:
        """Resolved on a day after the due date; None (SQL NULL) while not resolved."""
        resolved_on = self.resolved_on  # None exactly when resolved_at is
        return resolved_on > self.due_date if resolved_on is not None else None

    @is_late.inplace.expression
    @classmethod
    def _is_late_sql(cls):
        return sql_local_date(func.coalesce(cls.ready_at, cls.returned_at)) > cls.due_date

    @hybrid_property
    def first_due_date(self) -> date:
        """The due date the receipt gave, before any supplement request moved it."""
        return self.original_due_date or self.due_date

    @first_due_date.inplace.expression
    @classmethod
    def _first_due_date_sql(cls):
        return func.coalesce(cls.original_due_date, cls.due_date)

    @property
    def due_date_moved_from(self) -> date | None:
        """The receipt's due date, when a completed supplement request moved it; else None
        (a supplement completed early enough may leave the due date where it was)."""
        if self.original_due_date is not None and self.original_due_date != self.due_date:
            return self.original_due_date
        return None

    @property
    def is_backdated(self) -> bool:
        """Its return was entered after the fact ("nhập bù")."""
        return self.return_entered_at is not None


@event.listens_for(Dossier, "before_insert")
@event.listens_for(Dossier, "before_update")
def _fill_search_text(_mapper, _connection, dossier: Dossier) -> None:
    """Every ORM write keeps the register's search text in step with the row."""
    if dossier.short_code is None:  # the column default would come only after this hook
        dossier.short_code = new_short_code()
    dossier.search_text = search_text_of(dossier)


class Apology(Model):
    """The written apology for a late dossier, with the new appointment date."""

    __table_args__ = (
        CheckConstraint(
            "(entered_at IS NULL) = (backdate_reason IS NULL)", name="backdate_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    new_due_date: Mapped[date]
    channel: Mapped[str] = mapped_column(String(30))  # counter, postal, phone, email...
    issued_at: Mapped[datetime]  # when it was sent to the parent (naive UTC)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last local day on which the apology counts as in time: the dated rule
    # "apology_lead_working_days" working days before the dossier's original due date
    # (working days need the school's calendar, so the day is fixed when the apology is
    # recorded and SQL compares with it).
    in_time_by: Mapped[date | None]
    # Issued at a time entered after the fact ("nhập bù", as a return can be): when it was
    # typed, by whom, and why (dossiers.intake.backdate).
    entered_at: Mapped[datetime | None]
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    backdate_reason: Mapped[str | None] = mapped_column(String(30))
    backdate_note: Mapped[str | None] = mapped_column(String(500))

    dossier: Mapped[Dossier] = relationship(back_populates="apology")
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])

    @hybrid_property
    def in_time(self) -> bool:
        """Issued on or before in_time_by (an apology on the due date itself is late)."""
        return self.in_time_by is not None and to_local(self.issued_at).date() <= self.in_time_by

    @in_time.inplace.expression
    @classmethod
    def _in_time_sql(cls):
        return sql_local_date(cls.issued_at) <= cls.in_time_by

    @property
    def is_backdated(self) -> bool:
        """Its issue time was entered after the fact ("nhập bù")."""
        return self.entered_at is not None


class NoticeKind(LabelledEnum):
    SUPPLEMENT = "supplement", _l("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    REFUSAL = "refusal", _l("Phiếu từ chối tiếp nhận, giải quyết hồ sơ")


class Notice(Model):
    """A one-stop form given to the parent about a dossier: a supplement request (the
    processing time counts again from the complete dossier) or a refusal (closes it)."""

    __table_args__ = (
        CheckConstraint(
            "kind = 'supplement' OR completed_at IS NULL", name="only_supplements_complete"
        ),
        # reports.queries.notices: the forms issued in a period
        Index("ix_notice_issued", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind, "notice_kind"))
    # supplement: the papers to add or complete; refusal: why
    reason: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]  # naive UTC
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # supplement: when the complete dossier came back, and the due date it gave
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    due_date_before: Mapped[date]
    due_date_after: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dossier: Mapped[Dossier] = relationship(back_populates="notices")
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class CalendarDay(Model):
    """A day that differs from the default calendar (weekends + public holidays).

    school_id NULL: set by the oversight office for all its schools.
    """

    __table_args__ = (UniqueConstraint("school_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind, "day_kind"))
    note: Mapped[str] = mapped_column(String(200), default="")
