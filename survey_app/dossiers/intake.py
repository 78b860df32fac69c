"""A dossier's life: intake, return, withdrawal, apology. Plain functions, reused by the
views, the importer and the demo generator. They add and flush; the caller commits once.

Datetimes passed in are naive UTC (the storage form) or timezone-aware (converted).
"""

import random
import time
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey_app.audit import audit
from survey_app.auth.models import School, User
from survey_app.dossiers.models import (
    Apology,
    Dossier,
    DossierStatus,
    IntakeChannel,
    Procedure,
    ReturnChannel,
    new_short_code,
    new_token,
)
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.timeutil import local_today, to_local, utcnow

CODE_ATTEMPTS = 10
CLOCK_SKEW = timedelta(minutes=5)  # a clerk's PC clock may run a little ahead


def _(msgid: str, **variables) -> str:
    """gettext that also works without a request (CLI, demo generator): msgid there."""
    try:
        return gettext(msgid, **variables)
    except RuntimeError:  # the app's locale selector needs a request
        return msgid % variables if variables else msgid


class IntakeError(ValueError):
    """A change the rules refuse; the message is shown to the user as is."""


def as_utc(value: datetime | None) -> datetime:
    """Naive UTC from a naive-UTC or aware datetime; now when None."""
    if value is None:
        return utcnow()
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def next_code(school_id: int, year: int) -> str:
    """The next tracking code of the school's year: YYYY-NNNNNN (max + 1)."""
    last = db.session.scalar(
        select(func.max(Dossier.code)).where(
            Dossier.school_id == school_id, Dossier.code.like(f"{year}-______")
        )
    )
    number = int(last[5:]) + 1 if last and last[5:].isdigit() else 1
    return f"{year}-{number:06d}"


def _insert(dossier: Dossier, year: int) -> None:
    """Insert with the next free code, retrying when a concurrent intake took it."""
    for attempt in range(CODE_ATTEMPTS):
        dossier.code = next_code(dossier.school_id, year)
        dossier.token, dossier.short_code = new_token(), new_short_code()
        try:
            with db.session.begin_nested():
                db.session.add(dossier)
            return
        except IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, 0.005) * (attempt + 1))  # let the winner commit


def create_dossier(
    school: School,
    procedure: Procedure,
    *,
    student_name: str,
    student_class: str | None = None,
    applicant_name: str | None = None,
    applicant_phone: str | None = None,
    intake_channel: IntakeChannel | str = IntakeChannel.COUNTER,
    return_channel: ReturnChannel | str = ReturnChannel.COUNTER,
    received_at: datetime | None = None,
    received_by: User | None = None,
    calendar: WorkCalendar | None = None,
) -> Dossier:
    """Register a dossier: tracking code, the day its clock starts, its due date."""
    if procedure.school_id != school.id:
        raise IntakeError(_("Thủ tục không thuộc trường này."))
    if not (student_name or "").strip():
        raise IntakeError(_("Cần nhập họ tên học sinh."))
    received_utc = as_utc(received_at)
    if received_utc > utcnow() + CLOCK_SKEW:
        raise IntakeError(_("Thời điểm tiếp nhận không được ở tương lai."))
    calendar = calendar or WorkCalendar(school.id)
    received_on = calendar.receipt_day(received_utc)
    dossier = Dossier(
        school_id=school.id,
        procedure_id=procedure.id,
        student_name=student_name.strip(),
        student_class=(student_class or "").strip() or None,
        applicant_name=(applicant_name or "").strip() or None,
        applicant_phone=(applicant_phone or "").strip() or None,
        intake_channel=IntakeChannel(intake_channel),
        return_channel=ReturnChannel(return_channel),
        received_at=received_utc,
        received_on=received_on,
        due_date=calendar.add_working_days(received_on, procedure.working_days),
        status=DossierStatus.RECEIVED,
        received_by_id=received_by.id if received_by else None,
    )
    _insert(dossier, to_local(received_utc).year)
    audit(
        "create",
        "dossier",
        dossier.id,
        school_id=school.id,
        user_id=received_by.id if received_by else None,
        code=dossier.code,
        procedure=procedure.code,
        channel=dossier.intake_channel.value,
        due_date=dossier.due_date.isoformat(),
    )
    return dossier


def return_dossier(
    dossier: Dossier,
    *,
    returned_at: datetime | None = None,
    return_channel: ReturnChannel | str | None = None,
    returned_by: User | None = None,
    calendar: WorkCalendar | None = None,
) -> Dossier:
    """Hand the result back; on time or late follows from the dates, never typed."""
    if dossier.status is not DossierStatus.RECEIVED:
        raise IntakeError(_("Chỉ trả kết quả cho hồ sơ đang giải quyết."))
    returned_utc = as_utc(returned_at)
    if returned_utc < dossier.received_at:
        raise IntakeError(_("Thời điểm trả kết quả phải sau thời điểm tiếp nhận."))
    if returned_utc > utcnow() + CLOCK_SKEW:
        raise IntakeError(_("Thời điểm trả kết quả không được ở tương lai."))
    dossier.returned_at = returned_utc
    dossier.status = DossierStatus.RETURNED
    if return_channel:
        dossier.return_channel = ReturnChannel(return_channel)
    dossier.returned_by_id = returned_by.id if returned_by else None
    calendar = calendar or WorkCalendar(dossier.school_id)
    valid_days = calendar.rule("token_valid_days", to_local(returned_utc).date())
    dossier.token_expires_at = returned_utc + timedelta(days=int(valid_days))
    db.session.flush()
    audit(
        "return",
        "dossier",
        dossier.id,
        school_id=dossier.school_id,
        user_id=returned_by.id if returned_by else None,
        code=dossier.code,
        on_time=is_on_time(dossier),
        channel=dossier.return_channel.value,
    )
    return dossier


def withdraw_dossier(
    dossier: Dossier,
    reason: str,
    *,
    withdrawn_at: datetime | None = None,
    withdrawn_by: User | None = None,
) -> Dossier:
    """The parent withdraws the request before its result is returned."""
    if dossier.status is not DossierStatus.RECEIVED:
        raise IntakeError(_("Chỉ rút được hồ sơ đang giải quyết."))
    reason = (reason or "").strip()
    if not reason:
        raise IntakeError(_("Cần ghi lý do rút hồ sơ."))
    dossier.status = DossierStatus.WITHDRAWN
    dossier.withdrawn_at = as_utc(withdrawn_at)
    dossier.withdraw_reason = reason[:500]
    db.session.flush()
    audit(
        "withdraw",
        "dossier",
        dossier.id,
        school_id=dossier.school_id,
        user_id=withdrawn_by.id if withdrawn_by else None,
        code=dossier.code,
    )
    return dossier


def issue_apology(
    dossier: Dossier,
    *,
    reason: str,
    new_due_date: date,
    channel: str,
    issued_at: datetime | None = None,
    issued_by: User | None = None,
) -> Apology:
    """Record the apology letter of a late (or soon late) dossier, with its new date."""
    if dossier.status is DossierStatus.WITHDRAWN:
        raise IntakeError(_("Hồ sơ đã rút, không cần thư xin lỗi."))
    if dossier.apology is not None:
        raise IntakeError(_("Hồ sơ này đã có thư xin lỗi."))
    if dossier.status is DossierStatus.RETURNED and is_on_time(dossier):
        raise IntakeError(_("Hồ sơ đã trả đúng hạn, không cần thư xin lỗi."))
    if new_due_date <= dossier.due_date:
        raise IntakeError(_("Ngày hẹn mới phải sau ngày hẹn trả ban đầu."))
    reason = (reason or "").strip()
    if not reason:
        raise IntakeError(_("Cần ghi lý do chậm trễ."))
    issued_utc = as_utc(issued_at)
    if issued_utc < dossier.received_at:
        raise IntakeError(_("Ngày gửi thư phải sau thời điểm tiếp nhận."))
    if issued_utc > utcnow() + CLOCK_SKEW:
        raise IntakeError(_("Ngày gửi thư không được ở tương lai."))
    apology = Apology(
        dossier=dossier,
        reason=reason,
        new_due_date=new_due_date,
        channel=channel,
        issued_at=issued_utc,
        issued_by_id=issued_by.id if issued_by else None,
    )
    db.session.add(apology)
    db.session.flush()
    audit(
        "apology",
        "dossier",
        dossier.id,
        school_id=dossier.school_id,
        user_id=issued_by.id if issued_by else None,
        code=dossier.code,
        new_due_date=new_due_date.isoformat(),
        in_time=apology_in_time(dossier),
    )
    return apology


# --- states, computed from the dates -------------------------------------------------


def is_on_time(dossier: Dossier) -> bool | None:
    """Returned on or before the due date (local day); None while not returned."""
    if dossier.returned_at is None:
        return None
    return to_local(dossier.returned_at).date() <= dossier.due_date


def apology_in_time(dossier: Dossier) -> bool | None:
    """The apology was sent no later than the original due date; None without one."""
    if dossier.apology is None:
        return None
    return to_local(dossier.apology.issued_at).date() <= dossier.due_date


def dossier_state(dossier: Dossier, calendar: WorkCalendar, today: date | None = None) -> str:
    """One of: withdrawn, on_time, late, overdue, at_risk, due_today, in_progress."""
    today = today or local_today()
    if dossier.status is DossierStatus.WITHDRAWN:
        return "withdrawn"
    if dossier.status is DossierStatus.RETURNED:
        return "on_time" if is_on_time(dossier) else "late"
    if dossier.due_date < today:
        return "overdue"
    if dossier.due_date == today:
        return "due_today"
    if dossier.due_date == calendar.next_working_day(today):
        return "at_risk"
    return "in_progress"


def needs_apology(dossier: Dossier, today: date | None = None) -> bool:
    """Late or overdue, and no apology letter recorded yet."""
    if dossier.apology is not None or dossier.status is DossierStatus.WITHDRAWN:
        return False
    if dossier.status is DossierStatus.RETURNED:
        return not is_on_time(dossier)
    return dossier.due_date < (today or local_today())
