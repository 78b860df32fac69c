"""Jinja filters and globals: dates as dd/mm/yyyy in the school's time zone, enum labels."""

from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import get_locale
from markupsafe import Markup

from survey_app.auth.models import Role
from survey_app.cases.models import CaseStatus, EventKind, RootCause
from survey_app.dossiers.models import (
    ApologyChannel,
    DayKind,
    DossierState,
    DossierStatus,
    IntakeChannel,
    NoticeKind,
    ResolutionTiming,
    ReturnChannel,
)
from survey_app.dossiers.register import RegisterState
from survey_app.extensions import asked_lang
from survey_app.letterhead import date_line
from survey_app.survey.models import Overall, ResponseChannel
from survey_app.timeutil import format_date, format_datetime

# `{{ enums.DossierState.label_of(state) }}` for a value kept as a plain string; a member
# has its own `.label`. The labels live beside each enum, never in a template.
ENUMS = SimpleNamespace(
    **{
        e.__name__: e
        for e in (
            ApologyChannel,
            CaseStatus,
            DayKind,
            DossierState,
            DossierStatus,
            EventKind,
            IntakeChannel,
            NoticeKind,
            Overall,
            ResolutionTiming,
            RegisterState,
            ResponseChannel,
            ReturnChannel,
            Role,
            RootCause,
        )
    }
)

# Each language of config LANGUAGES named in itself, for the parent's language switch.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def code_span(value: object) -> Markup:
    """A tracking code as pages show it: monospace, never broken at its hyphen on a phone."""
    return Markup('<span class="code">%s</span>') % value


def lang_url(code: str) -> str:
    """This page in language `code`: its path and query as they are, `lang` replaced (the
    staff's switch keeps the school, the period, the filters shown)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


def register(app: Flask) -> None:
    app.jinja_env.filters["code"] = code_span  # {{ _('... %(code)s', code=dossier.code|code) }}
    app.jinja_env.filters["vn_date"] = format_date
    app.jinja_env.filters["vn_datetime"] = format_datetime
    app.jinja_env.filters["date_line"] = date_line  # {{ day|date_line(school.address) }}
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    app.jinja_env.globals["enums"] = ENUMS
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
    app.jinja_env.globals["lang_url"] = lang_url
    app.jinja_env.globals["asked_lang"] = asked_lang  # ?lang= carried on by the parent's links
