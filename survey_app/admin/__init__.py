"""Administration on the web: the principal's clerks, the office's schools and principals."""

from flask import Blueprint

bp = Blueprint("admin", __name__)
