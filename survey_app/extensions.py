"""Flask extensions, created unbound and initialised in create_app()."""

from typing import TYPE_CHECKING, Any, ClassVar, cast

import click
from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, MetaData, Result, Table
from sqlalchemy.orm import DeclarativeBase

from survey_app.clientaddr import client_key
from survey_app.commands import LazyCommand

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # every model maps a Table (none a join or a select): insert() takes it
        __table__: ClassVar[Table]


class Migrate:
    """Flask-Migrate, loaded by the first thing that migrates (`flask db ...`, the deploy
    step, a test): alembic weighs about 10 MB that a worker serving pages never needs."""

    def __init__(self, **options):
        self.options = options

    def init_app(self, app, db, directory: str) -> None:
        app.extensions["migrate"] = _Deferred(app, db, directory, self.options)
        app.cli.add_command(
            LazyCommand("db", lambda: _migrate_commands(app), help="Perform database migrations.")
        )


class _Deferred:
    """Stands for Flask-Migrate's state in `app.extensions` until something reads it."""

    def __init__(self, app, db, directory: str, options: dict):
        self._args, self._state = (app, db, directory, options), None

    def __getattr__(self, name: str):
        if self._state is None:
            from flask_migrate import Migrate as FlaskMigrate

            from survey_app import migration_check

            app, db, directory, options = self._args
            FlaskMigrate(**options).init_app(app, db, directory=directory)
            migration_check.register(app)  # `flask db check` that also answers on an empty database
            self._state = app.extensions["migrate"]
        return getattr(self._state, name)


def _migrate_commands(app) -> click.Command:
    """Flask-Migrate's `flask db` group: reading its state loads it, and its init_app puts
    the real group in place of the stand-in."""
    app.extensions["migrate"].directory  # noqa: B018 - loads Flask-Migrate
    return app.cli.commands["db"]


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # The models' base class. mypy takes no attribute of an object (db.Model) as a base:
    # to it the models derive from Base, which db.Model is built on (Flask-SQLAlchemy adds
    # the table name from the class name and the query property).
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Per-address limits count an IPv4 address or an IPv6 /64 (survey_app/clientaddr.py).
limiter = Limiter(key_func=client_key, default_limits=[], strategy="moving-window")


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run through the session matched: Session.execute() is
    typed as returning a Result, and theirs is a CursorResult, which has the count."""
    return cast(CursorResult[Any], result).rowcount


def asked_lang() -> str | None:
    """The language this request's ?lang= asks for, if it is one of config LANGUAGES. Links
    and redirects of the parent's pages carry it on, for browsers that block the cookie."""
    lang = request.args.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Vietnamese first: ?lang=, then the lang cookie, never the browser's guess."""
    if not has_request_context():
        return "vi"  # CLI commands, mail threads: the school's language
    lang = asked_lang() or request.cookies.get("lang", "")
    return lang if lang in current_app.config["LANGUAGES"] else "vi"
