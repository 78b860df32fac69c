"""Paper forms typed in by staff (the kiosk tablet is a device: survey_app/kiosk).

Same form class and validation as the parent's own link, and the same rules
(survey.refusal); the response records who typed it. Session CSRF (CSRFProtect) applies.
"""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import exists, select

from survey_app import questions
from survey_app.auth.decorators import role_required, school_id_or_404
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.extensions import db
from survey_app.forms import has_bad_chars
from survey_app.survey import bp
from survey_app.survey.forms import PaperEntryForm
from survey_app.survey.lookup import normalise_short_code
from survey_app.survey.models import Response, ResponseChannel
from survey_app.survey.refusal import handled_among, late_entry, refusal
from survey_app.survey.submit import store_response

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


def _unanswered_returned(school_id: int, limit: int = 30) -> list[Dossier]:
    query = select(Dossier).where(
        Dossier.school_id == school_id,
        Dossier.status == DossierStatus.RETURNED,
        ~exists().where(Response.dossier_id == Dossier.id),
    )
    return list(db.session.scalars(query.order_by(Dossier.returned_at.desc()).limit(limit)))


@bp.route("/survey-entry")
@role_required(*STAFF_ROLES)
def paper_index():
    school_id = school_id_or_404()
    code = request.args.get("code", "").strip()
    if code:
        dossier = _dossier_for_code(school_id, code)
        if dossier is not None:
            return redirect(url_for("survey.paper_entry", code=dossier.code))
    dossiers = _unanswered_returned(school_id)
    return render_template(
        "survey/paper_index.html",
        dossiers=dossiers,
        handled=handled_among(dossiers, current_user),  # someone else enters these
        code=code,
        not_found=bool(code),
    ), 404 if code else 200


@bp.route("/survey-entry/<code>", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def paper_entry(code: str):
    dossier = _dossier_for_code(school_id_or_404(), code)
    if dossier is None:
        abort(404)
    channel = ResponseChannel.PAPER
    late = late_entry(dossier, channel)
    form = PaperEntryForm()
    posted = request.method == "POST" and form.validate()
    reason = form.late_reason.data if late and posted else None
    refused = refusal(dossier, channel, current_user, late_reason=reason)
    if refused is not None and not (late and refused.reason == "expired"):
        return render_template(
            "survey/paper_blocked.html", dossier=dossier, message=refused.message
        ), refused.status
    status = 200
    if request.method == "POST":
        if posted and refused is None:
            stored = store_response(dossier, form, channel, current_user, late_entry_reason=reason)
            if stored is None:  # the race lost: the other answer came first
                refused = refusal(dossier, channel, current_user, late_reason=reason)
                assert refused is not None  # the dossier is answered now
                return render_template(
                    "survey/paper_blocked.html", dossier=dossier, message=refused.message
                ), refused.status
            return redirect(url_for("survey.paper_index", saved=dossier.code), code=303)
        if posted:  # valid answers, but no reason for a form entered after the link expired
            assert refused is not None  # else stored above
            form.late_reason.errors = [*form.late_reason.errors, refused.message]
        status = 400
    return render_template(
        "survey/paper_entry.html",
        form=form,
        dossier=dossier,
        questions=questions,
        late=late,
        late_message=refused.message if refused else None,
    ), status
