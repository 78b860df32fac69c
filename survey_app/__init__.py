"""Hài Lòng: parent-satisfaction surveys for a school's one-stop desk."""

import importlib
import os

from flask import Flask

from survey_app.config import CONFIGS, check_production
from survey_app.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale


def create_app(config: str | dict | None = None) -> Flask:
    """Build the app: config -> extensions -> blueprints -> errors -> CLI."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    load_config(app, config)
    from survey_app.parsing import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # ids within the database's range
    init_extensions(app)
    register_blueprints(app)
    from survey_app import errors, jinja_filters, security

    errors.register(app)
    security.register(app)
    jinja_filters.register(app)
    register_cli(app)
    return app


def load_config(app: Flask, config: str | dict | None) -> None:
    overrides = config if isinstance(config, dict) else {}
    name = (
        config
        if isinstance(config, str)
        else overrides.get("APP_ENV", os.environ.get("APP_ENV", "development"))
    )
    app.config.from_object(CONFIGS[name])
    app.config.update({k: v for k, v in overrides.items() if k != "APP_ENV"})
    app.config["APP_ENV"] = name
    if name == "production":
        check_production(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file never drops a connection: no `SELECT 1` before every request's first query.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"], pool_pre_ping=False)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config["PROXY_FIX"]:
        # X-Forwarded-For/-Proto believed only from a peer in TRUSTED_PROXIES.
        from survey_app.clientaddr import TrustedProxyFix, parse_networks

        trusted = parse_networks(app.config["TRUSTED_PROXIES"])
        # Wrapping wsgi_app is how Flask documents adding middleware; mypy sees a method.
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, app.config["PROXY_FIX"], trusted
        )


def init_extensions(app: Flask) -> None:
    from survey_app import sqlite_settings

    db.init_app(app)
    sqlite_settings.configure_engine(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(app.root_path, "translations"),
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    from survey_app.auth import load_user

    login_manager.user_loader(load_user)


PAGE_MODULES = (
    "survey_app.main.views",
    "survey_app.auth.views",
    "survey_app.admin.views",
    "survey_app.dossiers.calendar_views",
    "survey_app.dossiers.import_views",
    "survey_app.dossiers.notice_views",
    "survey_app.dossiers.print_views",
    "survey_app.dossiers.procedure_views",
    "survey_app.dossiers.views",
    "survey_app.survey.loop",
    "survey_app.survey.staff",
    "survey_app.survey.views",
    "survey_app.kiosk.admin_views",
    "survey_app.kiosk.views",
    "survey_app.cases.views",
    "survey_app.reports.settings_views",
    "survey_app.reports.views",
)


def register_blueprints(app: Flask) -> None:
    from survey_app import models  # noqa: F401  every model, so Alembic sees every table
    from survey_app.admin import bp as admin_bp
    from survey_app.auth import bp as auth_bp
    from survey_app.cases import bp as cases_bp
    from survey_app.dossiers import bp as dossiers_bp
    from survey_app.kiosk import bp as kiosk_bp
    from survey_app.main import bp as main_bp
    from survey_app.reports import bp as reports_bp
    from survey_app.survey import bp as survey_bp

    # A package's __init__ holds its blueprint alone; its pages are loaded here, so that
    # importing a model or a rule never loads a page (imports point one way).
    for module in PAGE_MODULES:
        importlib.import_module(module)
    for bp in (main_bp, auth_bp, admin_bp, dossiers_bp, survey_bp, kiosk_bp, cases_bp, reports_bp):
        app.register_blueprint(bp)


def register_cli(app: Flask) -> None:
    from survey_app import commands

    commands.register(app)
