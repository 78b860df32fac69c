"""`flask demo`: a demo school with a year of realistic dossiers and responses."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from survey_app.auth.models import School
from survey_app.dossiers.procedures import seed_procedures
from survey_app.extensions import db


@click.command("demo")
@with_appcontext
def demo():
    """Create the demo school (idempotent)."""
    if db.session.scalars(select(School).where(School.code == "DEMO")).first():
        click.echo("Demo school already present.")
        return
    school = School(code="DEMO", name="Trường THCS Demo", address="Phường Chánh Hưng, TP.HCM")
    db.session.add(school)
    seed_procedures(school)
    db.session.commit()
    click.echo("Created demo school DEMO")
