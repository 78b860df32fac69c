"""`flask data purge`: personal-data retention (names and phones of old dossiers, and free
text older than the rule `free_text_retention_days`)."""

from datetime import datetime, timedelta
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import and_, bindparam, exists, func, not_, select, update

from survey_app import parsing
from survey_app.audit import audit
from survey_app.cases.models import Case, CaseEvent, CaseStatus
from survey_app.dated_rules import get_rule
from survey_app.dossiers.models import Dossier, DossierStatus
from survey_app.dossiers.search import search_text_of
from survey_app.extensions import db, rowcount
from survey_app.notify.models import Outbox
from survey_app.schools import School
from survey_app.survey.models import Response
from survey_app.timeutil import day_start_utc, local_today, to_local, utcnow

# What a purged dossier shows instead of the student's name (the column is NOT NULL).
PURGED_NAME = "—"


@click.group("data")
def data_cli():
    """Personal-data retention."""


def _purge_filters(school_id: int, cutoff: datetime):
    """Dossiers of the school received before the cutoff, with the case-in-progress test."""
    active_case = exists(
        select(Case.id)
        .join(Response, Case.response_id == Response.id)
        .where(
            Response.dossier_id == Dossier.id,
            Case.status.in_([CaseStatus.OPEN, CaseStatus.IN_PROGRESS]),
        )
    )
    old = [Dossier.school_id == school_id, Dossier.received_at < cutoff]
    done = [Dossier.status != DossierStatus.RECEIVED, ~active_case]
    return old, done


def _phone_filters(school_id: int, cutoff: datetime):
    old_dossiers = select(Dossier.id).where(
        Dossier.school_id == school_id, Dossier.received_at < cutoff
    )
    active_case = exists(
        select(Case.id).where(
            Case.response_id == Response.id,
            Case.status.in_([CaseStatus.OPEN, CaseStatus.IN_PROGRESS]),
        )
    )
    return [
        Response.school_id == school_id,
        Response.dossier_id.in_(old_dossiers),
        Response.contact_phone.is_not(None),
        ~active_case,
    ]


PURGED_TEXT = "—"  # what a scrubbed comment, note, resolution or mail body shows


def _free_text_updates(school_id: int, now: datetime) -> list:
    """UPDATEs replacing the school's free text older than its retention rule by "—":
    comments, case notes and resolutions (of cases no longer open), sent mail bodies.
    Rows, counts, ratings, reasons and codes all stay."""
    days = get_rule("free_text_retention_days", school_id, to_local(now).date())
    cutoff = now - timedelta(days=int(days))
    active = Case.status.in_([CaseStatus.OPEN, CaseStatus.IN_PROGRESS])
    active_for_response = exists(select(Case.id).where(Case.response_id == Response.id, active))
    ended = func.coalesce(Case.resolved_at, Case.closed_at)
    return [
        update(Response)
        .where(
            Response.school_id == school_id,
            Response.submitted_at < cutoff,
            Response.comment.is_not(None),
            Response.comment != PURGED_TEXT,
            ~active_for_response,
        )
        .values(comment=PURGED_TEXT),
        update(CaseEvent)
        .where(
            CaseEvent.case_id.in_(select(Case.id).where(Case.school_id == school_id, ~active)),
            CaseEvent.at < cutoff,
            CaseEvent.text != "",
            CaseEvent.text != PURGED_TEXT,
        )
        .values(text=PURGED_TEXT),
        update(Case)
        .where(
            Case.school_id == school_id,
            ~active,
            ended < cutoff,
            Case.resolution.is_not(None),
            Case.resolution != PURGED_TEXT,
        )
        .values(resolution=PURGED_TEXT),
        update(Outbox)
        .where(
            Outbox.school_id == school_id,
            Outbox.sent_at.is_not(None),
            Outbox.created_at < cutoff,
            Outbox.body != PURGED_TEXT,
        )
        .values(body=PURGED_TEXT),
    ]


def _count_updates(statements) -> int:
    """How many rows the UPDATEs would change (same WHERE, counted)."""
    total = 0
    for statement in statements:
        table = statement.table
        total += db.session.execute(
            select(func.count()).select_from(table).where(statement.whereclause)
        ).scalar_one()
    return total


@data_cli.command("purge")
@click.option(
    "--before",
    required=True,
    type=parsing.DATE,
    help="Purge dossiers received before this day (YYYY-MM-DD, school time).",
)
@click.option("--school", "school_code", default=None, help="Only this school (code).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def purge(before, school_code, yes):
    """Remove applicants' names and phones from old dossiers; every figure stays."""
    if before > local_today():
        raise click.ClickException("--before must not be in the future.")
    cutoff = day_start_utc(before)
    query = select(School).order_by(School.code)
    if school_code:
        query = query.where(School.code == school_code)
    schools = db.session.scalars(query).all()
    if school_code and not schools:
        raise click.ClickException(f"Unknown school {school_code!r}.")

    plan: list[tuple[School, int, int, int]] = []  # (school, dossiers, phones, kept)
    texts_planned = 0
    for school in schools:
        old, done = _purge_filters(school.id, cutoff)
        pending = Dossier.personal_data_purged_at.is_(None)
        dossiers = db.session.execute(select(func.count()).where(*old, *done, pending)).scalar_one()
        kept = db.session.execute(
            select(func.count()).where(*old, pending, not_(and_(*done)))
        ).scalar_one()
        phones = db.session.execute(
            select(func.count()).where(*_phone_filters(school.id, cutoff))
        ).scalar_one()
        plan.append((school, dossiers, phones, kept))
        texts_planned += _count_updates(_free_text_updates(school.id, utcnow()))
    total = sum(d + p for _, d, p, _ in plan) + texts_planned
    kept_total = sum(k for *_, k in plan)
    if total == 0:
        click.echo(f"Nothing to purge before {before:%Y-%m-%d} (kept {kept_total} in progress).")
        return
    if not yes:
        click.confirm(
            f"Remove names and phones from {sum(d for _, d, _, _ in plan)} dossiers and "
            f"{sum(p for _, _, p, _ in plan)} call-back phones received before "
            f"{before:%Y-%m-%d}"
            + (f", and scrub {texts_planned} free texts past retention?" if texts_planned else "?"),
            abort=True,
        )

    now = utcnow()
    purged = phones_cleared = texts_scrubbed = 0
    for school, *_ in plan:
        old, done = _purge_filters(school.id, cutoff)
        dossiers = rowcount(
            db.session.execute(
                update(Dossier)
                .where(*old, *done, Dossier.personal_data_purged_at.is_(None))
                .values(
                    applicant_name=None,
                    applicant_phone=None,
                    student_name=PURGED_NAME,
                    personal_data_purged_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
        _refold_purged(school.id, now)
        phones = rowcount(
            db.session.execute(
                update(Response)
                .where(*_phone_filters(school.id, cutoff))
                .values(contact_phone=None)
                .execution_options(synchronize_session=False)
            )
        )
        texts = sum(
            rowcount(db.session.execute(s.execution_options(synchronize_session=False)))
            for s in _free_text_updates(school.id, now)
        )
        if dossiers or phones or texts:
            extra: dict[str, Any] = {"texts": texts} if texts else {}  # audit's **detail
            audit(
                "purge_personal_data",
                "school",
                school.id,
                school_id=school.id,
                before=before.isoformat(),
                dossiers=dossiers,
                phones=phones,
                **extra,
            )
        purged += dossiers
        phones_cleared += phones
        texts_scrubbed += texts
    db.session.commit()
    click.echo(
        f"Purged personal data of {purged} dossiers and {phones_cleared} call-back phones "
        f"received before {before:%Y-%m-%d}; kept {kept_total} still in progress."
    )
    if texts_scrubbed:
        click.echo(
            f"Scrubbed {texts_scrubbed} comments, case notes and mail bodies older than the "
            "retention period (rule free_text_retention_days)."
        )


def _refold_purged(school_id: int, purged_at: datetime) -> None:
    """The names and phones just removed leave the register's search text too."""
    rows = db.session.execute(
        select(
            Dossier.id,
            Dossier.code,
            Dossier.short_code,
            Dossier.student_name,
            Dossier.student_class,
            Dossier.applicant_name,
            Dossier.applicant_phone,
        ).where(Dossier.school_id == school_id, Dossier.personal_data_purged_at == purged_at)
    ).mappings()
    params = [{"row_id": row["id"], "folded": search_text_of(dict(row))} for row in rows]
    if params:
        db.session.execute(
            update(Dossier.__table__)
            .where(Dossier.__table__.c.id == bindparam("row_id"))
            .values(search_text=bindparam("folded")),
            params,
        )
