"""Security headers on every response; form bodies that are not clean UTF-8 text; log lines."""

import io
import logging
import re
import secrets
from urllib.parse import parse_qsl, unquote_to_bytes

from flask import Flask, abort, g, request
from flask.wrappers import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from survey_app.extensions import asked_lang

BAD_FORM_FIELDS = "hai_long.bad_form_fields"  # request.environ key
# Views that re-render their own form with a precise message for bad bytes.
SELF_CHECKED_ENDPOINTS = {"survey.survey", "survey.more"}
# Views that answer a malformed token with their own "invalid link" page.
TOKEN_ENDPOINTS = {"survey.survey", "survey.more", "survey.thanks", "survey.loop"}


class StrictFormDataParser(FormDataParser):
    """Notes the fields of a urlencoded body whose percent-escapes are not UTF-8, and
    refuses a body of more fields than MAX_FORM_PARTS (413).

    Werkzeug keeps such bytes percent-quoted ("%C3(") instead of failing, so a field would
    silently store them; the names let `refuse_bad_form_text` answer 400 instead, and the
    survey re-render its form with a message on those fields. Werkzeug counts the parts of
    a multipart body only; a urlencoded one of thousands of fields is held to the same.
    """

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read()
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        try:
            parse_qsl(body.decode(), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            request.environ[BAD_FORM_FIELDS] = _not_utf8_names(body)
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


def _not_utf8_names(body: bytes) -> set[str]:
    bad = set()
    for pair in body.split(b"&"):
        name, _sep, value = pair.partition(b"=")
        try:
            for part in (name, value):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            bad.add(unquote_to_bytes(name).decode("utf-8", "replace"))
    return bad


class HaiLongRequest(Request):
    form_data_parser_class = StrictFormDataParser


def bad_form_fields() -> set[str]:
    """Names of the posted urlencoded fields whose bytes are not UTF-8 (parses the form)."""
    request.form  # noqa: B018 - parses the body (CSRFProtect usually has already)
    return request.environ.get(BAD_FORM_FIELDS, set())


def bad_form_bytes() -> bool:
    """True when the posted form is not UTF-8 (urlencoded escapes, or a multipart part that
    decoded to U+FFFD). NUL and control characters are each form's own validators' job, so
    the form comes back with its message and the typed values."""
    if bad_form_fields():
        return True
    return any("\ufffd" in k or "\ufffd" in v for k, v in request.form.items(multi=True))


class EscapeControlChars(logging.Filter):
    """Log lines escape CR, LF and other control characters (ASVS 5.0 16.4.1): a user name
    or a URL path cannot forge a second log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _LOG_UNSAFE.search(message):
            record.msg = _LOG_UNSAFE.sub(
                lambda m: m.group().encode("unicode_escape").decode(), message
            )
            record.args = None
        return True


_LOG_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def csp_nonce() -> str:
    """A per-request nonce for the one inline <style> of the survey page."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def register(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.request_class = HaiLongRequest
    for logger in (app.logger, logging.getLogger("flask-limiter")):
        if not any(isinstance(f, EscapeControlChars) for f in logger.filters):
            logger.addFilter(EscapeControlChars())

    @app.before_request
    def refuse_nul_in_url():
        # PostgreSQL refuses NUL in a query parameter (a 500); no code, token or filter of
        # this app contains one, so nothing can be found.
        if "\x00" in request.path and request.endpoint not in TOKEN_ENDPOINTS:
            abort(404)
        if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
            abort(404)
        # db.paginate() reads ?page= itself; a huge one overflows OFFSET (a 500 on both engines).
        page = request.args.get("page", "")
        if page.isdigit() and len(page) > 6:
            abort(404)

    @app.before_request
    def refuse_bad_form_text():
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.endpoint not in SELF_CHECKED_ENDPOINTS
            and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and bad_form_bytes()
        ):
            abort(400)

    @app.after_request
    def set_security_headers(response):
        style_src = "style-src 'self'" + (f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; object-src 'none'; base-uri 'none'; "
            f"frame-ancestors 'none'; form-action 'self'; img-src 'self' data:; {style_src}"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if app.config.get("HSTS"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.path.startswith("/static/"):
            # Staff pages, exports and survey links: never stored by a shared browser or proxy.
            response.headers["Cache-Control"] = "no-store"
        lang = asked_lang()
        if lang is not None:
            response.set_cookie(
                "lang",
                lang,
                max_age=365 * 86400,
                samesite="Lax",
                httponly=True,
                secure=app.config["SESSION_COOKIE_SECURE"],
            )
        return response
