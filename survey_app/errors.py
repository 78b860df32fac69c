"""Error pages in the normal layout with a way back; a 5xx renders without the database."""

import contextlib
import uuid

from flask import Flask, g, render_template, request
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from survey_app.accesslog import redact
from survey_app.extensions import db, login_manager
from survey_app.parsing import ParseError
from survey_app.survey.views import gone_page


def _render(code: int, **context):
    # The page shows the staff's own menu when the user loads; a 5xx renders without the
    # database (it may be what failed), and so does any page when loading the user fails.
    if code >= 500 or not _user_loads():
        g._login_user = login_manager.anonymous_user()
    # No URL can be built for a host this site does not serve: a page without links.
    bare = request_ctx.url_adapter is None
    return render_template("errors/error.html", code=code, bare=bare, **context), code


def _user_loads() -> bool:
    try:
        current_user._get_current_object()
    except DBAPIError:
        with contextlib.suppress(DBAPIError):
            db.session.rollback()
        return False
    return True


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, reason="csrf")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 404 and request.path.startswith("/s/"):
            # A truncated or mangled survey link, whatever its shape: the survey's own
            # "invalid link" page, the same as for an unknown token (checklist row 1).
            return gone_page(404)
        response = error.get_response()
        # A description given to abort(code, description=...) is ours and shown; Werkzeug's
        # English defaults are not.
        own = error.description if error.description != type(error).description else None
        if isinstance(error, SecurityError):
            own = None  # Werkzeug's "Host 'evil.example' is not trusted.": no echo of input
        body, code = _render(error.code or 500, description=own)
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(ParseError)
    def out_of_range(error: ParseError):
        # A date or number a route did not check itself (survey_app/parsing.py): a 400
        # with the parser's message, never an overflow further down.
        return _render(400, description=str(error))

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        db.session.rollback()
        error_id = uuid.uuid4().hex[:12]
        app.logger.error(
            "database unavailable [%s] %s %s: %s",
            error_id,
            request.method,
            redact(request.path),
            error.__class__.__name__,
        )
        body, code = _render(503, error_id=error_id)
        return body, code, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def unexpected_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        with contextlib.suppress(DBAPIError):
            db.session.rollback()
        error_id = uuid.uuid4().hex[:12]
        app.logger.exception(
            "unhandled error [%s] %s %s", error_id, request.method, redact(request.path)
        )
        return _render(InternalServerError.code, error_id=error_id)
