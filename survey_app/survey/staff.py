"""Assisted channels: paper forms typed in by staff, and the kiosk tablet at the desk.

Both use the same form class and validation as the parent's own link and the same
one-answer rule; the response records who entered it. Session CSRF (CSRFProtect) applies.
"""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, func, select

from survey_app.auth.decorators import role_required, school_id_or_404
from survey_app.auth.models import Role, User
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.extensions import db
from survey_app.survey import bp, questions
from survey_app.survey.forms import StaffSurveyForm, has_bad_chars
from survey_app.survey.lookup import normalise_short_code
from survey_app.survey.models import Response, ResponseChannel
from survey_app.survey.submit import can_answer, is_answered, store_response
from survey_app.timeutil import day_start_utc, local_today

STAFF_ROLES = ("principal", "clerk")


def _dossier_for_code(school_id: int, code: str) -> Dossier | None:
    """A dossier of this school by its tracking code, or by the slip's short code."""
    code = (code or "").strip()
    if not code or len(code) > 30 or has_bad_chars(code):
        return None  # never send NUL or junk to the database (PostgreSQL rejects NUL)
    dossier = db.session.scalars(
        select(Dossier).where(Dossier.school_id == school_id, Dossier.code == code)
    ).first()
    short = normalise_short_code(code)
    if dossier is None and short:
        dossier = db.session.scalars(
            select(Dossier).where(Dossier.school_id == school_id, Dossier.short_code == short)
        ).first()
    return dossier


def _dossier_or_404(code: str) -> Dossier:
    dossier = _dossier_for_code(school_id_or_404(), code)
    if dossier is None:
        abort(404)
    return dossier


def _unanswered_returned(school_id: int, since=None, limit: int = 30) -> list[Dossier]:
    query = select(Dossier).where(
        Dossier.school_id == school_id,
        Dossier.status == DossierStatus.RETURNED,
        ~exists().where(Response.dossier_id == Dossier.id),
    )
    if since is not None:
        query = query.where(Dossier.returned_at >= since)
    return list(db.session.scalars(query.order_by(Dossier.returned_at.desc()).limit(limit)))


def _blocked_reason(dossier: Dossier) -> tuple[str, int] | None:
    """Why no answer can be entered for this dossier now, with the HTTP status."""
    if dossier.status is DossierStatus.WITHDRAWN:
        return _("Hồ sơ đã rút, không khảo sát."), 410
    if not can_answer(dossier):
        return _("Hồ sơ chưa trả kết quả, chưa thể khảo sát."), 409
    if is_answered(dossier):
        return _("Hồ sơ này đã có phiếu khảo sát (mỗi hồ sơ chỉ một phiếu)."), 409
    return None


def handled_by_current_user(dossier: Dossier) -> bool:
    """DESIGN 'Honest figures': whoever received or returned it does not type its answer.

    Applies only where the school has more than one staff member.
    """
    if current_user.id not in (dossier.received_by_id, dossier.returned_by_id):
        return False
    staff = db.session.scalar(
        select(func.count(User.id)).where(
            User.school_id == dossier.school_id,
            User.active.is_(True),
            User.role.in_((Role.PRINCIPAL, Role.CLERK)),
        )
    )
    return staff > 1


# --- Paper forms -------------------------------------------------------------------------


@bp.route("/survey-entry")
@role_required(*STAFF_ROLES)
def paper_index():
    school_id = school_id_or_404()
    code = request.args.get("code", "").strip()
    if code:
        dossier = _dossier_for_code(school_id, code)
        if dossier is not None:
            return redirect(url_for("survey.paper_entry", code=dossier.code))
    return render_template(
        "survey/paper_index.html",
        dossiers=_unanswered_returned(school_id),
        code=code,
        not_found=bool(code),
    ), 404 if code else 200


@bp.route("/survey-entry/<code>", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def paper_entry(code: str):
    dossier = _dossier_or_404(code)
    blocked = _blocked_reason(dossier)
    if blocked is None and handled_by_current_user(dossier):
        blocked = (
            _(
                "Ông/Bà đã tiếp nhận hoặc trả hồ sơ này, nên không nhập phiếu khảo sát của "
                "hồ sơ này. Vui lòng nhờ một cán bộ khác nhập."
            ),
            403,
        )
    if blocked:
        message, status = blocked
        return render_template("survey/paper_blocked.html", dossier=dossier, message=message), (
            status
        )
    form = StaffSurveyForm()
    if request.method == "POST":
        if form.validate():
            if store_response(dossier, form, ResponseChannel.PAPER, current_user) is None:
                message = _("Hồ sơ này đã có phiếu khảo sát (mỗi hồ sơ chỉ một phiếu).")
                return render_template(
                    "survey/paper_blocked.html", dossier=dossier, message=message
                ), 409
            return redirect(url_for("survey.paper_index", saved=dossier.code), code=303)
        status = 400
    else:
        status = 200
    return render_template(
        "survey/paper_entry.html", form=form, dossier=dossier, questions=questions
    ), status


# --- Kiosk -------------------------------------------------------------------------------


@bp.route("/kiosk")
@role_required(*STAFF_ROLES)
def kiosk():
    school_id = school_id_or_404()
    code = request.args.get("code", "").strip()
    if code:
        dossier = _dossier_for_code(school_id, code)
        if dossier is not None:
            return redirect(url_for("survey.kiosk_survey", code=dossier.code))
    today = _unanswered_returned(school_id, since=day_start_utc(local_today()), limit=10)
    return render_template(
        "survey/kiosk_start.html", dossiers=today, code=code, not_found=bool(code)
    ), 404 if code else 200


@bp.route("/kiosk/<code>", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def kiosk_survey(code: str):
    dossier = _dossier_or_404(code)
    blocked = _blocked_reason(dossier)
    if blocked:
        message, status = blocked
        return render_template("survey/kiosk_message.html", message=message), status
    form = StaffSurveyForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            if store_response(dossier, form, ResponseChannel.KIOSK, current_user) is None:
                message = _("Hồ sơ này đã có phiếu khảo sát (mỗi hồ sơ chỉ một phiếu).")
                return render_template("survey/kiosk_message.html", message=message), 409
            return redirect(url_for("survey.kiosk_done"), code=303)
        status = 400
    return render_template(
        "survey/kiosk_form.html", form=form, dossier=dossier, questions=questions
    ), status


@bp.route("/kiosk/done")
@role_required(*STAFF_ROLES)
def kiosk_done():
    return render_template("survey/kiosk_done.html")
