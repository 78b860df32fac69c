"""Closing the loop with the parent on their own survey link.

Once the dossier's case is resolved, /s/<token> shows the school's answer (signed by the
school, never by a staff member) and asks whether the parent is satisfied with it; "Không"
reopens the case and tells the principal. The answer form's CSRF token is bound to the
survey token (TokenCSRF), as the parent's browser may block cookies.
"""

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from survey_app.audit import audit
from survey_app.auth.accounts import school_principals
from survey_app.cases.actions import add_event
from survey_app.cases.models import Case, CaseStatus, EventKind
from survey_app.cases.queries import DONE
from survey_app.cases.routing import case_due_date
from survey_app.dossiers.models import Dossier
from survey_app.extensions import asked_lang, csrf, db, rowcount
from survey_app.notify.mail import enqueue_mail, public_url, send_soon
from survey_app.survey import bp, lookup
from survey_app.survey.forms import LoopForm
from survey_app.survey.models import Response
from survey_app.timeutil import utcnow


def dossier_case(dossier: Dossier) -> Case | None:
    return db.session.scalars(
        select(Case).join(Case.response).where(Response.dossier_id == dossier.id)
    ).first()


def loop_page(dossier: Dossier, form: LoopForm | None = None):
    """The page /s/<token> shows once the dossier has a case, else None.

    Resolved and not yet judged by the parent: the school's answer and the question (200).
    Already judged: a friendly "already answered" page (409). Still being handled: the
    same page as any answered survey (409; a clerk holding the link must not learn that
    its parent complained).
    """
    case = dossier_case(dossier)
    if case is None:
        return None
    if case.parent_answered_at is None and case.status in DONE:
        state, status = "ask", 400 if form is not None else 200
        form = form or LoopForm(formdata=None, meta={"csrf_context": dossier.token})
    elif case.parent_answered_at is not None:
        state, status = "answered", 409
    else:
        return make_response(render_template("survey/answered.html", dossier=dossier), 409)
    return _render(dossier, case, state, status, form)


def _render(dossier: Dossier, case: Case, state: str, status: int, form=None):
    body = render_template(
        "survey/loop.html",
        dossier=dossier,
        school=dossier.school,
        case=case,
        state=state,
        form=form,
    )
    return make_response(body, status)


@bp.route("/s/<token>/loop", methods=["GET", "POST"])
@csrf.exempt  # token-bound CSRF in LoopForm instead of the session's
def loop(token: str):
    """GET: the thank-you once answered; POST: the parent's answer."""
    dossier = lookup.dossier_for_token(token)
    case = dossier_case(dossier) if dossier else None
    # Counts with the survey's failed lookups, against enumeration.
    if dossier is None or case is None:
        return lookup.refuse("token", token, lambda: abort(404))
    if request.method == "GET":
        if case.parent_answered_at is None:
            return redirect(url_for("survey.survey", token=token, lang=asked_lang()), code=303)
        return _render(dossier, case, "thanks", 200)
    form = LoopForm(meta={"csrf_context": token})
    if not form.validate():
        if case.parent_answered_at is not None or case.status not in DONE:
            return loop_page(dossier)
        return loop_page(dossier, form)
    satisfied = form.answer.data == "yes"
    if not record_answer(case, satisfied, form.comment.data):
        db.session.rollback()
        return loop_page(dossier)
    db.session.commit()
    if not satisfied and current_app.config["MAIL_SEND_AFTER_COMMIT"]:
        send_soon()
    return redirect(url_for("survey.loop", token=token, lang=asked_lang()), code=303)


def record_answer(case: Case, satisfied: bool, comment: str | None) -> bool:
    """Store the parent's verdict once (atomic); "no" reopens the case. False if too late."""
    before = case.status
    now = utcnow()
    values = {"parent_satisfied": satisfied, "parent_answered_at": now}
    if not satisfied:
        values |= {
            "status": CaseStatus.OPEN,
            "resolved_at": None,
            "closed_at": None,
            "due_date": case_due_date(case.school_id, now),
        }
    done = db.session.execute(
        update(Case)
        .where(
            Case.id == case.id,
            Case.status == before,
            Case.parent_answered_at.is_(None),
            Case.status.in_(DONE),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(done) != 1:
        return False
    db.session.refresh(case)
    statuses = {} if satisfied else {"from_status": before.value, "to_status": "open"}
    add_event(case, EventKind.PARENT, None, comment or "", **statuses)
    audit("case_parent_answer", "case", case.id, school_id=case.school_id, satisfied=satisfied)
    if not satisfied:
        subject, body = reopened_mail(case, comment)
        for principal in school_principals(case.school_id):
            if principal.email:
                enqueue_mail(principal.email, subject, body, school_id=case.school_id)
    return True


def reopened_mail(case: Case, comment: str | None) -> tuple[str, str]:
    dossier = case.response.dossier
    with force_locale("vi"):
        subject = _(
            "Phụ huynh chưa hài lòng với cách giải quyết phản ánh hồ sơ %(code)s", code=dossier.code
        )
        lines = [
            _("Hồ sơ: %(code)s", code=dossier.code),
            _("Thủ tục: %(name)s", name=dossier.procedure.name),
            _(
                "Phản ánh đã được mở lại, hạn xử lý mới: %(date)s",
                date=case.due_date.strftime("%d/%m/%Y"),
            ),
            "",
            _("Ý kiến thêm của phụ huynh:"),
            comment or _("(không có)"),
            "",
            _("Xem và xử lý: %(url)s", url=public_url(f"/cases/{case.id}")),
        ]
    return subject, "\n".join(lines)
