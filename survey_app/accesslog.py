"""Survey links out of the logs: a token is a parent's key to their answer.

`fingerprint()` names a token (or typed code) in logs without revealing it; the lookup's
failure log and gunicorn's access log use the same one, so the two can be matched.
`RedactingLogger` is gunicorn's logger (`logger_class` in gunicorn.conf.py) with the survey
paths `/s/<token>...` written as `/s/~<fingerprint>...` in the request line, the path and
the Referer of every access-log line.
"""

import hashlib
import re

from gunicorn.glogging import Logger

# /s/<token> at the start of a path, a request line's target or an absolute URL.
_SURVEY_PATH = re.compile(r"((?:^|\s)(?:https?://[^/\s]*)?/s/)([^/?#\s]+)")


def fingerprint(secret: str) -> str:
    """A short hash for logs: 12 hex digits of the SHA-256 of the secret."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:12]


def redact(text: str) -> str:
    """Every `/s/<token>` in a request line, path or URL as `/s/~<fingerprint>`."""
    return _SURVEY_PATH.sub(lambda m: f"{m.group(1)}~{fingerprint(m.group(2))}", text)


# Request line, path, Referer (a thank-you page's URL holds the token), raw WSGI values.
_ATOMS_WITH_PATHS = ("r", "U", "f", "{referer}i", "{raw_uri}e", "{path_info}e")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in _ATOMS_WITH_PATHS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
