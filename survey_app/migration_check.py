"""`flask db check` that answers on a new, empty database too."""

import tempfile

import click
import flask_migrate
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_group
from sqlalchemy import inspect

from survey_app import create_app
from survey_app.extensions import db


@click.command("check")
@click.option("-d", "--directory", default=None, help="Migration script directory.")
@with_appcontext
def check(directory):
    """Check that the models and the migrations agree (no new operations to migrate).

    On a database the migrations have not reached yet, the comparison runs on a scratch
    SQLite database upgraded from the migrations: the question is the same.
    """
    if "alembic_version" in inspect(db.engine).get_table_names():
        flask_migrate.check(directory)
        return
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "APP_ENV": "development",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/check.db",
                "SECRET_KEY": current_app.config["SECRET_KEY"],
            }
        )
        with app.app_context():
            flask_migrate.upgrade(directory)
            flask_migrate.check(directory)


def register(app) -> None:
    db_group.commands["check"] = check
