"""A dossier's life: intake, return, withdrawal, apology. Plain functions, reused by the
views, the importer and the demo generator. They add and flush; the caller commits once.

Datetimes passed in are naive UTC (the storage form) or timezone-aware (converted).
"""

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey_app.audit import audit
from survey_app.auth.models import User
from survey_app.dossiers.models import (
    Apology,
    BackdateReason,
    Dossier,
    DossierStatus,
    IntakeChannel,
    Notice,
    NoticeKind,
    Procedure,
    ResolutionTiming,
    ReturnChannel,
    new_short_code,
    new_token,
)
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.schools import School
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


def _audit_step(action: str, dossier: Dossier, by: User | None, **detail: Any) -> None:
    """The audit row of one step of a dossier: its school, who took the step (else the
    logged-in user) and its code, with the step's own `detail`."""
    audit(
        action,
        "dossier",
        dossier.id,
        school_id=dossier.school_id,
        user_id=by.id if by else None,
        code=dossier.code,
        **detail,
    )


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


def dossier_fields(
    school: School,
    procedure: Procedure,
    calendar: WorkCalendar | None = None,
    *,
    student_name: str,
    student_class: str | None = None,
    applicant_name: str | None = None,
    applicant_phone: str | None = None,
    intake_channel: IntakeChannel | str = IntakeChannel.COUNTER,
    return_channel: ReturnChannel | str = ReturnChannel.COUNTER,
    received_at: datetime | None = None,
    received_by_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The intake rule without its persistence: a new dossier's column values, checked and
    normalised, with the day its clock starts (the office hours decide) and its due date.

    The one home of how a dossier's received_on and due_date are derived: `create_dossier`
    adds its code, token and audit row; the demo, the benchmark seed and the tests' factory
    add theirs in bulk. The same keys every time (a bulk insert needs that); `Dossier(**it)`
    builds the row. `now` (naive UTC, default the clock) bounds `received_at`.
    """
    if procedure.school_id != school.id:
        raise IntakeError(_("Thủ tục không thuộc trường này."))
    if not (student_name or "").strip():
        raise IntakeError(_("Cần nhập họ tên học sinh."))
    received_utc = as_utc(received_at)
    if received_utc > (now or utcnow()) + CLOCK_SKEW:
        raise IntakeError(_("Thời điểm tiếp nhận không được ở tương lai."))
    calendar = calendar or WorkCalendar(school.id)
    received_on = calendar.receipt_day(received_utc)
    return {
        "school_id": school.id,
        "procedure_id": procedure.id,
        "student_name": student_name.strip(),
        "student_class": (student_class or "").strip() or None,
        "applicant_name": (applicant_name or "").strip() or None,
        "applicant_phone": (applicant_phone or "").strip() or None,
        "intake_channel": IntakeChannel(intake_channel),
        "return_channel": ReturnChannel(return_channel),
        "received_at": received_utc,
        "received_on": received_on,
        "due_date": calendar.add_working_days(received_on, procedure.working_days),
        "status": DossierStatus.RECEIVED,
        "received_by_id": received_by_id,
    }


def link_expiry(calendar: WorkCalendar, returned_utc: datetime) -> datetime:
    """When the survey link of a dossier returned at `returned_utc` expires: the dated rule
    "token_valid_days" of its school on the local day of the return. The one home of it:
    `return_dossier` and the demo, benchmark and test seeds all ask here."""
    valid_days = calendar.rule("token_valid_days", to_local(returned_utc).date())
    return returned_utc + timedelta(days=int(valid_days))


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
    """Register a dossier (`dossier_fields`) with its tracking code, token and audit row."""
    dossier = Dossier(
        **dossier_fields(
            school,
            procedure,
            calendar,
            student_name=student_name,
            student_class=student_class,
            applicant_name=applicant_name,
            applicant_phone=applicant_phone,
            intake_channel=intake_channel,
            return_channel=return_channel,
            received_at=received_at,
            received_by_id=received_by.id if received_by else None,
        )
    )
    _insert(dossier, to_local(dossier.received_at).year)
    _audit_step(
        "create",
        dossier,
        received_by,
        procedure=procedure.code,
        channel=dossier.intake_channel.value,
        due_date=dossier.due_date.isoformat(),
    )
    return dossier


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def _checked_time(value: datetime | None, now: datetime, not_before: datetime, what: str):
    """A time typed to the minute, checked against the server's clock: None is now; the
    current minute is now (a pre-filled time confirmed in the same minute is not "before
    receipt" nor "in the future"); a later minute is refused; so is a minute before
    `not_before` (the same minute is taken as `not_before`)."""
    if value is None:
        return now
    typed = as_utc(value)
    if _minute(typed) > _minute(now):
        raise IntakeError(_("%(what)s không được ở tương lai.", what=what))
    if _minute(typed) == _minute(now):
        typed = now
    if _minute(typed) < _minute(not_before):
        raise IntakeError(_("%(what)s phải sau thời điểm tiếp nhận.", what=what))
    return max(typed, not_before)


@dataclass(frozen=True)
class Backdate:
    """A time entered after the fact ("nhập bù"): when it was typed, by whom, and why."""

    entered_at: datetime
    entered_by_id: int | None
    reason: str
    note: str | None

    def record(self, row, prefix: str = "") -> None:
        """Keep it on `row`: its <prefix>entered_at, <prefix>entered_by_id,
        <prefix>backdate_reason and <prefix>backdate_note columns."""
        setattr(row, f"{prefix}entered_at", self.entered_at)
        setattr(row, f"{prefix}entered_by_id", self.entered_by_id)
        setattr(row, f"{prefix}backdate_reason", self.reason)
        setattr(row, f"{prefix}backdate_note", self.note)


def _backdated(entry: Backdate | None) -> dict[str, Any]:
    """The audit detail of a time entered after the fact: its reason (nothing otherwise)."""
    return {"backdated": entry.reason} if entry else {}


def backdate(
    typed: list[datetime | None],
    now: datetime,
    calendar: WorkCalendar,
    *,
    reason: str | None,
    note: str | None,
    entered_by: User | None,
) -> Backdate | None:
    """The one rule of times entered after the fact (a return, an apology's issue): a time
    typed more than the grace (dated rule "backdate_grace_minutes") before the server's
    clock needs a reason from BackdateReason, and "other" a text; None when no typed time
    is that far back. The times are already checked not to lie in the future."""
    grace = timedelta(minutes=int(calendar.rule("backdate_grace_minutes", to_local(now).date())))
    if not any(t is not None and now - t > grace for t in typed):
        return None
    note = (note or "").strip()
    if reason not in tuple(BackdateReason):
        raise IntakeError(
            _(
                "Thời điểm nhập sớm hơn hiện tại quá %(n)d phút: cần chọn lý do nhập bù.",
                n=int(grace.total_seconds() // 60),
            )
        )
    if reason == BackdateReason.OTHER and not note:
        raise IntakeError(_("Cần ghi rõ lý do nhập bù."))
    return Backdate(now, entered_by.id if entered_by else None, str(reason), note[:500] or None)


def return_dossier(
    dossier: Dossier,
    *,
    returned_at: datetime | None = None,
    return_channel: ReturnChannel | str | None = None,
    returned_by: User | None = None,
    calendar: WorkCalendar | None = None,
    ready_at: datetime | None = None,
    backdate_reason: str | None = None,
    backdate_note: str | None = None,
) -> Dossier:
    """Hand the result back, stamped with the server's clock; on time or late follows from
    the dates, never typed. A time typed more than the grace back (a dated rule) is a return
    entered after the fact: it needs a reason, and who entered it and when are kept."""
    if dossier.status is not DossierStatus.RECEIVED:
        raise IntakeError(_("Chỉ trả kết quả cho hồ sơ đang giải quyết."))
    calendar = calendar or WorkCalendar(dossier.school_id)
    now = utcnow()
    returned_utc = _checked_time(returned_at, now, dossier.received_at, _("Thời điểm trả kết quả"))
    ready_utc = dossier.ready_at
    if ready_at is not None and ready_utc is None:
        ready_utc = _checked_time(ready_at, now, dossier.received_at, _("Thời điểm có kết quả"))
    if ready_utc is not None and ready_utc > returned_utc:
        raise IntakeError(_("Thời điểm có kết quả không được sau thời điểm trả kết quả."))
    late_entry = backdate(
        [returned_utc, ready_utc if ready_at is not None else None],
        now,
        calendar,
        reason=backdate_reason,
        note=backdate_note,
        entered_by=returned_by,
    )
    if late_entry is not None:
        late_entry.record(dossier, "return_")
    dossier.returned_at = returned_utc
    dossier.ready_at = ready_utc
    dossier.status = DossierStatus.RETURNED
    if return_channel:
        dossier.return_channel = ReturnChannel(return_channel)
    dossier.returned_by_id = returned_by.id if returned_by else None
    dossier.token_expires_at = link_expiry(calendar, returned_utc)
    db.session.flush()
    _audit_step(
        "return",
        dossier,
        returned_by,
        on_time=not dossier.is_late,
        channel=dossier.return_channel.value,
        returned_at=returned_utc.isoformat(timespec="seconds"),
        **_backdated(late_entry),
    )
    return dossier


def mark_ready(dossier: Dossier, *, marked_by: User | None = None) -> Dossier:
    """The result is ready for the parent, now (the server's clock: never typed)."""
    if dossier.status is not DossierStatus.RECEIVED:
        raise IntakeError(_("Chỉ ghi nhận có kết quả cho hồ sơ đang giải quyết."))
    if dossier.ready_at is not None:
        raise IntakeError(_("Hồ sơ này đã ghi nhận có kết quả."))
    if open_supplement(dossier) is not None:
        raise IntakeError(_("Hồ sơ đang chờ bổ sung, chưa thể có kết quả."))
    dossier.ready_at = utcnow()
    db.session.flush()
    _audit_step(
        "mark_ready",
        dossier,
        marked_by,
        on_time=not dossier.is_late,
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
    _audit_step("withdraw", dossier, withdrawn_by)
    return dossier


def issue_apology(
    dossier: Dossier,
    *,
    reason: str,
    new_due_date: date,
    channel: str,
    issued_at: datetime | None = None,
    issued_by: User | None = None,
    calendar: WorkCalendar | None = None,
    backdate_reason: str | None = None,
    backdate_note: str | None = None,
) -> Apology:
    """Record the apology letter of a late (or soon late) dossier, with its new date. Its
    issue time is the server's clock; one typed more than the grace back is entered after
    the fact, as a return can be (`backdate`): a reason, who and when are kept."""
    if dossier.status is DossierStatus.WITHDRAWN:
        raise IntakeError(_("Hồ sơ đã rút, không cần thư xin lỗi."))
    if dossier.apology is not None:
        raise IntakeError(_("Hồ sơ này đã có thư xin lỗi."))
    if dossier.is_late is False:
        raise IntakeError(_("Hồ sơ đã giải quyết đúng hạn, không cần thư xin lỗi."))
    if new_due_date <= dossier.due_date:
        raise IntakeError(_("Ngày hẹn mới phải sau ngày hẹn trả ban đầu."))
    reason = (reason or "").strip()
    if not reason:
        raise IntakeError(_("Cần ghi lý do chậm trễ."))
    now = utcnow()
    issued_utc = _checked_time(issued_at, now, dossier.received_at, _("Thời điểm gửi thư"))
    calendar = calendar or WorkCalendar(dossier.school_id)
    late_entry = backdate(
        [issued_utc],
        now,
        calendar,
        reason=backdate_reason,
        note=backdate_note,
        entered_by=issued_by,
    )
    apology = Apology(
        dossier=dossier,
        reason=reason,
        new_due_date=new_due_date,
        channel=channel,
        issued_at=issued_utc,
        issued_by_id=issued_by.id if issued_by else None,
        in_time_by=apology_deadline(dossier.first_due_date, calendar),
    )
    if late_entry is not None:
        late_entry.record(apology)
    db.session.add(apology)
    db.session.flush()
    _audit_step(
        "apology",
        dossier,
        issued_by,
        new_due_date=new_due_date.isoformat(),
        in_time=apology_in_time(dossier),
        **_backdated(late_entry),
    )
    return apology


# --- supplement requests and refusals (Decree 118/2025/NĐ-CP; forms: docs/forms.md) -----


def open_supplement(dossier: Dossier) -> Notice | None:
    """The supplement request still waiting for the complete dossier, if any."""
    return next(
        (n for n in dossier.notices if n.kind is NoticeKind.SUPPLEMENT and n.completed_at is None),
        None,
    )


def _notice_text(text: str, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise IntakeError(missing)
    return text[:4000]


def request_supplement(dossier: Dossier, *, papers: str, issued_by: User | None = None) -> Notice:
    """Ask the parent to add or complete papers; the clock stops until they come back."""
    if dossier.status is not DossierStatus.RECEIVED or dossier.ready_at is not None:
        raise IntakeError(_("Chỉ yêu cầu bổ sung hồ sơ đang giải quyết, chưa có kết quả."))
    if open_supplement(dossier) is not None:
        raise IntakeError(_("Hồ sơ đang chờ bổ sung theo phiếu trước."))
    notice = Notice(
        dossier=dossier,
        kind=NoticeKind.SUPPLEMENT,
        reason=_notice_text(papers, _("Cần ghi nội dung, giấy tờ cần bổ sung, hoàn thiện.")),
        issued_at=utcnow(),
        issued_by_id=issued_by.id if issued_by else None,
        due_date_before=dossier.due_date,
    )
    db.session.add(notice)
    db.session.flush()
    _audit_step("request_supplement", dossier, issued_by)
    return notice


def complete_supplement(
    dossier: Dossier,
    *,
    completed_at: datetime | None = None,
    completed_by: User | None = None,
    calendar: WorkCalendar | None = None,
) -> Notice:
    """The complete dossier came back: the processing time counts again from it (the day
    of receipt not counted, as at intake), so the due date moves; the first one is kept."""
    notice = open_supplement(dossier)
    if notice is None:
        raise IntakeError(_("Hồ sơ không có yêu cầu bổ sung nào đang chờ."))
    now = utcnow()
    completed_utc = _checked_time(completed_at, now, notice.issued_at, _("Thời điểm nhận đủ hồ sơ"))
    calendar = calendar or WorkCalendar(dossier.school_id)
    due = calendar.add_working_days(
        calendar.receipt_day(completed_utc), dossier.procedure.working_days
    )
    notice.completed_at = completed_utc
    notice.completed_by_id = completed_by.id if completed_by else None
    notice.due_date_after = due
    if dossier.original_due_date is None:
        dossier.original_due_date = dossier.due_date
    dossier.due_date = due
    db.session.flush()
    _audit_step(
        "complete_supplement",
        dossier,
        completed_by,
        due_date=due.isoformat(),
    )
    return notice


def refuse_dossier(dossier: Dossier, *, reason: str, refused_by: User | None = None) -> Notice:
    """Refuse to receive or resolve the dossier, in writing: it is closed (as withdrawn)."""
    if dossier.status is not DossierStatus.RECEIVED or dossier.ready_at is not None:
        raise IntakeError(_("Chỉ từ chối hồ sơ đang giải quyết, chưa có kết quả."))
    reason = _notice_text(reason, _("Cần ghi rõ lý do từ chối."))
    now = utcnow()
    notice = Notice(
        dossier=dossier,
        kind=NoticeKind.REFUSAL,
        reason=reason,
        issued_at=now,
        issued_by_id=refused_by.id if refused_by else None,
        due_date_before=dossier.due_date,
    )
    db.session.add(notice)
    dossier.status = DossierStatus.WITHDRAWN
    dossier.withdrawn_at = now
    dossier.withdraw_reason = (_("Từ chối tiếp nhận, giải quyết") + ": " + reason)[:500]
    db.session.flush()
    _audit_step("refuse", dossier, refused_by)
    return notice


# --- states, computed from the dates -------------------------------------------------


def is_on_time(dossier: Dossier) -> bool | None:
    """Resolved (ready, else returned) on or before the due date; None while not resolved."""
    late = dossier.is_late
    return None if late is None else not late


def resolution_timing(dossier: Dossier) -> ResolutionTiming | None:
    """Early, on time or late by the resolved day (Dossier.resolved_on); None while open."""
    if dossier.resolved_on is None:
        return None
    if dossier.resolved_on < dossier.due_date:
        return ResolutionTiming.EARLY
    if dossier.resolved_on == dossier.due_date:
        return ResolutionTiming.ON_TIME
    return ResolutionTiming.LATE


def apology_deadline(first_due: date, calendar: WorkCalendar) -> date:
    """The last day an apology counts as in time: the working day that lies the dated rule
    "apology_lead_working_days" working days before the ORIGINAL due date (a supplement
    request does not move it). One issued on the due date itself is late."""
    due = first_due
    day = due
    for _step in range(int(calendar.rule("apology_lead_working_days", due))):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return day


def apology_in_time(dossier: Dossier) -> bool | None:
    """The apology was issued by its deadline (Apology.in_time); None without one."""
    if dossier.apology is None:
        return None
    return dossier.apology.in_time


def dossier_state(dossier: Dossier, calendar: WorkCalendar, today: date | None = None) -> str:
    """One of: withdrawn, on_time, late, ready, ready_late, supplement, overdue, at_risk,
    due_today, in_progress."""
    today = today or local_today()
    if dossier.status is DossierStatus.WITHDRAWN:
        return "withdrawn"
    if dossier.status is DossierStatus.RETURNED:
        return "late" if dossier.is_late else "on_time"
    if dossier.ready_at is not None:
        return "ready_late" if dossier.is_late else "ready"
    if open_supplement(dossier) is not None:
        return "supplement"
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
    if dossier.resolved_at is not None:
        return bool(dossier.is_late)
    if open_supplement(dossier) is not None:
        return False
    return dossier.due_date < (today or local_today())
