"""Login and logout."""

import hashlib
import hmac
import re
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from survey_app.audit import audit
from survey_app.auth import accounts, bp
from survey_app.auth.decorators import role_required
from survey_app.auth.forms import ChangePasswordForm, LoginForm
from survey_app.auth.models import User
from survey_app.auth.passwords import verify_password
from survey_app.extensions import db, limiter
from survey_app.schools import School

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def safe_next(target: str | None) -> str | None:
    """Accept `next` only as a path on this site (no scheme, no host, no // or \\)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(c < " " for c in target):
        return None
    return target


def home_for(user: User) -> str:
    if user.has_role("clerk"):
        return url_for("dossiers.register")
    return url_for("reports.dashboard")


# What a user with a temporary password may still reach before changing it.
_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "static"}


@bp.before_app_request
def password_change_first():
    """After a reset, nothing but the change-password page until the password is changed."""
    if "_user_id" not in session or request.endpoint in _BEFORE_CHANGE:
        return None  # parents and anonymous visitors: no database work here
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"), code=303)
    return None


def desk_name() -> str | None:
    """Whose desk this is, for the login page: DESK_NAME, else the only school's name."""
    if current_app.config.get("DESK_NAME"):
        return current_app.config["DESK_NAME"]
    try:
        names = db.session.scalars(select(School.name).order_by(School.id).limit(2)).all()
    except DBAPIError:  # the database is away: the login form still shows, without the name
        db.session.rollback()
        return None
    return names[0] if len(names) == 1 else None


def _login_username() -> str:
    return (request.form.get("username") or "").strip().lower()[:64] or "-"


def _user_named(username: str) -> User | None:
    if _CONTROL.search(username):  # PostgreSQL refuses NUL: no such user, not a 500
        return None
    return db.session.scalars(select(User).where(User.username == username)).first()


def recorded_name(username: str, user: User | None) -> str:
    """What a log line or an audit row keeps of a typed user name: the account's name, or
    for a name no account has (often a password typed in the wrong field) a keyed
    fingerprint, "unknown:<12 hex>", that groups tries of the same text and reveals nothing."""
    if user is not None:
        return user.username
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, username.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return f"unknown:{digest[:12]}"


def _username_limit_key() -> str:
    """The per-username limit's key: a digest, so no typed text is a key in Redis."""
    digest = hashlib.sha256(_login_username().encode("utf-8", "replace")).hexdigest()
    return f"login-user:{digest[:32]}"


def _failed(response) -> bool:
    # Only failed attempts count towards the limit (a success answers 303).
    return response.status_code != 303


def _throttled(_limit) -> None:
    """A refused attempt is logged too (ASVS 5.0 16.3.1); the 429 page follows."""
    username = _login_username()
    current_app.logger.warning(
        "login throttled for %r from %s",
        recorded_name(username, _user_named(username)),
        request.remote_addr,
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT"],
    methods=["POST"],
    deduct_when=_failed,
    key_func=_username_limit_key,
    on_breach=_throttled,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT"],
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_throttled,
)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        assert form.username.data is not None and form.password.data is not None  # validated
        username = form.username.data.strip().lower()
        user = _user_named(username)
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if ok and user is not None and user.active:  # ok: never without a user
            session.clear()  # a fresh session at login (no fixation)
            login_user(user)
            audit("login", "user", user.id, school_id=user.school_id, user_id=user.id)
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.change_password"), code=303)
            return redirect(safe_next(request.args.get("next")) or home_for(user), code=303)
        name = recorded_name(username, user)  # never the typed text of an unknown name
        current_app.logger.warning("failed login for %r from %s", name, request.remote_addr)
        audit(
            "login_failed",
            "user",
            user.id if user else None,
            school_id=user.school_id if user else None,
            user_id=None,
            username=name,
        )
        db.session.commit()
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
        return render_template("auth/login.html", form=form, desk=desk_name()), 401
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form, desk=desk_name()), status


@bp.route("/logout", methods=["POST"])
@role_required("principal", "clerk", "office")
def logout():
    """End the session everywhere: the old cookie's session version no longer matches."""
    current_user.session_version += 1
    audit("logout", "user", current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@role_required("principal", "clerk", "office")
def change_password():
    """Everyone's own password; forced after a reset (the temporary one was just typed)."""
    form = ChangePasswordForm()
    forced = current_user.must_change_password
    if form.validate_on_submit():
        user = current_user._get_current_object()
        assert form.new.data is not None  # validated
        if not forced and not verify_password(user.password_hash, form.current.data or ""):
            form.current.errors = [*form.current.errors, _("Mật khẩu hiện tại không đúng.")]
        elif verify_password(user.password_hash, form.new.data):
            form.new.errors = [*form.new.errors, _("Mật khẩu mới phải khác mật khẩu cũ.")]
        else:
            accounts.set_password(user, form.new.data)
            db.session.commit()
            login_user(user)  # this browser stays signed in; every other session ends
            flash(_("Đã đổi mật khẩu."), "success")
            return redirect(home_for(user), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form, forced=forced), status
