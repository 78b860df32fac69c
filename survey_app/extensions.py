"""Flask extensions, created unbound and initialised in create_app()."""

from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from survey_app.clientaddr import client_key

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Per-address limits count an IPv4 address or an IPv6 /64 (survey_app/clientaddr.py).
limiter = Limiter(key_func=client_key, default_limits=[], strategy="moving-window")


def select_locale() -> str:
    """Vietnamese first: ?lang=, then the lang cookie, never the browser's guess."""
    if not has_request_context():
        return "vi"  # CLI commands, mail threads: the school's language
    lang = request.args.get("lang") or request.cookies.get("lang")
    return lang if lang in ("vi", "en") else "vi"
