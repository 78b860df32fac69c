"""The calendar of extra days off and make-up working days, per year."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from survey_app.audit import audit
from survey_app.auth.decorators import role_required
from survey_app.dossiers import bp
from survey_app.dossiers.forms import CalendarDayForm, ConfirmForm
from survey_app.dossiers.models import CalendarDay, DayKind
from survey_app.dossiers.views import STAFF
from survey_app.dossiers.workdays import (
    WorkCalendar,
    make_up_saturdays,
    public_holidays,
    swaps_of,
)
from survey_app.extensions import db
from survey_app.parsing import ParseError, parse_year
from survey_app.timeutil import local_today


def _year() -> int:
    raw = request.args.get("year") or str(local_today().year)
    try:
        return parse_year(raw)
    except ParseError as error:
        abort(400, str(error))


def _render(year: int, form: CalendarDayForm, status: int = 200):
    rows = db.session.scalars(
        select(CalendarDay)
        .where(
            CalendarDay.day >= date(year, 1, 1),
            CalendarDay.day <= date(year, 12, 31),
            or_(
                CalendarDay.school_id == current_user.school_id,
                CalendarDay.school_id.is_(None),
            ),
        )
        .order_by(CalendarDay.day)
    ).all()
    language = "vi" if str(get_locale()) == "vi" else "en_US"
    return render_template(
        "dossiers/calendar.html",
        year=year,
        rows=rows,
        holidays=sorted(
            public_holidays(year, language)
            + [(d, _("Làm việc bù (thứ Bảy)")) for d in make_up_saturdays(year)]
        ),
        swaps=swaps_of(year),
        form=form,
        confirm=ConfirmForm(),
    ), status


@bp.route("/calendar")
@role_required(*STAFF)
def calendar():
    form = CalendarDayForm()
    return _render(_year(), form)


@bp.route("/calendar/days", methods=["POST"])
@role_required("principal")
def add_calendar_day():
    form = CalendarDayForm()
    valid = form.validate_on_submit()
    day = form.day.data
    year = day.year if valid and day is not None else _year()
    if not form.errors:
        assert day is not None  # validated
        kind = DayKind(form.kind.data)
        default_working = WorkCalendar(current_user.school_id, overrides={}).is_working_day(day)
        taken = db.session.scalars(
            select(CalendarDay.id).where(
                CalendarDay.school_id == current_user.school_id, CalendarDay.day == day
            )
        ).first()
        if taken:
            form.day.errors = [
                *form.day.errors,
                _("Ngày này đã có trong lịch; hãy xóa dòng cũ trước."),
            ]
        elif kind is DayKind.WORK and default_working:
            form.day.errors = [*form.day.errors, _("Ngày này vốn đã là ngày làm việc.")]
        elif kind is DayKind.OFF and not default_working:
            form.day.errors = [*form.day.errors, _("Ngày này vốn đã là ngày nghỉ.")]
        else:
            row = CalendarDay(
                school_id=current_user.school_id, day=day, kind=kind, note=form.note.data or ""
            )
            db.session.add(row)
            db.session.flush()
            audit("create", "calendar_day", row.id, day=day.isoformat(), kind=kind.value)
            db.session.commit()
            flash(_("Đã thêm ngày %(day)s vào lịch.", day=day.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("dossiers.calendar", year=year), 303)
    return _render(year, form, 400)


@bp.route("/calendar/days/<int:day_id>/delete", methods=["POST"])
@role_required("principal")
def delete_calendar_day(day_id):
    row = db.get_or_404(CalendarDay, day_id)
    if row.school_id != current_user.school_id:
        abort(404)  # the office's days are not the school's to remove
    if not ConfirmForm().validate_on_submit():
        abort(400)
    year = row.day.year
    audit("delete", "calendar_day", row.id, day=row.day.isoformat(), kind=row.kind.value)
    db.session.delete(row)
    db.session.commit()
    flash(_("Đã xóa ngày %(day)s khỏi lịch.", day=row.day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("dossiers.calendar", year=year), 303)
