"""Fault-injection harness: gunicorn on loopback, scratch databases, seeding, plain HTTP.

Everything here talks to real processes: `gunicorn -c gunicorn.conf.py wsgi:app` started
as a child in its own process group, SQLite files in a temp dir or scratch PostgreSQL
databases, and http.client on 127.0.0.1 (one connection per request, no keep-alive).
"""

import contextlib
import hashlib
import hmac
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "faults-only-secret-key-0123456789abcdef-0123456789"
PG_ADMIN_URL = os.environ.get(
    "FAULTS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "faults password 123"
# The DB-free 503 page (templates/errors/error.html): its title and its advice.
PAGE_503 = ("Hệ thống tạm thời gián đoạn", "Vui lòng thử lại sau ít phút.")


# --- databases -------------------------------------------------------------------------


def pg_available() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0


@contextlib.contextmanager
def pg_database(prefix: str = "hl_faults"):
    """A scratch PostgreSQL database, dropped afterwards (even if the server was restarted)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        wait_for(pg_available, 60, "PostgreSQL back before the scratch database is dropped")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def server_env(url: str, **extra) -> dict[str, str]:
    """The environment of a served app: development config with the fault hooks on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HL_", "TEST_DATABASE", "GUNICORN_", "BENCH_"))
        and k not in ("WEB_CONCURRENCY", "REDIS_URL", "APP_ENV", "DATABASE_URL")
    }
    env.update(
        DATABASE_URL=url,
        APP_ENV="development",
        SECRET_KEY=SECRET_KEY,
        HL_FAULT_HOOKS="1",
        MAIL_SEND_AFTER_COMMIT="0",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def deploy(url: str, **extra) -> subprocess.CompletedProcess:
    """`python -m survey_app.deploy` (the production migration step) on `url`."""
    return subprocess.run(
        [sys.executable, "-m", "survey_app.deploy"],
        cwd=ROOT,
        env=server_env(url, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql), params)
    finally:
        engine.dispose()


def answers_by_token(url: str, tokens: list[str]) -> dict[str, int]:
    """How many responses each dossier (by token) has: 0 or 1 when the rule holds."""
    engine = create_engine(url)
    counts = dict.fromkeys(tokens, 0)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.token, count(r.id) FROM dossier d JOIN response r "
                    "ON r.dossier_id = d.id GROUP BY d.token"
                )
            )
            for token, n in rows:
                if token in counts:
                    counts[token] = n
    finally:
        engine.dispose()
    return counts


# --- seeding through the app's own models ----------------------------------------------


@dataclass
class Seed:
    school_id: int
    school_code: str
    principal: str
    tokens: list[str] = field(default_factory=list)


def seed(url: str, tokens: int = 0, code: str = "FAULT", returned_at: datetime | None = None):
    """A school, its principal and `tokens` returned dossiers whose links are open."""
    from survey_app import create_app
    from survey_app.auth.models import Role, School, User
    from survey_app.auth.passwords import hash_password
    from survey_app.dossiers.procedures import seed_procedures
    from survey_app.extensions import db

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        school = School(code=code, name=f"Trường THCS {code}", address="TP. Hồ Chí Minh")
        db.session.add(school)
        seed_procedures(school)
        principal = User(
            username=f"ht_{code.lower()}",
            role=Role.PRINCIPAL,
            full_name="Hiệu Trưởng Thử",
            email=f"ht_{code.lower()}@school.test",
            password_hash=hash_password(PASSWORD),
            school=school,
        )
        db.session.add(principal)
        db.session.commit()
        made = Seed(school.id, code, principal.username)
        made.tokens = add_dossiers(school, tokens, returned_at)
        db.session.remove()
        db.engine.dispose()
    return made


def add_dossiers(school, n: int, returned_at: datetime | None = None) -> list[str]:
    """`n` returned dossiers (naive-UTC `returned_at`, default yesterday); their tokens."""
    from sqlalchemy import select

    from survey_app.dossiers.models import (
        Dossier,
        DossierStatus,
        IntakeChannel,
        Procedure,
        new_short_code,
        new_token,
    )
    from survey_app.dossiers.workdays import WorkCalendar
    from survey_app.extensions import db
    from survey_app.timeutil import utcnow

    if n == 0:
        return []
    procedure = db.session.scalars(select(Procedure).where(Procedure.school_id == school.id))
    procedure = procedure.first()
    returned = returned_at or utcnow() - timedelta(days=1)
    received = returned - timedelta(days=2)
    calendar = WorkCalendar(school.id)
    received_on = calendar.receipt_day(received)
    due = calendar.add_working_days(received_on, procedure.working_days)
    start = db.session.scalar(select(db.func.count(Dossier.id)))
    codes: set[str] = set()
    rows = []
    for i in range(n):
        while (short := new_short_code()) in codes:
            pass
        codes.add(short)
        rows.append(
            Dossier(
                school_id=school.id,
                procedure_id=procedure.id,
                code=f"F{school.id}-{start + i:07d}",
                student_name="Học Sinh Thử",
                intake_channel=IntakeChannel.COUNTER,
                received_at=received,
                received_on=received_on,
                due_date=due,
                returned_at=returned,
                status=DossierStatus.RETURNED,
                token=new_token(),
                short_code=short,
                token_expires_at=utcnow() + timedelta(days=30),
            )
        )
    tokens = [d.token for d in rows]
    db.session.add_all(rows)
    db.session.commit()
    return tokens


def fill_month(url: str, code: str, year: int, month: int, n: int, seed_value: int = 7) -> int:
    """`n` dossiers returned in a local month, each with a response and its detail answers.

    Bulk inserts through the models' tables (one statement per table); returns the number of
    responses stored in that month.
    """
    import random
    from datetime import date

    from sqlalchemy import insert, select

    from survey_app import create_app
    from survey_app.auth.models import School
    from survey_app.dossiers.models import Dossier, Procedure, new_short_code, new_token
    from survey_app.extensions import db
    from survey_app.survey import questions
    from survey_app.survey.models import Answer, Response
    from survey_app.timeutil import local_to_utc, utcnow

    rng = random.Random(seed_value)
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        school = db.session.scalars(select(School).where(School.code == code)).one()
        procedures = list(
            db.session.scalars(select(Procedure.id).where(Procedure.school_id == school.id))
        )
        days = [d for d in range(1, 29) if date(year, month, d).weekday() < 5]
        dossiers, plans = [], []
        for i in range(n):
            day = date(year, month, rng.choice(days))
            received = local_to_utc(
                datetime(year, month, day.day, 7, 30) + timedelta(minutes=rng.randint(0, 500))
            )
            returned = received + timedelta(hours=rng.randint(1, 48))
            dossiers.append(
                {
                    "school_id": school.id,
                    "procedure_id": rng.choice(procedures),
                    "code": f"M{year}{month:02d}-{i:06d}",
                    "student_name": "Học Sinh Tháng",
                    "student_class": f"{rng.randint(6, 9)}A{rng.randint(1, 5)}",
                    "intake_channel": "counter",
                    "return_channel": "counter",
                    "received_at": received,
                    "received_on": day,
                    "due_date": day + timedelta(days=7),
                    "returned_at": returned,
                    "status": "returned",
                    "token": new_token(),
                    "short_code": new_short_code(),
                    "token_expires_at": returned + timedelta(days=30),
                    "created_at": utcnow(),
                }
            )
            plans.append(returned + timedelta(minutes=rng.randint(5, 600)))
        ids = db.session.scalars(
            insert(Dossier).returning(Dossier.id, sort_by_parameter_order=True), dossiers
        ).all()
        responses = []
        for dossier_id, submitted in zip(ids, plans, strict=True):
            overall = rng.choices(["very_satisfied", "satisfied", "dissatisfied"], [5, 4, 1])[0]
            responses.append(
                {
                    "dossier_id": dossier_id,
                    "school_id": school.id,
                    "submitted_at": submitted,
                    "channel": rng.choice(["qr", "code"]),
                    "overall": overall,
                    "comment": "Cán bộ nhiệt tình, hướng dẫn rõ ràng."
                    if rng.random() < 0.2
                    else None,
                    "contact_consent": False,
                    "questions_version": questions.VERSION,
                }
            )
        rids = db.session.scalars(
            insert(Response).returning(Response.id, sort_by_parameter_order=True), responses
        ).all()
        answers = [
            {"response_id": rid, "question_code": q.code, "value": rng.choice(q.choices)[0]}
            for rid in rids
            for q in questions.DETAILS
        ]
        db.session.execute(insert(Answer), answers)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return len(rids)


# --- HTTP on loopback ------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict
    body: str


def csrf_for(token: str) -> str:
    """The survey form's token-bound CSRF value (survey.forms.SurveyTokenCSRF)."""
    message = f"survey-csrf|{token}".encode()
    return hmac.new(SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def submit_body(token: str, overall: str = "satisfied") -> str:
    return urlencode({"overall": overall, "csrf_token": csrf_for(token)})


def request(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict | None = None,
    timeout: float = 30,
) -> Reply:
    """One request on its own connection; connection errors propagate to the caller."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return Reply(resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def submit(port: int, token: str, overall: str = "satisfied", timeout: float = 30) -> Reply:
    return request(port, "POST", f"/s/{token}", submit_body(token, overall), timeout=timeout)


def outcome(port: int, token: str, timeout: float = 30) -> str | int:
    """The status of a submit, or the name of the connection error the client saw."""
    try:
        return submit(port, token, timeout=timeout).status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__


class InFlight(threading.Thread):
    """A submit sent from a thread; `client_port` is known once it is connected."""

    def __init__(self, port: int, token: str, timeout: float = 30):
        super().__init__(daemon=True)
        self.port, self.token, self.timeout = port, token, timeout
        self.client_port: int | None = None
        self.connected = threading.Event()
        self.result: Reply | None = None
        self.error: BaseException | None = None

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.connect()
            self.client_port = conn.sock.getsockname()[1]
            self.connected.set()
            conn.request(
                "POST",
                f"/s/{self.token}",
                body=submit_body(self.token),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            resp = conn.getresponse()
            self.result = Reply(resp.status, dict(resp.getheaders()), resp.read().decode())
        except (OSError, http.client.HTTPException) as exc:
            self.error = exc
        finally:
            self.connected.set()
            conn.close()


@dataclass
class Outcome:
    token: str
    status: int | str  # HTTP status, or the connection error's class name
    body: str  # the first 2,000 characters of any answer that is not a 303
    started: float  # time.monotonic()
    ended: float


class Load:
    """`threads` clients submitting fresh tokens for `seconds` (or until tokens run out)."""

    def __init__(self, port: int, tokens: list[str], threads: int, seconds: float):
        self.port, self.threads, self.seconds = port, threads, seconds
        self._tokens = iter(list(tokens))
        self._lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self._workers: list[threading.Thread] = []

    def _next(self) -> str | None:
        with self._lock:
            return next(self._tokens, None)

    def _client(self, deadline: float) -> None:
        while time.monotonic() < deadline and (token := self._next()) is not None:
            started = time.monotonic()
            try:
                reply = submit(self.port, token, timeout=60)
                status, body = reply.status, "" if reply.status == 303 else reply.body[:2000]
            except (OSError, http.client.HTTPException) as exc:
                status, body = type(exc).__name__, str(exc)
            with self._lock:
                self.outcomes.append(Outcome(token, status, body, started, time.monotonic()))

    def start(self) -> "Load":
        deadline = time.monotonic() + self.seconds
        self._workers = [
            threading.Thread(target=self._client, args=(deadline,), daemon=True)
            for _ in range(self.threads)
        ]
        for thread in self._workers:
            thread.start()
        return self

    def join(self) -> "Load":
        for thread in self._workers:
            thread.join(self.seconds + 90)
        return self

    def run(self) -> "Load":
        return self.start().join()

    def statuses(self) -> dict:
        counts: dict = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        return counts

    def accepted(self) -> list[str]:
        """Tokens the client saw accepted (303 to the thank-you page)."""
        return [o.token for o in self.outcomes if o.status == 303]


class Session:
    """A logged-in staff browser: cookies kept by hand, CSRF read from the login form."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict | None = None) -> dict:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**({"Cookie": cookie} if cookie else {}), **(extra or {})}

    def _keep(self, reply: Reply) -> Reply:
        for name, value in reply.headers.items():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
        return reply

    def get(self, path: str, timeout: float = 60) -> Reply:
        return self._keep(request(self.port, "GET", path, headers=self._headers(), timeout=timeout))

    def login(self, username: str, password: str = PASSWORD) -> None:
        import re

        page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body).group(1)
        body = urlencode({"username": username, "password": password, "csrf_token": token})
        reply = self._keep(
            request(self.port, "POST", "/login", body, headers=self._headers(), timeout=30)
        )
        assert reply.status == 303, (reply.status, reply.body[:300])


# --- gunicorn --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def children(pid: int) -> list[int]:
    """PIDs whose parent is `pid` (from /proc: no psutil needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


def _tcp_inodes(server_port: int, client_port: int) -> set[str]:
    """Socket inodes of the server side of the loopback connection from `client_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for line in handle.readlines()[1:]:
                parts = line.split()
                local, remote, inode = parts[1], parts[2], parts[9]
                if (
                    int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                ):
                    inodes.add(f"socket:[{inode}]")
    return inodes


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free loopback port, in its own group."""

    COMMAND = (sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app")

    def __init__(
        self,
        url: str,
        log_path: Path,
        workers: int = 2,
        timeout: int = 30,
        command: tuple[str, ...] = COMMAND,
        **env,
    ):
        self.command = command
        self.port = free_port()
        self.workers_wanted = workers
        self.log_path = log_path
        self.env = server_env(
            url,
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=workers,
            GUNICORN_TIMEOUT=timeout,
            GUNICORN_GRACEFUL_TIMEOUT=5,
            GUNICORN_MAX_REQUESTS=0,  # no planned recycling: worker PIDs stay meaningful
            GUNICORN_MAX_REQUESTS_JITTER=0,
            **env,
        )
        self.proc: subprocess.Popen | None = None
        self._terminated = False

    def start(self, wait_healthy: bool = True) -> "Gunicorn":
        return self.launch().ready(wait_healthy)

    def launch(self) -> "Gunicorn":
        self._log = open(self.log_path, "ab")  # noqa: SIM115  closed in stop()
        self.proc = subprocess.Popen(
            list(self.command),
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def ready(self, wait_healthy: bool = True) -> "Gunicorn":
        wait_for(
            lambda: len(self.workers()) == self.workers_wanted or self._died(),
            30,
            "gunicorn's workers",
        )
        if wait_healthy:
            wait_for(lambda: self.healthy() or self._died(), 30, "a healthy /healthz")
        assert self.proc.poll() is None, self.log()
        return self

    def _died(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log()[-3000:]}")
        return False

    def healthy(self) -> bool:
        try:
            return request(self.port, "GET", "/healthz", timeout=5).status == 200
        except (OSError, http.client.HTTPException):
            return False

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def worker_serving(self, client_port: int) -> int | None:
        """The worker holding the accepted socket of the client's connection."""
        inodes = _tcp_inodes(self.port, client_port)
        for pid in self.workers():
            with contextlib.suppress(OSError):
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    with contextlib.suppress(OSError):
                        if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                            return pid
        return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        """Ask for a graceful stop without waiting (stop() waits)."""
        if self.proc is not None and self.proc.poll() is None and not self._terminated:
            self.proc.send_signal(signal.SIGTERM)
            self._terminated = True

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --- PostgreSQL server control (root, loopback cluster) --------------------------------


def pg_ctl(action: str) -> None:
    """`pg_ctlcluster <version> main <action>`; fast shutdown for stop and restart."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    args = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action in ("stop", "restart"):
        args += ["-m", "fast"]
    subprocess.run(args, check=True, capture_output=True, timeout=60)


def ensure_pg_running() -> None:
    """Start the cluster if a test left it down; wait until it accepts connections."""
    if not pg_available():
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl("start")
    wait_for(pg_available, 60, "PostgreSQL to accept connections", interval=0.25)


def is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError)
