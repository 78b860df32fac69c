"""Dashboard, the report page, exports, charts and filing."""

from io import BytesIO

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.audit import audit
from survey_app.auth.decorators import role_required
from survey_app.auth.models import Role
from survey_app.extensions import db
from survey_app.reports import bp, charts, exports, periods, queries, summary_tables
from survey_app.reports import figures as F
from survey_app.reports.forms import FileReportForm
from survey_app.reports.models import FiledReport
from survey_app.reports.periods import PeriodError
from survey_app.reports.stats import Rate, pct
from survey_app.schools import School
from survey_app.timeutil import local_today

OFFICE = Role.OFFICE.value


@bp.context_processor
def report_helpers():
    return {"pct": pct, "interval_note": summary_tables.interval_note}


def _scope() -> tuple[School | None, bool]:
    """(school, personal): the principal's own school with personal data; the office picks a
    school with ?school=CODE (figures only) or sees all schools."""
    if current_user.role.value != OFFICE:
        return db.get_or_404(School, current_user.school_id), True
    code = request.args.get("school", "").strip()
    if not code:
        return None, False
    school = db.session.scalars(select(School).where(School.code == code[:20])).first()
    if school is None:
        abort(404)
    return school, False


def _period_from_args(default=None, school: School | None = None) -> periods.Period | None:
    """The period of ?period=KEY (or ?period=custom&from=...&to=...); None when unreadable."""
    key = request.args.get("period", "")
    if key == "custom":
        key = f"{request.args.get('from', '')}..{request.args.get('to', '')}"
    if not key and default is not None:
        return default
    try:
        return periods.parse_period(key, school.id if school else None)
    except PeriodError:
        return None


def bad_request(message: str):
    """400 with the reason in words (the shared error page has no room for one)."""
    return render_template("reports/bad_request.html", message=message), 400


def _view_args(school: School | None) -> dict:
    return (
        {"school": school.code} if school is not None and current_user.role.value == OFFICE else {}
    )


@bp.route("/dashboard")
@role_required("principal", "office")
def dashboard():
    school, _personal = _scope()
    today = local_today()
    school_id = school.id if school else None
    this_month, ytd = periods.month_of(today), periods.year_to_date(today)
    office = current_user.role.value == OFFICE and school is None
    ytd_by_school = F.breakdown(None, ytd, "school") if office else None
    blocks = []
    for period in (this_month, ytd):
        by_school_rows = ytd_by_school if period is ytd else None
        figures = F.compute(school_id, period, today=today, by_school=by_school_rows)
        # a month still running is shown with its count, never judged against the target
        # (the year to date is: it says where the school stands so far)
        running = period.kind == "month" and periods.tentative_until(period, today) is not None
        rows = F.headline(figures, F.targets(school_id, period), running)
        # the one-stop table of the report (summary_tables.onestop_table: its labels live there)
        blocks.append((period, figures, rows, running, summary_tables.onestop_table(figures)))
    by_school = []
    if ytd_by_school is not None:
        targets = F.targets(None, ytd)
        # by school id: a BreakdownRow's key, typed object (a school's row has its id)
        codes: dict[object, str] = dict(
            db.session.execute(select(School.id, School.code)).tuples().all()
        )
        by_school = [(row, codes.get(row.key), F.headline(row, targets)) for row in ytd_by_school]
    return render_template(
        "reports/dashboard.html",
        school=school,
        blocks=blocks,
        now_cases=blocks[0][1].cases,
        todo=queries.todo(school_id, today),
        next_due=F.next_report_due(school_id, today),
        today=today,
        by_school=by_school,
        trend_period=this_month,
        view_args=_view_args(school),
        indicators=F.TARGETED,
        provenance=_looks_assisted(school_id, this_month),
    )


def _looks_assisted(school_id: int | None, period: periods.Period) -> tuple:
    """This month's split for the dashboard tile: (figures, looks-assisted share)."""
    split = queries.provenance(school_id, period)[None]
    return split, Rate.of(split.looks_assisted, split.self_service)


@bp.route("/reports")
@role_required("principal", "office")
def index():
    school, personal = _scope()
    today = local_today()
    default = periods.month_of(today)
    period = _period_from_args(default, school)
    status = 200 if period is not None else 400
    period = period or default
    report = summary_tables.build(school, period, personal, today)
    form = None
    if current_user.role.value != OFFICE and period.filable and report.filed is None:
        form = FileReportForm(period=period.key)
    return render_template(
        "reports/index.html",
        report=report,
        period=period,
        cover=periods.cover_lines(period, report.made_on),
        choices=periods.recent_choices(today, school.id if school else None),
        formats=exports.FORMATS,
        form=form,
        error=_("Kỳ báo cáo không hợp lệ.") if status == 400 else None,
        view_args=_view_args(school),
        schools=_schools_for_office(),
    ), status


def _schools_for_office() -> list[School]:
    if current_user.role.value != OFFICE:
        return []
    return list(db.session.scalars(select(School).order_by(School.name)))


@bp.route("/reports/export")
@role_required("principal", "office")
def export():
    fmt = request.args.get("format", "")
    if fmt not in exports.FORMATS:
        return bad_request(_("Định dạng không hợp lệ: chọn CSV, XLSX, PDF hoặc DOCX."))
    school, personal = _scope()
    period = _period_from_args(school=school)
    if period is None:
        return bad_request(_("Kỳ báo cáo không hợp lệ."))
    data, name, media_type = exports.export(school, period, personal, fmt, local_today())
    who, where = current_user.id, current_user.school_id
    code = school.code if school else None
    # End the read transaction first, so the audit line starts a write transaction: on
    # SQLite a read transaction that then writes fails at once ("database is locked") when
    # another export wrote meanwhile. Nothing is read between here and the commit.
    db.session.rollback()
    audit(
        "export",
        "report",
        None,
        school_id=where,
        user_id=who,
        period=period.key,
        format=fmt,
        school=code,
    )
    db.session.commit()
    response = send_file(BytesIO(data), mimetype=media_type, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/reports/charts/<name>.svg")
@role_required("principal", "office")
def chart(name: str):
    if name not in charts.NAMES:
        abort(404)
    school, _personal = _scope()
    period = _period_from_args(school=school)
    if period is None:
        return bad_request(_("Kỳ báo cáo không hợp lệ."))
    svg = charts.chart(name, school.id if school else None, period, "svg")
    return Response(svg, mimetype="image/svg+xml")


@bp.route("/reports/file", methods=["POST"])
@role_required("principal")
def file_report():
    form = FileReportForm()
    if not form.validate_on_submit():
        return bad_request(_("Thiếu kỳ báo cáo hoặc số báo cáo quá dài."))
    try:
        period = periods.parse_period(form.period.data, current_user.school_id)
    except PeriodError:
        return bad_request(_("Kỳ báo cáo không hợp lệ."))
    if not period.filable:
        return bad_request(_("Chỉ nộp được báo cáo tháng, quý, 6 tháng, 9 tháng hoặc năm."))
    school_id = current_user.school_id
    figures = F.compute(school_id, period, local_today())
    filed = FiledReport(
        school_id=school_id,
        period=period.key,
        number=(form.number.data or "").strip() or None,
        filed_by_id=current_user.id,
        figures=figures.as_json(),
    )
    db.session.add(filed)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        flash(_("Báo cáo kỳ này đã được nộp trước đó."), "error")
        return redirect(url_for("reports.index", period=period.key), 303)
    audit("file", "filed_report", filed.id, period=period.key, number=filed.number)
    db.session.commit()
    flash(_("Đã ghi nhận nộp báo cáo %(period)s.", period=period.label()))
    return redirect(url_for("reports.index", period=period.key), 303)
