"""Jinja filters and globals: dates as dd/mm/yyyy in the school's time zone."""

from flask import Flask
from flask_babel import get_locale

from survey_app.timeutil import format_date, format_datetime


def register(app: Flask) -> None:
    app.jinja_env.filters["vn_date"] = format_date
    app.jinja_env.filters["vn_datetime"] = format_datetime
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
