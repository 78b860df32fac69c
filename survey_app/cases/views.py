"""The principal's inbox and case page, the suggestions list, and the office's counts.

Clerks get 403 on every route here: they must never learn who complained.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from survey_app.audit import audit
from survey_app.auth.decorators import role_required
from survey_app.cases import bp, labels
from survey_app.cases.actions import TRANSITIONS, add_event, allowed, change_status
from survey_app.cases.forms import CallForm, NoteForm, ResolveForm, StatusForm
from survey_app.cases.models import Case, CaseEvent, EventKind, RootCause
from survey_app.cases.queries import (
    FILTERS,
    case_counts,
    case_for_school,
    counts_by_school,
    inbox_query,
    suggestions_query,
)
from survey_app.dossiers.models import Dossier
from survey_app.extensions import db
from survey_app.survey.models import Response
from survey_app.timeutil import local_today

PER_PAGE = 50


@bp.route("/cases")
@role_required("principal")
def inbox():
    today = local_today()
    tab = request.args.get("f", "all")
    if tab not in FILTERS:
        tab = "all"
    page = db.paginate(
        inbox_query(current_user.school_id, tab, today), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "cases/inbox.html",
        tab=tab,
        counts=case_counts(current_user.school_id, today),
        page=page,
        today=today,
        labels=labels,
    )


@bp.route("/cases/summary")
@role_required("principal", "office")
def summary():
    school_id = current_user.school_id  # None for the office: every school
    rows = counts_by_school(local_today(), school_id)
    return render_template("cases/summary.html", rows=rows)


@bp.route("/suggestions")
@role_required("principal")
def suggestions():
    page = db.paginate(
        suggestions_query(current_user.school_id), per_page=PER_PAGE, error_out=False
    )
    return render_template("cases/suggestions.html", page=page, labels=labels)


@bp.route("/cases/<int:case_id>")
@role_required("principal")
def case_page(case_id: int):
    return render_case(_load(case_id))


@bp.route("/cases/<int:case_id>/note", methods=["POST"])
@role_required("principal")
def add_note(case_id: int):
    case = _load(case_id, for_update=True)
    form = NoteForm()
    if not form.validate():
        return render_case(case, note_form=form, status=400)
    event = add_event(case, EventKind.NOTE, current_user.id, form.text.data)
    db.session.flush()
    audit("case_note", "case", case.id, event_id=event.id)
    db.session.commit()
    flash(_("Đã thêm ghi chú."), "info")
    return _back(case)


@bp.route("/cases/<int:case_id>/call", methods=["POST"])
@role_required("principal")
def add_call(case_id: int):
    case = _load(case_id, for_update=True)
    form = CallForm()
    if not form.validate():
        return render_case(case, call_form=form, status=400)
    text = labels.call_text(form.outcome.data, form.notes.data)
    event = add_event(case, EventKind.CALL, current_user.id, text)
    db.session.flush()
    audit("case_call", "case", case.id, event_id=event.id, outcome=form.outcome.data)
    db.session.commit()
    flash(_("Đã ghi lại cuộc gọi."), "info")
    return _back(case)


@bp.route("/cases/<int:case_id>/resolve", methods=["POST"])
@role_required("principal")
def resolve(case_id: int):
    case = _load(case_id, for_update=True)
    form = ResolveForm()
    if not form.validate():
        return render_case(case, resolve_form=form, status=400)
    if not allowed(case, "resolve"):
        return _refused(case)
    case.resolution = form.resolution.data
    case.root_cause = RootCause(form.root_cause.data)
    event = change_status(case, "resolve", current_user.id, form.resolution.data)
    db.session.flush()
    audit("case_resolved", "case", case.id, event_id=event.id, root_cause=case.root_cause)
    db.session.commit()
    flash(
        _("Đã ghi nhận kết quả giải quyết. Phụ huynh sẽ thấy câu trả lời tại đường dẫn khảo sát."),
        "info",
    )
    return _back(case)


@bp.route("/cases/<int:case_id>/status", methods=["POST"])
@role_required("principal")
def set_status(case_id: int):
    case = _load(case_id, for_update=True)
    form = StatusForm()
    if not form.validate():
        return render_case(case, status_form=form, status=400)
    action = form.action.data
    assert action is not None  # validated: one of start, close, reopen
    if not allowed(case, action):
        return _refused(case)
    event = change_status(case, action, current_user.id, form.text.data or "")
    db.session.flush()
    audit(f"case_{action}", "case", case.id, event_id=event.id, to=case.status)
    db.session.commit()
    flash(_("Đã cập nhật trạng thái."), "info")
    return _back(case)


def _load(case_id: int, for_update: bool = False) -> Case:
    case = case_for_school(case_id, current_user.school_id, for_update=for_update)
    if case is None:
        abort(404)
    return case


def _back(case: Case):
    return redirect(url_for("cases.case_page", case_id=case.id), code=303)


def _refused(case: Case):
    db.session.rollback()
    flash(_("Không thể thực hiện thao tác này ở trạng thái hiện tại của phản ánh."), "error")
    return render_case(case, status=409)


def render_case(case: Case, status: int = 200, **forms):
    """The case page; a form that failed validation comes back with its errors."""
    response = db.session.scalars(
        select(Response)
        .where(Response.id == case.response_id)
        .options(
            selectinload(Response.answers),
            joinedload(Response.dossier).joinedload(Dossier.procedure),
            joinedload(Response.dossier).joinedload(Dossier.received_by),
            joinedload(Response.dossier).joinedload(Dossier.returned_by),
            joinedload(Response.dossier).joinedload(Dossier.apology),
        )
    ).one()
    events = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id)
        .options(joinedload(CaseEvent.author))
        .order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    today = local_today()
    forms.setdefault("note_form", NoteForm(formdata=None))
    forms.setdefault("call_form", CallForm(formdata=None))
    forms.setdefault("resolve_form", ResolveForm(formdata=None))
    forms.setdefault("status_form", StatusForm(formdata=None))
    body = render_template(
        "cases/case.html",
        case=case,
        response=response,
        dossier=response.dossier,
        timing=dossier_timing(response.dossier, today),
        events=events,
        overdue=case.status.value in ("open", "in_progress") and case.due_date < today,
        actions=[a for a in TRANSITIONS if a != "resolve" and allowed(case, a)],
        can_resolve=allowed(case, "resolve"),
        labels=labels,
        **forms,
    )
    return body, status


def dossier_timing(dossier: Dossier, today) -> dict:
    """Was the dossier late? {'state': 'late'|'on_time'|'overdue'|'pending'|'withdrawn'}."""
    if dossier.returned_at is not None:
        return {"state": "late" if dossier.is_late else "on_time"}
    if dossier.withdrawn_at is not None:
        return {"state": "withdrawn"}
    return {"state": "overdue" if today > dossier.due_date else "pending"}
