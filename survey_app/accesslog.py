"""Survey links out of the logs: a token is a parent's key to their answer.

`fingerprint()` names a token (or typed code) in logs without revealing it; the lookup's
failure log and gunicorn's access log use the same one, so the two can be matched.
`RedactingLogger` is gunicorn's logger (`logger_class` in gunicorn.conf.py) with the survey
paths `/s/<token>...` written as `/s/~<fingerprint>...` in the request line, the path and
the Referer of every access-log line; so are the desk tablet's paths, which carry a
parent's short code (`/kiosk/<short_code>`: it opens their survey at /s too) or a device's
enrolment code (`/kiosk/enrol/<code>`, a bearer secret while it lasts).
"""

import hashlib
import re

from gunicorn.glogging import Logger

# /s/<token> at the start of a path, a request line's target or an absolute URL; also with
# doubled slashes (//s/<token> and /s//<token> reach the same page) or a %-escaped "s",
# and as a query value (?next=/s/<token>).
_SURVEY_PATH = re.compile(r"((?:^|[\s=])(?:https?://[^/\s]*)?/+(?:s|%73|%53)/+)([^/?&#\s]+)")
# /kiosk/<short_code> and /kiosk/enrol/<code> (not /kiosk/done, the tablet's own page).
_KIOSK_PATH = re.compile(
    r"((?:^|[\s=])(?:https?://[^/\s]*)?/+kiosk/+(?:enrol/+)?)(?!done(?:[/?#\s]|$))([^/?&#\s]+)"
)
# A query value that may be a survey token or a typed short code: `code=`/`token=`, and any
# value of 16 or more token characters (a token pasted into ?next=, ?q=, ...).
_QUERY_SECRET = re.compile(
    r"([?&;](?:code|token|t)=)([^&;#\s]+)|([?&;][^=&;#\s]*=)([A-Za-z0-9_%-]{16,})(?=[&;#\s]|$)"
)


def fingerprint(secret: str) -> str:
    """A short hash for logs: 12 hex digits of the SHA-256 of the secret."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:12]


def _query_value(match: re.Match) -> str:
    name, value = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return f"{name}~{fingerprint(value)}"


def redact(text: str) -> str:
    """Every `/s/<token>` (and the tablet's `/kiosk/<code>`) in a request line, path or URL
    as `/s/~<fingerprint>`, and every query value that may be a token or a short code as
    `~<fingerprint>`."""
    for path in (_SURVEY_PATH, _KIOSK_PATH):
        text = path.sub(lambda m: f"{m.group(1)}~{fingerprint(m.group(2))}", text)
    return _QUERY_SECRET.sub(_query_value, text)


def redact_query(query: str) -> str:
    """A bare query string (no leading "?"), redacted as in a URL."""
    return redact("?" + query)[1:] if query else query


# Request line, path, Referer (a thank-you page's URL holds the token), raw WSGI values.
_ATOMS_WITH_PATHS = ("r", "U", "f", "{referer}i", "{raw_uri}e", "{path_info}e")
_ATOMS_WITH_QUERIES = ("q", "{query_string}e")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        # A plain dict: types-gunicorn's _AtomsDict lists the fixed atoms only, gunicorn
        # also adds "{header}i", "{header}o" and "{variable}e" keys (read below).
        atoms: dict[str, object] = dict(super().atoms(resp, req, environ, request_time))
        for key in _ATOMS_WITH_PATHS:
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = redact(value)
        for key in _ATOMS_WITH_QUERIES:
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = redact_query(value)
        return atoms
