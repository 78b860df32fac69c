"""Finding a dossier from a survey link or a typed short code, and throttling failed tries.

Only failed lookups count, per address and against a global cap, so codes cannot be
enumerated while a whole school's Wi-Fi behind one address still opens valid links freely:
a view answers an unknown token or code through `refuse()`, whose Flask-Limiter limits
are the only ones on these routes, so a request for a known link never touches them.
"""

import re
import time
import unicodedata
from collections.abc import Callable

from flask import current_app, g, make_response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from survey_app.accesslog import fingerprint  # failed lookups are logged by it
from survey_app.dossiers.models import SHORT_CODE_ALPHABET, Dossier
from survey_app.extensions import db, limiter
from survey_app.survey.models import Response
from survey_app.survey.submit import is_answered

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]")


def normalise_short_code(raw: str | None) -> str | None:
    """The 8-character code, or None if anything typed is outside the slip's alphabet.

    Case, spaces and dashes are ignored; NFKC folds full-width forms to ASCII. Look-alikes
    (Cyrillic о, Greek Α, O/0, I/1/L) are rejected, never mapped onto another code.
    """
    if not raw:
        return None
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if not text.isascii():
        return None
    text = text.upper()
    if len(text) != 8 or any(c not in SHORT_CODE_ALPHABET for c in text):
        return None
    return text


# Built once, so its cache key is not recomputed per request: the dossier of a token, and
# whether it already has its (one) answer.
_BY_TOKEN = (
    select(Dossier, Response.id)
    .outerjoin(Response, Response.dossier_id == Dossier.id)
    .where(Dossier.token == bindparam("token"))
)
# Pages show the school's and the procedure's names: load them in the same statement.
_BY_TOKEN_FOR_PAGE = _BY_TOKEN.options(joinedload(Dossier.school), joinedload(Dossier.procedure))


def dossier_for_token(token: str) -> Dossier | None:
    """The dossier of a survey token; remembers (in `g`) whether it was answered then."""
    # A malformed token still costs one indexed query: unknown and expired look alike.
    key = token if _TOKEN.fullmatch(token) else "~"
    statement = _BY_TOKEN_FOR_PAGE if request.method == "GET" else _BY_TOKEN
    row = db.session.execute(statement, {"token": key}).first()
    dossier = row[0] if row else None
    g.survey_dossier = dossier
    g.survey_answered = row is not None and row[1] is not None
    return dossier


def answered_at_lookup(dossier: Dossier) -> bool:
    """Whether the dossier had its answer when this request looked its token up.

    No second query for the dossier dossier_for_token returned; any other dossier is asked.
    After a write in this request, ask the database again (survey.submit.is_answered).
    """
    if g.get("survey_dossier") is dossier:
        return g.survey_answered
    return is_answered(dossier)


def dossier_for_short_code(raw: str | None) -> Dossier | None:
    code = normalise_short_code(raw)
    key = code or "~"
    return db.session.scalars(select(Dossier).where(Dossier.short_code == key)).first()


def log_failed_lookup(kind: str, secret: str) -> None:
    current_app.logger.warning(
        "survey lookup failed: %s %s from %s", kind, fingerprint(secret), request.remote_addr
    )


def _too_many(request_limit):
    seconds = max(1, int(request_limit.reset_at - time.time()))
    body = render_template("survey/too_many.html", minutes=max(1, round(seconds / 60)))
    response = make_response(body, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def too_many_page(error):
    """Keep on_breach's survey page (the app-wide handler would swap in the generic one)."""
    return error.get_response()


def _lookup_failed(response) -> bool:
    """Deducted once the response is known: a refused request (429) does not count again."""
    return response.status_code == 404


per_address = limiter.shared_limit(
    lambda: current_app.config["SURVEY_LOOKUP_LIMIT"],
    scope="survey-lookup",
    deduct_when=_lookup_failed,
    on_breach=_too_many,
)
global_cap = limiter.shared_limit(
    lambda: current_app.config["SURVEY_LOOKUP_GLOBAL_LIMIT"],
    scope="survey-lookup-global",
    key_func=lambda: "all",
    deduct_when=_lookup_failed,
    on_breach=_too_many,
)


@per_address
@global_cap
def refuse(kind: str, secret: str, page: Callable[[], ResponseReturnValue]):
    """The answer to an unknown token or code: counted against the address's and the
    global limit, then logged and `page()` (its 404); the 429 page once a limit is used up
    (Flask-Limiter logs those). Flask-Limiter checks the limits when this is called."""
    log_failed_lookup(kind, secret)
    return page()
