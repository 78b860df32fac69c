"""Staff accounts: the changes shared by the `flask users` commands and the administration
pages. They add and flush, and audit; the caller commits once."""

import secrets

from sqlalchemy import select

from survey_app.audit import audit
from survey_app.auth.models import Role, User
from survey_app.auth.passwords import hash_password
from survey_app.extensions import db
from survey_app.schools import School

MIN_PASSWORD_LENGTH = 8
# Read aloud or copied from a screen: no 0/o, 1/l/i.
_TEMPORARY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def normal_username(username: str) -> str:
    return username.strip().lower()


def find_user(username: str) -> User | None:
    return db.session.scalars(
        select(User).where(User.username == normal_username(username))
    ).first()


def find_school(code: str) -> School | None:
    return db.session.scalars(select(School).where(School.code == code.strip())).first()


def temporary_password() -> str:
    """12 random letters and digits (about 59 bits) in three groups: xxxx-xxxx-xxxx."""
    chars = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def create_user(
    username: str,
    role: Role,
    *,
    password: str,
    school: School | None = None,
    full_name: str = "",
    email: str | None = None,
    must_change_password: bool = False,
) -> User:
    """A new staff account (the caller checked the name is free and the password long)."""
    username = normal_username(username)
    user = User(
        username=username,
        role=role,
        email=email or None,
        full_name=full_name or username,
        password_hash=hash_password(password),
        school=school,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    audit("create", "user", user.id, school_id=school.id if school else None, role=role.value)
    return user


def end_sessions(user: User) -> None:
    """Every cookie of this user stops working (the loader checks the session version)."""
    user.session_version += 1


def set_password(user: User, password: str, *, temporary: bool = False) -> None:
    """A new password; signs the user out everywhere. A temporary one (given by someone
    else) must be changed at the next login."""
    user.password_hash = hash_password(password)
    user.must_change_password = temporary
    end_sessions(user)
    audit(
        "password_reset" if temporary else "password_set", "user", user.id, school_id=user.school_id
    )


def deactivate(user: User) -> bool:
    """No login, open sessions ended, history kept; False when it already was inactive."""
    if not user.active:
        return False
    user.active = False
    end_sessions(user)
    audit("deactivate", "user", user.id, school_id=user.school_id)
    return True


def activate(user: User) -> bool:
    """Enabled again with the password it had; False when it already was active."""
    if user.active:
        return False
    user.active = True
    audit("activate", "user", user.id, school_id=user.school_id)
    return True


def school_principals(school_id: int) -> list[User]:
    """The school's active principals, oldest account first."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.school_id == school_id,
                User.role == Role.PRINCIPAL,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )
