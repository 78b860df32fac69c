"""`flask procedures ...` and `flask dossiers ...`."""

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from survey_app.dossiers import importer
from survey_app.dossiers.models import Procedure
from survey_app.extensions import db
from survey_app.schools import School


@click.group("procedures")
def procedures_cli():
    """Administrative procedures."""


@procedures_cli.command("list")
@click.option("--school", "school_code", default=None, help="School code (default: all).")
@with_appcontext
def list_procedures(school_code):
    """One procedure a line: CODE<TAB>WORKING_DAYS<TAB>NAME."""
    query = select(Procedure).join(School).order_by(School.code, Procedure.code)
    if school_code:
        query = query.where(School.code == school_code)
    for proc in db.session.scalars(query):
        click.echo(f"{proc.code}\t{proc.working_days}\t{proc.name}")


@click.group("dossiers")
def dossiers_cli():
    """Dossiers."""


@dossiers_cli.command("import")
@click.argument("csv_file", type=click.File("rb"))
@click.option("--school", "school_code", default=None, help="School code (default: the only one).")
@with_appcontext
def import_dossiers(csv_file, school_code):
    """Import dossiers from a UTF-8 CSV file: all rows or none.

    Prints CODE<TAB>SHORT_CODE<TAB>DUE_DATE per dossier on stdout, in input order;
    errors (by line), progress and the summary go to stderr.
    """
    schools = db.session.scalars(
        select(School).where(School.code == school_code) if school_code else select(School)
    ).all()
    if len(schools) != 1:
        if school_code or not schools:
            raise click.ClickException(f"Unknown school {school_code or ''}".strip() + ".")
        raise click.ClickException("Several schools: name one with --school CODE.")
    school = schools[0]
    # No request here to pick a language from: messages in the CLI's language (English).
    with force_locale("en"):
        rows, errors = importer.parse(csv_file.read(), school)
    if errors:
        for error in errors:
            click.echo(str(error), err=True)
        db.session.rollback()
        raise click.ClickException(f"{len(errors)} error(s): nothing imported.")

    def progress(items):
        with click.progressbar(items, label="Importing", file=sys.stderr) as bar:
            yield from bar

    try:
        with force_locale("en"):
            made = importer.write(rows, school, progress=progress)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for dossier in made:
        click.echo(f"{dossier.code}\t{dossier.short_code}\t{dossier.due_date.isoformat()}")
    returned = sum(1 for d in made if d.returned_at is not None)
    click.echo(
        f"Imported {len(made)} dossier(s) ({returned} returned) into {school.code}.", err=True
    )
