"""The principal enrols, lists and revokes the school's kiosk tablets; the tablet takes
its credential from a one-time enrolment link (no staff session on the tablet)."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.audit import audit
from survey_app.auth.decorators import role_required, school_id_or_404
from survey_app.dossiers.qr import qr_svg
from survey_app.extensions import db
from survey_app.kiosk import bp
from survey_app.kiosk.device import digest, new_secret, set_device_cookie
from survey_app.kiosk.forms import KioskDeviceForm
from survey_app.kiosk.models import KioskDevice
from survey_app.timeutil import utcnow


def _devices(school_id: int) -> list[KioskDevice]:
    return list(
        db.session.scalars(
            select(KioskDevice)
            .where(KioskDevice.school_id == school_id)
            .order_by(KioskDevice.revoked_at.is_not(None), KioskDevice.created_at.desc())
        )
    )


def _own_device(device_id: int) -> KioskDevice:
    device = db.session.get(KioskDevice, device_id)
    if device is None or device.school_id != school_id_or_404():
        abort(404)
    return device


def _new_enrolment(device: KioskDevice) -> str:
    """A fresh one-time enrolment code for `device` (its hash stored, the code shown once)."""
    code = new_secret()
    device.enrol_hash = digest(code)
    minutes = current_app.config["KIOSK_ENROL_MINUTES"]
    device.enrol_expires_at = utcnow() + timedelta(minutes=minutes)
    return code


def _show_link_once(device: KioskDevice, code: str):
    """Post/redirect/get: the code rides in the principal's own (signed, HttpOnly) session
    to the page that shows it, once; the database keeps only its hash."""
    session["kiosk_enrol"] = {"device": device.id, "code": code}
    return redirect(url_for("kiosk.show_link", device_id=device.id), code=303)


@bp.route("/kiosks", methods=["GET", "POST"])
@role_required("principal")
def devices():
    school_id = school_id_or_404()
    form = KioskDeviceForm()
    if form.validate_on_submit():
        device = KioskDevice(school_id=school_id, name=form.name.data, created_by=current_user)
        code = _new_enrolment(device)
        db.session.add(device)
        db.session.flush()
        audit("kiosk_created", "kiosk_device", device.id, name=device.name)
        db.session.commit()
        return _show_link_once(device, code)
    status = 400 if form.errors else 200
    return render_template("kiosk/devices.html", form=form, devices=_devices(school_id)), status


@bp.route("/kiosks/<int:device_id>/link", methods=["GET", "POST"])
@role_required("principal")
def show_link(device_id: int):
    """POST: a new enrolment link (moves the device to another tablet: the old cookie stops
    working once the new link is used). GET: the link just made, shown once."""
    device = _own_device(device_id)
    if request.method == "POST":
        if device.revoked_at is not None:
            abort(409)
        code = _new_enrolment(device)
        audit("kiosk_link_issued", "kiosk_device", device.id)
        db.session.commit()
        return _show_link_once(device, code)
    pending = session.pop("kiosk_enrol", None)
    if not pending or pending.get("device") != device.id or device.enrol_hash is None:
        flash(_("Liên kết đăng ký chỉ hiện một lần. Hãy tạo liên kết mới."), "error")
        return redirect(url_for("kiosk.devices"), code=303)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    url = base + url_for("kiosk.enrol", code=pending["code"])
    return render_template(
        "kiosk/enrol_link.html",
        device=device,
        url=url,
        qr=qr_svg(url),
        minutes=current_app.config["KIOSK_ENROL_MINUTES"],
    )


@bp.route("/kiosks/<int:device_id>/revoke", methods=["POST"])
@role_required("principal")
def revoke(device_id: int):
    device = _own_device(device_id)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.enrol_hash = None
        audit("kiosk_revoked", "kiosk_device", device.id, name=device.name)
        db.session.commit()
    return redirect(url_for("kiosk.devices"), code=303)


def _device_of_enrolment(code: str) -> KioskDevice | None:
    if not 20 <= len(code) <= 100:
        return None
    device = db.session.scalars(
        select(KioskDevice).where(KioskDevice.enrol_hash == digest(code))
    ).first()
    if (
        device is None
        or device.revoked_at is not None
        or device.enrol_expires_at is None  # set with enrol_hash: never so here
        or device.enrol_expires_at < utcnow()
    ):
        return None
    return device


@bp.route("/kiosk/enrol/<code>", methods=["GET", "POST"])
def enrol(code: str):
    """Opened on the tablet: GET asks to confirm (a link preview must not use it up), POST
    turns this browser into the kiosk by setting the device cookie."""
    device = _device_of_enrolment(code)
    if device is None:
        return render_template("kiosk/not_enrolled.html", bad_link=True), 404
    if current_user.is_authenticated:
        # The tablet is not a staff terminal: enrol it signed out.
        return render_template("kiosk/enrol.html", device=device, signed_in=True), 409
    if request.method == "GET":
        return render_template("kiosk/enrol.html", device=device, code=code)
    # POST: CSRFProtect has checked the form's token (the tablet's anonymous session).
    secret = new_secret()
    device.secret_hash = digest(secret)
    device.enrol_hash = None
    device.enrol_expires_at = None
    device.enrolled_at = utcnow()
    device.last_used_at = device.enrolled_at
    audit("kiosk_enrolled", "kiosk_device", device.id, school_id=device.school_id)
    db.session.commit()
    response = redirect(url_for("kiosk.start"), code=303)
    set_device_cookie(response, device, secret)
    return response
