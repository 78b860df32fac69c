"""The principal's clerks; the office's schools and principals. Every change is audited
(auth.accounts, dossiers.procedures.create_school)."""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.admin import bp
from survey_app.admin.forms import PrincipalForm, SchoolForm, StaffForm
from survey_app.auth import accounts
from survey_app.auth.accounts import school_principals
from survey_app.auth.decorators import role_required
from survey_app.auth.models import Role, User
from survey_app.dossiers.forms import ConfirmForm
from survey_app.dossiers.procedures import create_school
from survey_app.extensions import db
from survey_app.schools import School


def _manageable(user: User) -> bool:
    """A principal manages the clerks of their school; the office, every school's principals."""
    if current_user.has_role("principal"):
        return user.role is Role.CLERK and user.school_id == current_user.school_id
    return current_user.has_role("office") and user.role is Role.PRINCIPAL


def _admin_home() -> str:
    return url_for("admin.schools" if current_user.has_role("office") else "admin.users")


def _shown_once(user: User, password: str, created: bool):
    """The temporary password, on this page only: never stored, never cached."""
    response = make_response(
        render_template(
            "admin/temporary_password.html",
            user=user,
            password=password,
            created=created,
            back=_admin_home(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _create_account(form: StaffForm, role: Role, school: School):
    assert form.username.data is not None and form.full_name.data is not None  # validated
    password = accounts.temporary_password()
    user = accounts.create_user(
        form.username.data,
        role,
        password=password,
        school=school,
        full_name=form.full_name.data,
        email=form.email.data,
        must_change_password=True,
    )
    db.session.commit()
    return _shown_once(user, password, created=True)


@bp.route("/users")
@role_required("principal")
def users():
    return _users_page(StaffForm())


def _users_page(form: StaffForm, status: int = 200):
    staff = db.session.scalars(
        select(User)
        .where(User.school_id == current_user.school_id)
        .order_by(User.active.desc(), User.role, User.full_name)
    ).all()
    return render_template(
        "admin/users.html", staff=staff, form=form, confirm=ConfirmForm()
    ), status


@bp.route("/users/new", methods=["POST"])
@role_required("principal")
def new_clerk():
    form = StaffForm()
    if form.validate_on_submit():
        return _create_account(form, Role.CLERK, current_user.school)
    return _users_page(form, 400)


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not _manageable(user):
        abort(404)
    return user


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("principal", "office")
def reset_password(user_id):
    user = _target(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = accounts.temporary_password()
    accounts.set_password(user, password, temporary=True)
    db.session.commit()
    return _shown_once(user, password, created=False)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required("principal", "office")
def deactivate_user(user_id):
    user = _target(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if accounts.deactivate(user):
        db.session.commit()
        flash(_("Đã khoá tài khoản %(name)s.", name=user.username), "success")
        if user.role is Role.PRINCIPAL:
            assert user.school_id is not None  # the school_staff constraint: staff have a school
            if not school_principals(user.school_id):
                flash(
                    _(
                        "Trường này không còn hiệu trưởng nào đang hoạt động: phản ánh mới "
                        "sẽ không có người nhận."
                    ),
                    "error",
                )
    return redirect(_admin_home(), 303)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@role_required("principal", "office")
def activate_user(user_id):
    user = _target(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if accounts.activate(user):
        db.session.commit()
        flash(_("Đã mở lại tài khoản %(name)s.", name=user.username), "success")
    return redirect(_admin_home(), 303)


def _school_choices(form: PrincipalForm, schools: list[School]) -> None:
    form.school.choices = [("", _("— Chọn trường —"))] + [
        (s.code, f"{s.code} · {s.name}") for s in schools
    ]


def _all_schools() -> list[School]:
    return list(db.session.scalars(select(School).order_by(School.code)))


def _schools_page(school_form: SchoolForm, principal_form: PrincipalForm, status: int = 200):
    schools = _all_schools()
    principals = db.session.scalars(
        select(User).where(User.role == Role.PRINCIPAL).order_by(User.full_name)
    ).all()
    by_school: dict[int | None, list[User]] = {}
    for user in principals:
        by_school.setdefault(user.school_id, []).append(user)
    _school_choices(principal_form, schools)
    return render_template(
        "admin/schools.html",
        schools=schools,
        principals=by_school,
        school_form=school_form,
        principal_form=principal_form,
        confirm=ConfirmForm(),
    ), status


@bp.route("/schools")
@role_required("office")
def schools():
    return _schools_page(SchoolForm(prefix="school"), PrincipalForm(prefix="principal"))


@bp.route("/schools/new", methods=["POST"])
@role_required("office")
def new_school():
    form = SchoolForm(prefix="school")
    if form.validate_on_submit():
        assert form.code.data is not None and form.name.data is not None  # validated
        school = create_school(form.code.data, form.name.data, form.address.data)
        db.session.commit()
        flash(
            _("Đã tạo trường %(name)s cùng các thủ tục thường dùng.", name=school.name), "success"
        )
        return redirect(url_for("admin.schools"), 303)
    return _schools_page(form, PrincipalForm(prefix="principal"), 400)


@bp.route("/schools/principals/new", methods=["POST"])
@role_required("office")
def new_principal():
    form = PrincipalForm(prefix="principal")
    _school_choices(form, _all_schools())
    if form.validate_on_submit():
        school = accounts.find_school(form.school.data)
        assert school is not None  # validated: one of the choices, every school
        return _create_account(form, Role.PRINCIPAL, school)
    return _schools_page(SchoolForm(prefix="school"), form, 400)
