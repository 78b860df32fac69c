"""Role checks for staff routes."""

from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user, login_required


def role_required(*roles: str) -> Callable:
    """Require a logged-in user with one of `roles`; 403 for any other role.

    A kiosk tablet (its device cookie, enrolled or revoked) with no staff session gets 403
    too, not the login page: it reaches the kiosk pages only (kiosk/device.py).
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def checked(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated and request.cookies.get(
                current_app.config["KIOSK_COOKIE_NAME"]
            ):
                abort(403)
            return checked(*args, **kwargs)

        # A function attribute (read by the route-walk tests): no type declares it.
        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def school_id_or_404() -> int:
    """The current staff member's school; office users (no school) get 404 on school pages."""
    if current_user.school_id is None:
        abort(404)
    return current_user.school_id
