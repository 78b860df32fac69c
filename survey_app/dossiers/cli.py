"""`flask procedures ...` and `flask dossiers ...`."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from survey_app.auth.models import School
from survey_app.dossiers.models import Procedure
from survey_app.extensions import db


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
