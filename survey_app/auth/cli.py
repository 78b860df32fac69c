"""`flask users ...` and `flask schools ...`: staff accounts and schools."""

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey_app.auth import accounts
from survey_app.auth.accounts import school_principals
from survey_app.auth.models import Role, User
from survey_app.dossiers.procedures import create_school as new_school
from survey_app.extensions import db
from survey_app.schools import School

ROLE_ALIASES = {"district": "office"}  # the plan's "Phòng GD&ĐT" is the oversight office


def valid_email(value: str | None) -> str | None:
    """A mail address email-validator accepts (syntax, no DNS lookup), normalised; the
    reserved `.test` domain only in the test configuration."""
    if value is None:
        return None
    try:
        return validate_email(
            value, check_deliverability=False, test_environment=current_app.testing
        ).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="'--email'") from None


@click.group("users")
def users_cli():
    """Staff accounts."""


def _check_password(password: str) -> None:
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"Password must have at least {accounts.MIN_PASSWORD_LENGTH} characters."
        )


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role", required=True, type=click.Choice(["principal", "clerk", "office", "district"])
)
@click.option(
    "--email",
    default=None,
    help="Mail address (the principal's gets case mail).",
)
@click.option("--school", "school_code", default=None, help="School code (not for office).")
@click.option("--full-name", default="", help="Full name shown in the timeline.")
@click.password_option(prompt="Password", confirmation_prompt=True, hide_input=True)
@with_appcontext
def create_user(username, role, email, school_code, full_name, password):
    """Create a staff account; the password is asked for (hidden, confirmed, pipeable)."""
    role = Role(ROLE_ALIASES.get(role, role))
    email = valid_email(email)
    _check_password(password)
    if accounts.find_user(username):
        raise click.ClickException(f"User {accounts.normal_username(username)!r} already exists.")
    school = None
    if role is Role.OFFICE:
        if school_code:
            raise click.ClickException("Office users belong to no school.")
    else:
        schools = db.session.scalars(
            select(School).where(School.code == school_code) if school_code else select(School)
        ).all()
        if len(schools) != 1:
            raise click.ClickException(
                "Unknown school." if school_code else "Name the school with --school CODE."
            )
        school = schools[0]
    user = accounts.create_user(
        username, role, password=password, school=school, full_name=full_name, email=email
    )
    db.session.commit()
    click.echo(f"Created {role.value} {user.username}" + (f" at {school.code}" if school else ""))


def _user(username: str) -> User:
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    return user


@users_cli.command("set-password")
@click.argument("username")
@click.password_option(prompt="New password", confirmation_prompt=True, hide_input=True)
@with_appcontext
def set_password(username, password):
    """Set a new password (asked for, hidden, confirmed); signs the user out everywhere."""
    user = _user(username)
    _check_password(password)
    accounts.set_password(user, password)
    db.session.commit()
    click.echo(f"New password set for {user.username}; their open sessions are ended.")


@users_cli.command("deactivate")
@click.argument("username")
@with_appcontext
def deactivate(username):
    """Disable an account (someone who left): no login, open sessions ended, history kept."""
    user = _user(username)
    if not accounts.deactivate(user):
        click.echo(f"{user.username} is already inactive.")
        return
    db.session.commit()
    click.echo(f"Deactivated {user.username}.")
    if user.role is Role.PRINCIPAL:
        assert user.school_id is not None  # the school_staff constraint: staff have a school
        if not school_principals(user.school_id):
            click.echo(
                "Warning: this school has no active principal left: new cases get no assignee "
                "and no mail until one is created or reactivated.",
                err=True,
            )


@users_cli.command("activate")
@click.argument("username")
@with_appcontext
def activate(username):
    """Enable a deactivated account again (with the password it had)."""
    user = _user(username)
    if not accounts.activate(user):
        click.echo(f"{user.username} is already active.")
        return
    db.session.commit()
    click.echo(f"Activated {user.username}.")


@users_cli.command("list")
@with_appcontext
def list_users():
    """One user a line: USERNAME<TAB>ROLE<TAB>SCHOOL<TAB>ACTIVE."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        school = user.school.code if user.school else "-"
        click.echo(f"{user.username}\t{user.role.value}\t{school}\t{int(user.active)}")


@click.group("schools")
def schools_cli():
    """Schools."""


@schools_cli.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--address", default=None)
@with_appcontext
def create_school(code, name, address):
    """Create a school (with the usual procedures)."""
    if accounts.find_school(code):
        raise click.ClickException(f"School {code!r} already exists.")
    new_school(code, name, address)
    db.session.commit()
    click.echo(f"Created school {code}")
