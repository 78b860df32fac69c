"""Supplement requests and refusals: record them, and print the one-stop forms.

The forms follow Decree 118/2025/NĐ-CP and its implementing circular; each print view's
docstring names its form (survey_app.dossiers.official_forms, docs/forms.md).
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from survey_app.auth.decorators import role_required
from survey_app.dossiers import bp, official_forms
from survey_app.dossiers.forms import RefusalForm, SupplementDoneForm, SupplementForm
from survey_app.dossiers.intake import (
    IntakeError,
    complete_supplement,
    refuse_dossier,
    request_supplement,
)
from survey_app.dossiers.models import Notice, NoticeKind
from survey_app.dossiers.print_views import principal_of
from survey_app.dossiers.views import STAFF, load_dossier, unless_open
from survey_app.extensions import db
from survey_app.jinja_filters import code_span
from survey_app.letterhead import in_vietnamese
from survey_app.timeutil import local_to_utc, to_local


def _notice_page(code: str, form, issue, done: str, *, title: str, hint: str, button: str):
    """The form of a one-stop notice (Mẫu 02, 03) for an open dossier: on a valid submit,
    `issue(dossier)` records it, then its print; else the form again (400 with why)."""
    dossier = load_dossier(code)
    if refused := unless_open(dossier):
        return refused
    if form.validate_on_submit():
        try:
            notice = issue(dossier)
        except IntakeError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("dossiers.notice", code=code, notice_id=notice.id), 303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "dossiers/notice_form.html",
        form=form,
        dossier=dossier,
        title=title % {"code": dossier.code},
        heading=escape(title) % {"code": code_span(dossier.code)},
        hint=hint,
        button=button,
    ), status


@bp.route("/dossiers/<code>/supplement/new", methods=["GET", "POST"])
@role_required(*STAFF)
def request_supplement_view(code):
    """Record a supplement request (form 02); its print follows."""
    form = SupplementForm()
    return _notice_page(
        code,
        form,
        lambda dossier: request_supplement(
            dossier, papers=form.papers.data or "", issued_by=current_user
        ),
        _("Đã lập phiếu yêu cầu bổ sung. Hãy in và giao cho phụ huynh."),
        title=_("Yêu cầu bổ sung, hoàn thiện hồ sơ %(code)s"),
        hint=_(
            "Thời hạn giải quyết được tính lại từ khi nhận đủ hồ sơ; ngày hẹn ban đầu vẫn "
            "được giữ để tính thư xin lỗi."
        ),
        button=_("Lập phiếu yêu cầu bổ sung"),
    )


@bp.route("/dossiers/<code>/supplement/done", methods=["POST"])
@role_required(*STAFF)
def complete_supplement_view(code):
    """The complete dossier came back: the due date is computed again from it."""
    dossier = load_dossier(code)
    form = SupplementDoneForm()
    if not form.validate_on_submit():  # no CSRF token, or an unreadable time
        abort(400, _("Thời điểm nhận đủ hồ sơ không hợp lệ."))
    when = local_to_utc(form.completed_at.data) if form.completed_at.data else None
    try:
        notice = complete_supplement(dossier, completed_at=when, completed_by=current_user)
    except IntakeError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("dossiers.detail", code=code), 303)
    db.session.commit()
    assert notice.due_date_after is not None  # completing a supplement sets it
    flash(
        _(
            "Đã nhận đủ hồ sơ. Ngày hẹn trả mới: %(d)s.",
            d=notice.due_date_after.strftime("%d/%m/%Y"),
        ),
        "success",
    )
    return redirect(url_for("dossiers.detail", code=code), 303)


@bp.route("/dossiers/<code>/refuse", methods=["GET", "POST"])
@role_required(*STAFF)
def refuse_view(code):
    """Record a refusal to receive or process the dossier (form 03); it closes it."""
    form = RefusalForm()
    return _notice_page(
        code,
        form,
        lambda dossier: refuse_dossier(
            dossier, reason=form.reason.data or "", refused_by=current_user
        ),
        _("Đã lập phiếu từ chối. Hãy in và giao cho phụ huynh."),
        title=_("Từ chối tiếp nhận, giải quyết hồ sơ %(code)s"),
        hint=_("Hồ sơ bị từ chối được đóng lại và không tính vào tỷ lệ đúng hạn."),
        button=_("Lập phiếu từ chối"),
    )


@bp.route("/dossiers/<code>/notices/<int:notice_id>")
@role_required(*STAFF)
@in_vietnamese
def notice(code, notice_id):
    """Print a supplement request or a refusal, A4.

    Supplement: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", Mẫu số 02; refusal: "Phiếu từ
    chối tiếp nhận, giải quyết hồ sơ", Mẫu số 03 — Phụ lục I, Thông tư 03/2025/TT-VPCP
    implementing Decree 118/2025/NĐ-CP (numbering from a secondary source: docs/forms.md).
    """
    dossier = load_dossier(code)
    row = db.session.get(Notice, notice_id)
    if row is None or row.dossier_id != dossier.id:
        abort(404)
    form = (
        official_forms.SUPPLEMENT if row.kind is NoticeKind.SUPPLEMENT else official_forms.REFUSAL
    )
    # Numbered within the dossier: its first supplement request is BS-1, its second BS-2.
    ordinal = 1 + sum(1 for n in dossier.notices if n.kind is row.kind and n.id < row.id)
    return render_template(
        "dossiers/notice.html",
        dossier=dossier,
        notice=row,
        number=f"{dossier.code}/{form.suffix}-{ordinal}",
        form=form,
        issued_local=to_local(row.issued_at),
        received_local=to_local(dossier.received_at),
        principal=principal_of(dossier.school),
        layout="a4",
    )
