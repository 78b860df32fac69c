"""Bulk import of dossiers from CSV: every row is checked first, then all are written or none.

Header: procedure_code,applicant_name,applicant_phone,student_name,student_class,channel,
received_at,returned_at. Dates are ISO dates or date-times in the school's LOCAL time (an
explicit offset is honoured); returned_at may be empty. A date without a time is the start
of that day; a date-only returned_at on the day of receipt is taken as the moment of receipt.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from survey_app.audit import audit
from survey_app.auth.models import User
from survey_app.dossiers.intake import CLOCK_SKEW, _, create_dossier, return_dossier
from survey_app.dossiers.models import Dossier, IntakeChannel, Procedure
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.parsing import ParseError, check_day, parse_date
from survey_app.schools import School
from survey_app.timeutil import local_to_utc, utcnow

HEADER = (
    "procedure_code",
    "applicant_name",
    "applicant_phone",
    "student_name",
    "student_class",
    "channel",
    "received_at",
    "returned_at",
)
MAX_ROWS = 100_000  # the command line; ~2.5 ms a row on SQLite, ~5 ms on PostgreSQL
WEB_MAX_ROWS = 2_000  # a web request stays well under the 30 s worker timeout (PG: ~11 s)
LENGTHS = {"applicant_name": 120, "applicant_phone": 20, "student_name": 120, "student_class": 20}
PHONE = re.compile(r"^\+?[0-9][0-9 .-]{5,18}$")


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Row:
    line: int
    procedure: Procedure
    applicant_name: str
    applicant_phone: str
    student_name: str
    student_class: str
    channel: IntakeChannel
    received_at: datetime  # naive UTC
    returned_at: datetime | None  # naive UTC


def _parse_time(value: str) -> tuple[datetime, bool]:
    """(naive UTC, whether only a date was given) from an ISO date or local date-time."""
    if len(value) == 10:
        return local_to_utc(datetime.combine(parse_date(value), datetime.min.time())), True
    parsed = check_day(datetime.fromisoformat(value))  # the year before any conversion
    return local_to_utc(parsed), False


def _check_row(line: int, record: dict, procedures: dict, now: datetime) -> Row | list[RowError]:
    errors = []

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(line, f"{column}: {reason}"))

    for column, text in record.items():
        if any((c < " " and c not in "\t") or "\x7f" <= c <= "\x9f" for c in text):
            fail(column, _("có ký tự điều khiển không hợp lệ"))
        if column in LENGTHS and len(text) > LENGTHS[column]:
            fail(column, _("dài quá %(n)d ký tự", n=LENGTHS[column]))
    procedure = procedures.get(record["procedure_code"])
    if not record["procedure_code"]:
        fail("procedure_code", _("bắt buộc"))
    elif procedure is None:
        fail("procedure_code", _("không có thủ tục mã %(code)s", code=record["procedure_code"]))
    if not record["student_name"]:
        fail("student_name", _("bắt buộc"))
    if record["applicant_phone"] and not PHONE.match(record["applicant_phone"]):
        fail("applicant_phone", _("số điện thoại không hợp lệ"))
    channel = record["channel"] or IntakeChannel.COUNTER.value
    if channel not in {c.value for c in IntakeChannel}:
        fail("channel", _("phải là counter, postal, online_l3 hoặc online_l4"))
    received = returned = None
    try:
        received, _date_only = _parse_time(record["received_at"])
    except ParseError as error:
        fail("received_at", str(error))
    except ValueError:
        fail("received_at", _("bắt buộc, dạng YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM"))
    if received and received > now + CLOCK_SKEW:
        fail("received_at", _("ở tương lai"))
    if record["returned_at"]:
        try:
            returned, date_only = _parse_time(record["returned_at"])
        except ParseError as error:
            fail("returned_at", str(error))
        except ValueError:
            fail("returned_at", _("dạng YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM"))
        if returned and received:
            if date_only and received > returned and (received - returned).days < 1:
                returned = received  # same local day, no time given
            if returned < received:
                fail("returned_at", _("trước thời điểm tiếp nhận"))
            elif returned > now:  # returns follow the server's clock: no skew
                fail("returned_at", _("ở tương lai"))
    if errors:
        return errors
    assert procedure is not None and received is not None  # else an error was recorded
    return Row(
        line=line,
        procedure=procedure,
        applicant_name=record["applicant_name"],
        applicant_phone=record["applicant_phone"],
        student_name=record["student_name"],
        student_class=record["student_class"],
        channel=IntakeChannel(channel),
        received_at=received,
        returned_at=returned,
    )


def parse(
    data: bytes, school: School, max_rows: int = MAX_ROWS
) -> tuple[list[Row], list[RowError]]:
    """Check every row of the file; rows are usable only when the error list is empty."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(1, _("tệp không phải UTF-8"))]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return [], [RowError(1, _("tệp rỗng"))]
    header = [h.strip() for h in header]
    if tuple(header) != HEADER:
        return [], [RowError(1, _("dòng tiêu đề phải là %(h)s", h=",".join(HEADER)))]
    procedures = {
        p.code: p
        for p in db.session.scalars(select(Procedure).where(Procedure.school_id == school.id))
    }
    rows, errors, now, line = [], [], utcnow(), reader.line_num
    try:
        for fields in reader:
            start, line = line + 1, reader.line_num
            if not any(f.strip() for f in fields):
                continue  # a blank line
            if len(fields) != len(HEADER):
                errors.append(RowError(start, _("cần %(n)d cột", n=len(HEADER))))
                continue
            record = dict(zip(HEADER, (f.strip() for f in fields), strict=True))
            checked = _check_row(start, record, procedures, now)
            if isinstance(checked, Row):
                rows.append(checked)
            else:
                errors.extend(checked)
            if len(rows) + len(errors) > max_rows:
                return [], [RowError(start, _("quá %(n)d dòng", n=max_rows))]
    except csv.Error as error:
        errors.append(RowError(reader.line_num, _("CSV sai định dạng (%(e)s)", e=str(error))))
    if not rows and not errors:
        errors.append(RowError(1, _("không có dòng dữ liệu nào")))
    return rows, errors


def write(
    rows: Iterable[Row],
    school: School,
    user: User | None = None,
    progress: Callable[[Iterable[Row]], Iterable[Row]] = iter,
) -> list[Dossier]:
    """Create the dossiers of checked rows, in order (the caller commits once)."""
    calendar = WorkCalendar(school.id)
    made = []
    for row in progress(rows):
        dossier = create_dossier(
            school,
            row.procedure,
            student_name=row.student_name,
            student_class=row.student_class,
            applicant_name=row.applicant_name,
            applicant_phone=row.applicant_phone,
            intake_channel=row.channel,
            return_channel="postal" if row.channel is IntakeChannel.POSTAL else "counter",
            received_at=row.received_at,
            received_by=user,
            calendar=calendar,
        )
        if row.returned_at is not None:
            # history typed in bulk: a return more than the grace back is "nhập bù"
            return_dossier(
                dossier,
                returned_at=row.returned_at,
                returned_by=user,
                calendar=calendar,
                backdate_reason="import",
            )
        made.append(dossier)
    audit(
        "import",
        "dossier",
        None,
        school_id=school.id,
        user_id=user.id if user else None,
        count=len(made),
    )
    return made
