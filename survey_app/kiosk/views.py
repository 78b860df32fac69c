"""The tablet's pages: type the slip's short code, answer, thanks. Nothing else.

Reached with the device cookie only (kiosk_required); the dossier is found by its short
code within the device's school, never by its tracking code, and no page lists or names
another dossier. The same rules as every channel apply (survey.refusal).
"""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from survey_app import questions
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db
from survey_app.kiosk import bp
from survey_app.kiosk.device import device_of_cookie, kiosk_required, staff_operator
from survey_app.survey import lookup
from survey_app.survey.forms import CodeForm, StaffSurveyForm
from survey_app.survey.models import ResponseChannel
from survey_app.survey.refusal import refusal
from survey_app.survey.submit import store_response

CHANNEL = ResponseChannel.KIOSK


@bp.context_processor
def _kiosk_context() -> dict:
    return {"kiosk_device": device_of_cookie()}


def _start_page(form: CodeForm, status: int = 200):
    return render_template("kiosk/start.html", form=form), status


def _message(message: str, status: int):
    return render_template("kiosk/message.html", message=message), status


def _not_found() -> str:
    return _("Không tìm thấy mã này. Vui lòng kiểm tra lại mã trên phiếu (không có chữ O, I, L).")


def _dossier_of(school_id: int, raw: str | None) -> Dossier | None:
    code = lookup.normalise_short_code(raw)
    if code is None:
        return None
    return db.session.scalars(
        select(Dossier).where(Dossier.school_id == school_id, Dossier.short_code == code)
    ).first()


@bp.route("/kiosk", methods=["GET", "POST"])
@kiosk_required
def start():
    form = CodeForm()
    if request.method == "GET":
        return _start_page(form)
    if not form.validate() or not form.code.data:
        form.code.errors = [_("Vui lòng nhập mã 8 ký tự in trên phiếu khảo sát.")]
        return _start_page(form, 400)
    device = device_of_cookie()
    assert device is not None  # kiosk_required let only an enrolled device in
    dossier = _dossier_of(device.school_id, form.code.data)
    if dossier is None:
        form.code.errors = [_not_found()]
        return lookup.refuse("kiosk", form.code.data, lambda: _start_page(form, 404))
    return redirect(url_for("kiosk.survey", short_code=dossier.short_code), code=303)


@bp.route("/kiosk/<short_code>", methods=["GET", "POST"])
@kiosk_required
def survey(short_code: str):
    device = device_of_cookie()
    assert device is not None  # kiosk_required let only an enrolled device in
    dossier = _dossier_of(device.school_id, short_code)
    if dossier is None:
        return lookup.refuse("kiosk", short_code, lambda: _message(_not_found(), 404))
    operator = staff_operator(device)
    refused = refusal(dossier, CHANNEL, operator)
    if refused is not None:
        return _message(refused.message, refused.status)
    form = StaffSurveyForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            stored = store_response(dossier, form, CHANNEL, operator, kiosk_device_id=device.id)
            if stored is None:  # the race lost: another channel answered first
                refused = refusal(dossier, CHANNEL, operator)
                assert refused is not None  # the dossier is answered now
                return _message(refused.message, 409)
            return redirect(url_for("kiosk.done"), code=303)
        status = 400
    return render_template(
        "kiosk/form.html", form=form, dossier=dossier, questions=questions
    ), status


@bp.route("/kiosk/done")
@kiosk_required
def done():
    return render_template("kiosk/done.html")
