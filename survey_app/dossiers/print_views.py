"""Printed papers: the receipt, the survey slip (one, or a day's A4 sheet of 8), the apology."""

from datetime import timedelta

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from survey_app.auth.decorators import role_required
from survey_app.auth.models import Role, School, User
from survey_app.dossiers import bp
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.dossiers.qr import code_entry_url, qr_svg, survey_url
from survey_app.dossiers.views import STAFF, load_dossier
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.parsing import ParseError, parse_date
from survey_app.timeutil import local_today, period_bounds_utc, to_local

RECEIPT_LAYOUTS = ("a5", "a4", "80mm")
SLIP_LAYOUTS = ("a6", "80mm")
SLIPS_PER_SHEET = 8
# A day's slips come 80 to a page (10 A4 sheets): a day of 4,000 returns is 50 pages of a
# fraction of a second each, never one response that outlasts the worker timeout.
SLIPS_PER_PAGE = 10 * SLIPS_PER_SHEET


def _layout(allowed: tuple[str, ...]) -> str:
    layout = request.args.get("layout", allowed[0])
    if layout not in allowed:
        abort(400)
    return layout


def principal_of(school: School) -> User | None:
    """Who signs for the school: its active principal (the first one, if several)."""
    return db.session.scalars(
        select(User)
        .where(User.school_id == school.id, User.role == Role.PRINCIPAL, User.active.is_(True))
        .order_by(User.id)
    ).first()


def slip_context(dossier: Dossier) -> dict:
    url = survey_url(dossier)
    return {"dossier": dossier, "url": url, "qr": qr_svg(url), "entry_url": code_entry_url()}


@bp.route("/dossiers/<code>/receipt")
@role_required(*STAFF)
def receipt(code):
    dossier = load_dossier(code)
    layout = _layout(RECEIPT_LAYOUTS)
    received_by = db.session.get(User, dossier.received_by_id) if dossier.received_by_id else None
    calendar = WorkCalendar(dossier.school_id)
    received_local = to_local(dossier.received_at)
    opening = calendar.next_opening(dossier.received_at)
    return render_template(
        "dossiers/receipt.html",
        layout=layout,
        layouts=RECEIPT_LAYOUTS,
        received_local=received_local,
        received_by=received_by,
        # Outside the opening hours: the instant the dossier counts from (the next opening).
        counts_from=None if opening == dossier.received_at else to_local(opening),
        hours=", ".join(
            f"{a:%H:%M}–{b:%H:%M}" for a, b in calendar.office_hours(received_local.date())
        ),
        **slip_context(dossier),
    )


@bp.route("/dossiers/<code>/slip")
@role_required(*STAFF)
def slip(code):
    dossier = load_dossier(code)
    layout = _layout(SLIP_LAYOUTS)
    return render_template(
        "dossiers/slip.html", layout=layout, layouts=SLIP_LAYOUTS, **slip_context(dossier)
    )


@bp.route("/dossiers/slips")
@role_required(*STAFF)
def slips():
    raw = request.args.get("date") or local_today().isoformat()
    try:
        day = parse_date(raw)
    except ParseError as error:
        abort(400, str(error))
    start, end = period_bounds_utc(day, day + timedelta(days=1))
    query = (
        select(Dossier)
        .options(joinedload(Dossier.school))
        .where(
            Dossier.school_id == current_user.school_id,
            Dossier.status == DossierStatus.RETURNED,
            Dossier.returned_at >= start,
            Dossier.returned_at < end,
        )
        .order_by(Dossier.returned_at, Dossier.code, Dossier.id)
    )
    page = db.paginate(query, per_page=SLIPS_PER_PAGE, max_per_page=SLIPS_PER_PAGE, error_out=False)
    slips = [slip_context(d) for d in page.items]
    sheets = [slips[i : i + SLIPS_PER_SHEET] for i in range(0, len(slips), SLIPS_PER_SHEET)]
    return render_template(
        "dossiers/slips.html",
        day=day,
        sheets=sheets,
        school=current_user.school,
        count=page.total,
        page=page,
        layout="sheet8",
    )


@bp.route("/dossiers/<code>/apology")
@role_required(*STAFF)
def apology_letter(code):
    dossier = load_dossier(code)
    if dossier.apology is None:
        abort(404, _("Hồ sơ này chưa có thư xin lỗi."))
    return render_template(
        "dossiers/apology_letter.html",
        dossier=dossier,
        apology=dossier.apology,
        issued_local=to_local(dossier.apology.issued_at),
        received_local=to_local(dossier.received_at),
        principal=principal_of(dossier.school),
        layout="a4",
    )
