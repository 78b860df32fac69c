"""The dossier register: list, intake, one dossier, return, withdrawal, apology record."""

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey_app.audit import Audit
from survey_app.auth.decorators import role_required
from survey_app.auth.models import User
from survey_app.dossiers import bp
from survey_app.dossiers.forms import (
    ApologyForm,
    ConfirmForm,
    DossierForm,
    ReturnForm,
    WithdrawForm,
)
from survey_app.dossiers.intake import (
    IntakeError,
    apology_deadline,
    apology_in_time,
    create_dossier,
    dossier_state,
    is_on_time,
    issue_apology,
    mark_ready,
    needs_apology,
    open_supplement,
    return_dossier,
    withdraw_dossier,
)
from survey_app.dossiers.models import BackdateReason, Dossier, DossierStatus, Procedure
from survey_app.dossiers.register import STATES, register_query
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.parsing import ParseError, parse_id, parse_month
from survey_app.timeutil import local_to_utc, local_today, to_local, utcnow

STAFF = ("principal", "clerk")
PER_PAGE = 50


def load_dossier(code: str) -> Dossier:
    """The current user's school's dossier with this tracking code, or 404."""
    dossier = db.session.scalars(
        select(Dossier)
        .options(joinedload(Dossier.procedure), joinedload(Dossier.school))
        .where(Dossier.school_id == current_user.school_id, Dossier.code == code)
    ).first()
    if dossier is None:
        abort(404)
    return dossier


def unless_open(dossier: Dossier):
    """The redirect to the dossier's page, with why, when a step needs it still open
    (received, being processed); None when it is."""
    if dossier.status is not DossierStatus.RECEIVED:
        flash(_("Hồ sơ này không còn ở trạng thái đang giải quyết."), "error")
        return redirect(url_for("dossiers.detail", code=dossier.code), 303)
    return None


def school_procedures(active_only: bool = False) -> list[Procedure]:
    query = select(Procedure).where(Procedure.school_id == current_user.school_id)
    if active_only:
        query = query.where(Procedure.active.is_(True))
    return list(db.session.scalars(query.order_by(Procedure.name)))


def backdate_grace(dossier: Dossier) -> int:
    """Minutes back from now after which a typed time is "nhập bù" (rule in force today)."""
    return int(WorkCalendar(dossier.school_id).rule("backdate_grace_minutes", local_today()))


def local_now() -> datetime:
    """Now, as the naive local wall-clock time a datetime-local input shows."""
    return to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)


ALL = "all"  # the status filter's "every status"
FILTER_NAMES = ("status", "procedure", "month", "state", "q")


def _filters() -> tuple[dict, list[str]]:
    """The register's filters from the query string, and what was wrong with them.

    With no filter at all the register opens on what needs action: the dossiers in progress.
    """
    args, errors = request.args, []
    chosen = any(args.get(name) for name in FILTER_NAMES)
    filters = {
        "status": args.get("status", "") or (ALL if chosen else DossierStatus.RECEIVED.value),
        "procedure_id": args.get("procedure", ""),
        "month": args.get("month", "").strip(),
        "state": args.get("state", ""),
        "q": args.get("q", "").strip()[:100],
    }
    if filters["status"] not in (ALL, *(s.value for s in DossierStatus)):
        errors.append(_("Trạng thái không hợp lệ."))
    if filters["state"] not in ("", *STATES):
        errors.append(_("Bộ lọc hạn xử lý không hợp lệ."))
    if filters["procedure_id"]:
        try:
            parse_id(filters["procedure_id"])
        except ParseError:
            errors.append(_("Thủ tục không hợp lệ."))
    if filters["month"]:
        try:
            parse_month(filters["month"])
        except ParseError as error:
            errors.append(str(error))
    return filters, errors


@bp.route("/dossiers")
@role_required(*STAFF)
def register():
    filters, errors = _filters()
    today, calendar = local_today(), WorkCalendar(current_user.school_id)
    page = None
    if not errors:
        query = register_query(
            current_user.school_id,
            today=today,
            calendar=calendar,
            status=None if filters["status"] == ALL else filters["status"],
            procedure_id=int(filters["procedure_id"] or 0) or None,
            month=filters["month"] or None,
            state=filters["state"] or None,
            q=filters["q"] or None,
        )
        page = db.paginate(query, per_page=PER_PAGE, error_out=False, max_per_page=PER_PAGE)
    states = {d.id: dossier_state(d, calendar, today) for d in (page.items if page else [])}
    args = {
        "status": filters["status"],
        "procedure": filters["procedure_id"],
        "month": filters["month"],
        "state": filters["state"],
        "q": filters["q"],
    }
    return render_template(
        "dossiers/register.html",
        page=page,
        states=states,
        filters=filters,
        errors=errors,
        procedures=school_procedures(),
        args={k: v for k, v in args.items() if v},
    ), (400 if errors else 200)


@bp.route("/dossiers/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    form = DossierForm()
    procedures = {p.id: p for p in school_procedures(active_only=True)}
    form.procedure.choices = [("", _("— Chọn thủ tục —"))] + [
        (p.id, f"{p.local_name} ({p.working_days} " + _("ngày làm việc") + ")")
        for p in procedures.values()
    ]
    if form.validate_on_submit():
        assert form.student_name.data is not None  # validated
        try:
            dossier = create_dossier(
                current_user.school,
                procedures[form.procedure.data],
                student_name=form.student_name.data,
                student_class=form.student_class.data,
                applicant_name=form.applicant_name.data,
                applicant_phone=form.applicant_phone.data,
                intake_channel=form.intake_channel.data,
                return_channel=form.return_channel.data,
                received_by=current_user,
            )
        except IntakeError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã tiếp nhận hồ sơ %(code)s.", code=dossier.code), "success")
            # The page after intake leads with printing the receipt for the parent.
            return redirect(url_for("dossiers.detail", code=dossier.code, received=1), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("dossiers/new.html", form=form), status


@bp.route("/dossiers/<code>")
@role_required(*STAFF)
def detail(code):
    dossier = load_dossier(code)
    calendar = WorkCalendar(dossier.school_id)
    trail = db.session.execute(
        select(Audit, User.full_name)
        .outerjoin(User, User.id == Audit.user_id)
        .where(
            Audit.entity == "dossier",
            Audit.entity_id == dossier.id,
            Audit.school_id == dossier.school_id,
        )
        .order_by(Audit.at, Audit.id)
    ).all()
    return render_template(
        "dossiers/detail.html",
        dossier=dossier,
        just_received=request.args.get("received") == "1",
        state=dossier_state(dossier, calendar),
        on_time=is_on_time(dossier),
        apology_in_time=apology_in_time(dossier),
        apology_deadline=(dossier.apology and dossier.apology.in_time_by)
        or apology_deadline(dossier.first_due_date, calendar),
        apology_lead=calendar.rule("apology_lead_working_days", dossier.first_due_date),
        needs_apology=needs_apology(dossier),
        open_supplement=open_supplement(dossier),
        backdate_label=BackdateReason.label_of(dossier.return_backdate_reason),
        apology_backdate_label=BackdateReason.label_of(
            dossier.apology.backdate_reason if dossier.apology else None
        ),
        confirm=ConfirmForm(),
        trail=trail,
        received_by=db.session.get(User, dossier.received_by_id)
        if dossier.received_by_id
        else None,
        returned_by=db.session.get(User, dossier.returned_by_id)
        if dossier.returned_by_id
        else None,
    )


@bp.route("/dossiers/<code>/return", methods=["GET", "POST"])
@role_required(*STAFF)
def return_result(code):
    dossier = load_dossier(code)
    if refused := unless_open(dossier):
        return refused
    form = ReturnForm()
    if not form.is_submitted():
        form.return_channel.data = dossier.return_channel.value
    if form.validate_on_submit():
        returned_at, ready_at = form.returned_at.data, form.ready_at.data
        try:
            return_dossier(
                dossier,
                returned_at=local_to_utc(returned_at) if returned_at else None,
                ready_at=local_to_utc(ready_at) if ready_at else None,
                return_channel=form.return_channel.data,
                returned_by=current_user,
                backdate_reason=form.backdate_reason.data or None,
                backdate_note=form.backdate_note.data,
            )
        except IntakeError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            if is_on_time(dossier):
                flash(_("Đã trả kết quả đúng hạn. Hãy in phiếu khảo sát cho phụ huynh."), "success")
            else:
                flash(_("Đã trả kết quả TRỄ HẠN: cần lập thư xin lỗi."), "error")
            if request.form.get("then") == "slip":  # "Trả kết quả & in phiếu": one step
                return redirect(url_for("dossiers.slip", code=code), 303)
            return redirect(url_for("dossiers.detail", code=code), 303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "dossiers/return.html", form=form, dossier=dossier, grace=backdate_grace(dossier)
    ), status


@bp.route("/dossiers/<code>/ready", methods=["POST"])
@role_required(*STAFF)
def ready(code):
    """The result is ready for the parent: stamped now, by the server's clock."""
    dossier = load_dossier(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        mark_ready(dossier, marked_by=current_user)
    except IntakeError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Đã ghi nhận có kết quả. Thời điểm này được dùng để tính đúng hạn."), "success")
    return redirect(url_for("dossiers.detail", code=code), 303)


@bp.route("/dossiers/<code>/withdraw", methods=["GET", "POST"])
@role_required(*STAFF)
def withdraw(code):
    dossier = load_dossier(code)
    if refused := unless_open(dossier):
        return refused
    form = WithdrawForm()
    if form.validate_on_submit():
        assert form.reason.data is not None  # validated
        try:
            withdraw_dossier(dossier, form.reason.data, withdrawn_by=current_user)
        except IntakeError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã ghi nhận rút hồ sơ."), "success")
            return redirect(url_for("dossiers.detail", code=code), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("dossiers/withdraw.html", form=form, dossier=dossier), status


@bp.route("/dossiers/<code>/apology/new", methods=["GET", "POST"])
@role_required(*STAFF)
def record_apology(code):
    dossier = load_dossier(code)
    if dossier.apology is not None:
        return redirect(url_for("dossiers.apology_letter", code=code), 303)
    if dossier.status is DossierStatus.WITHDRAWN or is_on_time(dossier):
        flash(_("Hồ sơ này không cần thư xin lỗi."), "error")
        return redirect(url_for("dossiers.detail", code=code), 303)
    form = ApologyForm()
    if not form.is_submitted():
        calendar = WorkCalendar(dossier.school_id)
        form.new_due_date.data = calendar.next_working_day(max(local_today(), dossier.due_date))
    if form.validate_on_submit():
        assert form.reason.data is not None and form.new_due_date.data is not None  # validated
        try:
            issue_apology(
                dossier,
                reason=form.reason.data,
                new_due_date=form.new_due_date.data,
                channel=form.channel.data,
                issued_at=local_to_utc(form.issued_at.data) if form.issued_at.data else None,
                issued_by=current_user,
                backdate_reason=form.backdate_reason.data or None,
                backdate_note=form.backdate_note.data,
            )
        except IntakeError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã lập thư xin lỗi. Hãy in và gửi cho phụ huynh."), "success")
            return redirect(url_for("dossiers.detail", code=code), 303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "dossiers/apology_form.html", form=form, dossier=dossier, grace=backdate_grace(dossier)
    ), status
