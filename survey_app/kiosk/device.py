"""The kiosk's device credential: a long-lived cookie holding the device's secret.

No staff session lives on the tablet. A request that carries the cookie is the kiosk:
`kiosk_required` lets it reach the kiosk pages only while its device is enrolled and not
revoked (checked against the database at every request, so a revocation takes effect at
the next one), and `role_required` refuses it every staff page (auth/decorators.py).
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import current_app, g, render_template, request
from flask_login import current_user

from survey_app.extensions import db
from survey_app.kiosk.models import KioskDevice
from survey_app.timeutil import utcnow

# last_used_at is written at most this often (a kiosk page view is not worth a write each).
TOUCH_EVERY = timedelta(minutes=5)


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def cookie_name() -> str:
    return current_app.config["KIOSK_COOKIE_NAME"]


def has_kiosk_cookie() -> bool:
    """Whether this browser presents itself as a kiosk (enrolled, revoked or forged alike)."""
    return bool(request.cookies.get(cookie_name()))


def set_device_cookie(response, device: KioskDevice, secret: str) -> None:
    response.set_cookie(
        cookie_name(),
        f"{device.id}.{secret}",
        max_age=current_app.config["KIOSK_COOKIE_DAYS"] * 86400,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Strict",
    )


def device_of_cookie() -> KioskDevice | None:
    """The enrolled, unrevoked device whose secret this request's cookie holds, or None."""
    if "kiosk_device" in g:
        return g.kiosk_device
    device = None
    raw = request.cookies.get(cookie_name(), "")
    device_id, _dot, secret = raw.partition(".")
    if device_id.isdigit() and len(device_id) < 10 and 20 <= len(secret) <= 100:
        found = db.session.get(KioskDevice, int(device_id))
        if (
            found is not None
            and found.revoked_at is None
            and found.secret_hash is not None
            and hmac.compare_digest(found.secret_hash, digest(secret))
        ):
            device = found
    g.kiosk_device = device
    return device


def staff_operator(device: KioskDevice):
    """A staff member of the device's school signed in on the same browser, if any: the
    one whose hands are on the tablet as far as the server can know."""
    user = current_user
    if (
        getattr(user, "is_authenticated", False)
        and user.has_role("principal", "clerk")
        and user.school_id == device.school_id
    ):
        return user
    return None


def _touch(device: KioskDevice) -> None:
    now = utcnow()
    if device.last_used_at is None or now - device.last_used_at >= TOUCH_EVERY:
        device.last_used_at = now
        db.session.commit()


def kiosk_required(view: Callable) -> Callable:
    """Only an enrolled, unrevoked kiosk device; anything else gets a 403 page with no data."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        device = device_of_cookie()
        if device is None:
            # A revoked device keeps its cookie: it stays refused here and on staff pages.
            return render_template("kiosk/not_enrolled.html", revoked=has_kiosk_cookie()), 403
        _touch(device)
        return view(*args, **kwargs)

    # A function attribute (read by the route-walk tests: no staff role): no type declares it.
    wrapped.allowed_roles = ("kiosk",)  # type: ignore[attr-defined]
    return wrapped
