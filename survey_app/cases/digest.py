"""The daily digest of overdue cases to each school's principals (`flask notify digest`)."""

import click
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from survey_app.audit import Audit, audit
from survey_app.auth.accounts import school_principals
from survey_app.cases.queries import overdue_cases
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.notify.mail import enqueue_mail, public_url, send_pending
from survey_app.schools import School
from survey_app.timeutil import day_start_utc, local_today


@click.command("digest")
@click.option("--force", is_flag=True, help="Queue it again even if sent today.")
def digest_command(force: bool):
    """Queue today's digest of overdue cases to each school's principal, then deliver it."""
    today = local_today()
    queued = 0
    for school in db.session.scalars(select(School).order_by(School.id)):
        if not force and _digest_queued_today(school.id, today):
            continue
        cases = overdue_cases(school.id, today)
        if not cases:
            continue
        subject, body = digest_mail(school, cases, today)
        for principal in school_principals(school.id):
            if principal.email:
                enqueue_mail(principal.email, subject, body, school_id=school.id)
                queued += 1
        audit("digest_queued", "school", school.id, school_id=school.id, cases=len(cases))
    db.session.commit()
    sent, failed = send_pending()
    click.echo(f"queued {queued}, sent {sent}, failed {failed}")


def _digest_queued_today(school_id: int, today) -> bool:
    return (
        db.session.scalars(
            select(Audit.id).where(
                Audit.action == "digest_queued",
                Audit.entity_id == school_id,
                Audit.at >= day_start_utc(today),
            )
        ).first()
        is not None
    )


def digest_mail(school: School, cases: list, today) -> tuple[str, str]:
    """The digest: one line per overdue case (no comments, no names)."""
    calendar = WorkCalendar(school.id)
    with force_locale("vi"):
        subject = _(
            "%(n)s phản ánh quá hạn xử lý (%(date)s)",
            n=len(cases),
            date=today.strftime("%d/%m/%Y"),
        )
        lines = [_("Các phản ánh đã quá hạn xử lý tại %(school)s:", school=school.name), ""]
        for case in cases:
            dossier = case.response.dossier
            late = calendar.working_days_between(case.due_date, today)
            flag = _(" [NGHIÊM TRỌNG]") if case.serious else ""
            lines.append(
                _(
                    "- %(code)s · %(procedure)s · hạn %(due)s, quá %(n)s ngày làm việc",
                    code=dossier.code,
                    procedure=dossier.procedure.name,
                    due=case.due_date.strftime("%d/%m/%Y"),
                    n=late,
                )
                + flag
            )
            lines.append("  " + public_url(f"/cases/{case.id}"))
        lines += ["", _("Hộp phản ánh: %(url)s", url=public_url("/cases?f=overdue"))]
    return subject, "\n".join(lines)
