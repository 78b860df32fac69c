"""Fixtures: app, client, runner, auth helper, and small factories.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
The schema is created once per session; every test starts from empty tables.
"""

import contextvars
import os
import re
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from survey_app import create_app, questions
from survey_app.auth.models import Role, User
from survey_app.auth.passwords import hash_password
from survey_app.dossiers.intake import dossier_fields, link_expiry
from survey_app.dossiers.models import Dossier, DossierStatus, Procedure
from survey_app.dossiers.procedures import seed_procedures
from survey_app.dossiers.workdays import WorkCalendar
from survey_app.extensions import db
from survey_app.schools import School
from survey_app.survey.models import Answer, Response, ResponseChannel
from survey_app.timeutil import local_to_utc, utcnow

PASSWORD = "correct horse battery"


def pytest_addoption(parser):
    # Fault injection (tests/faults, `make test-faults`) runs only with this flag.
    parser.addoption("--run-faults", action="store_true", help="run tests/faults too")


@contextmanager
def scratch_database(tmp_path, prefix: str = "hl_scratch"):
    """A fresh, empty database of the suite's kind, dropped afterwards: PostgreSQL (on the
    server of TEST_DATABASE_URL) when the suite runs on it, else a SQLite file."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / (prefix + '.db')}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return database_url


def _empty_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (own `g`, own db.session), as in production.

    The test's session commits first, so its objects reload fresh after the request.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(_schema):
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": _schema})
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class AuthActions:
    """`auth.login(role="principal")` creates that user (once) and logs in with CSRF."""

    def __init__(self, client, factory):
        self._client = client
        self._factory = factory

    def login(self, role: str = "principal", username: str | None = None, school=None):
        username = username or role
        user = db.session.scalars(db.select(User).filter_by(username=username)).first()
        if user is None:
            user = self._factory.user(role=role, username=username, school=school)
        page = self._client.get("/login")
        token = csrf_token_from(page.get_data(as_text=True))
        response = self._client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return user

    def logout(self):
        page = self._client.get("/dossiers")
        html = page.get_data(as_text=True)
        token = csrf_token_from(html) if "csrf_token" in html else ""
        return self._client.post("/logout", data={"csrf_token": token})


class Factory:
    """Small factories for rows; each returns a committed object."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def school(self, code: str = "TEST", name: str = "Trường THCS Thử Nghiệm") -> School:
        school = db.session.scalars(db.select(School).filter_by(code=code)).first()
        if school is None:
            school = School(code=code, name=name, address="Phường Chánh Hưng, TP. Hồ Chí Minh")
            db.session.add(school)
            seed_procedures(school)
            db.session.commit()
        return school

    def user(
        self,
        role: str = "principal",
        username: str | None = None,
        school=None,
        email: str | None = None,
    ) -> User:
        role = Role(role)
        if role is not Role.OFFICE and school is None:
            school = self.school()
        self._n += 1
        user = User(
            username=username or f"{role.value}{self._n}",
            role=role,
            full_name=f"Nguyễn Văn {role.value.title()} {self._n}",
            email=email or f"{username or role.value}{self._n}@school.test",
            password_hash=hash_password(PASSWORD),
            school=None if role is Role.OFFICE else school,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def procedure(self, school=None, code: str = "XAC-NHAN-HS") -> Procedure:
        school = school or self.school()
        return db.session.scalars(
            db.select(Procedure).filter_by(school_id=school.id, code=code)
        ).one()

    def dossier(
        self,
        school=None,
        procedure=None,
        received_at: datetime | None = None,
        returned_at: datetime | None = None,
        status: str | None = None,
        **kw,
    ) -> Dossier:
        """A dossier by the intake rule (`dossier_fields`), with a test code T-NNNNNN unless
        `code=` is given; `received_at`/`returned_at` are local wall-clock times; other
        keywords set columns as they are (`due_date=` overrides the rule's)."""
        school = school or self.school()
        procedure = procedure or self.procedure(school)
        self._n += 1
        received_utc = local_to_utc(received_at) if received_at else utcnow()
        fields = dossier_fields(
            school,
            procedure,
            student_name=kw.pop("student_name", "Trần Thị Bé"),
            student_class=kw.pop("student_class", "6A1"),
            applicant_name=kw.pop("applicant_name", "Trần Văn Cha"),
            applicant_phone=kw.pop("applicant_phone", "0901234567"),
            intake_channel=kw.pop("intake_channel", "counter"),
            return_channel=kw.pop("return_channel", "counter"),
            received_at=received_utc,
            # a fixture may be received later today ("today 08:00" in a run at 05:00)
            now=max(received_utc, utcnow()),
        )
        dossier = Dossier(
            school=school,
            procedure=procedure,
            **(fields | {"code": f"T-{self._n:06d}"} | kw),
        )
        if returned_at is not None:
            dossier.returned_at = local_to_utc(returned_at)
            dossier.status = DossierStatus.RETURNED
            dossier.token_expires_at = link_expiry(WorkCalendar(school.id), dossier.returned_at)
        if status:
            dossier.status = DossierStatus(status)
        db.session.add(dossier)
        db.session.commit()
        return dossier

    def response(
        self,
        dossier: Dossier,
        overall: str = "satisfied",
        channel: str = "qr",
        details: dict | None = None,
        reasons=(),
        comment: str | None = None,
        submitted_at: datetime | None = None,
        entered_by=None,
        **kw,
    ) -> Response:
        """A stored response (rows only: no routing; use the survey routes for that)."""
        if channel in ("paper", "kiosk") and entered_by is None:
            entered_by = self.user(role="clerk", school=dossier.school)
        response = Response(
            dossier=dossier,
            school_id=dossier.school_id,
            overall=overall,
            channel=ResponseChannel(channel),
            comment=comment,
            submitted_at=local_to_utc(submitted_at) if submitted_at else utcnow(),
            entered_by=entered_by,
            questions_version=questions.VERSION,
            **kw,
        )
        for code, value in (details or {}).items():
            response.answers.append(Answer(question_code=code, value=value))
        for reason in reasons:
            response.answers.append(Answer(question_code=questions.REASONS_CODE, value=reason))
        db.session.add(response)
        db.session.commit()
        return response


@pytest.fixture
def make(app):
    return Factory(app)


@pytest.fixture
def auth(client, make):
    return AuthActions(client, make)


class LiveServer:
    """The test app served over real HTTP on loopback, in a thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        app.config["PUBLIC_BASE_URL"] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app):
    """Serve the app; commit (or roll back) the test's session before the browser writes."""
    server = LiveServer(app)
    db.session.commit()
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run `make install-system`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A 360×740 phone page with JavaScript off."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
        locale="vi-VN",
        device_scale_factor=2,
        is_mobile=True,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    """A desktop page with JavaScript on (staff screens)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, live_server, user, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
