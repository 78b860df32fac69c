"""Shared pieces of the benchmarks: databases, versions, alternation, gunicorn and wrk.

Every benchmark is a ratio to a baseline measured in the same run, alternating baseline and
subject (B, S, B, S, ...) so that the noise of a shared 2-core machine hits both alike.
"""

import hashlib
import hmac
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "instance" / "bench"  # SQLite files and logs (instance/ is not committed)
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LUA = Path(__file__).resolve().parent / "requests.lua"
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1")
# The gunicorn workers and the bench process share this key: the bench computes each
# survey token's CSRF value exactly as TokenCSRF ("survey-csrf") does.
SECRET_KEY = "bench-" + hashlib.sha256(b"hai-long bench key").hexdigest()
PACKAGES = (
    "flask",
    "werkzeug",
    "jinja2",
    "sqlalchemy",
    "gunicorn",
    "psycopg2-binary",
    "flask-wtf",
    "matplotlib",
    "reportlab",
    "qrcode",
    "openpyxl",
    "playwright",
)


# --- databases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgresql"
    name: str  # hl_bench, hl_bench_big
    url: str


def database(kind: str, name: str) -> Database:
    if kind == "sqlite":
        return Database(kind, name, f"sqlite:///{BENCH_DIR / (name + '.db')}")
    if kind == "postgresql":
        return Database(kind, name, f"{PG_BASE}/{name}")
    raise ValueError(kind)


def _pg_admin(sql: str) -> None:
    import psycopg2

    dsn = PG_BASE.replace("postgresql+psycopg2://", "postgresql://") + "/postgres"
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def drop_database(db: Database) -> None:
    if db.kind == "sqlite":
        path = BENCH_DIR / (db.name + ".db")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        _pg_admin(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


def create_database(db: Database, fresh: bool) -> None:
    """Create (dropping it first when `fresh`) the database; its schema comes from migrate()."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if fresh:
        drop_database(db)
    if db.kind == "postgresql":
        try:
            _pg_admin(f'CREATE DATABASE "{db.name}"')
        except Exception as exc:  # noqa: BLE001 - psycopg2's DuplicateDatabase
            if "already exists" not in str(exc):
                raise


class Disturbed(RuntimeError):
    """A measurement that went wrong for a reason outside the code measured (a database
    restarted by other work on the machine): thrown away and run again."""


def pg_started_at(db: Database, wait: float = 900.0) -> str | None:
    """PostgreSQL's start time (waiting for it to accept connections): a changed value means
    the server was restarted meanwhile (other work on this machine restarts it)."""
    if db.kind != "postgresql":
        return None
    import psycopg2

    dsn = PG_BASE.replace("postgresql+psycopg2://", "postgresql://") + "/postgres"
    deadline = time.time() + wait
    while True:
        try:
            conn = psycopg2.connect(dsn, connect_timeout=5)
            break
        except psycopg2.OperationalError:
            if time.time() > deadline:
                raise
            log("PostgreSQL is not accepting connections; waiting")
            time.sleep(3)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_postmaster_start_time()")
            return str(cur.fetchone()[0])
    finally:
        conn.close()


def make_app(db: Database, **config):
    """The app, in-process, on `db` (the same code a gunicorn worker runs)."""
    from survey_app import create_app

    return create_app(
        {
            "APP_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": db.url,
            "SECRET_KEY": SECRET_KEY,
            "MAIL_SEND_AFTER_COMMIT": False,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            **config,
        }
    )


def migrate(app) -> None:
    """The schema by the project's migrations (not create_all), as production builds it."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def csrf_for(token: str, key: str = SECRET_KEY) -> str:
    """The survey form's TokenCSRF value for a survey token."""
    message = f"survey-csrf|{token}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


# --- versions and machine -----------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cmd_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def db_version(db: Database) -> str:
    if db.kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg2

    conn = psycopg2.connect(db.url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            return f"PostgreSQL {cur.fetchone()[0]}"
    finally:
        conn.close()


def machine() -> dict:
    """CPU, memory, OS, Python, tools and package versions, git commit, date."""
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    commit = _cmd_version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "bench", "survey_app", "templates"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if dirty:
        commit += " + uncommitted changes"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": _cmd_version(["wrk", "-v"]).split(" [")[0],
        "chromium": _cmd_version(["/usr/bin/chromium", "--version"]),
        "packages": {p: _package_version(p) for p in PACKAGES},
        "commit": commit,
        "load_start": os.getloadavg(),
    }


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


# --- alternation and ratios -----------------------------------------------------------------


@dataclass
class Alternation:
    """Baseline and subject values of one benchmark, measured B, S, B, S, ..."""

    unit: str
    higher_is_better: bool
    baseline: list[float] = field(default_factory=list)
    subject: list[float] = field(default_factory=list)

    def pair_ratios(self) -> list[float]:
        return [s / b for b, s in zip(self.baseline, self.subject, strict=False) if b]

    def summary(self, threshold: float) -> dict:
        """Medians, the median of the per-pair ratios (subject / baseline) and the verdict."""
        ratios = self.pair_ratios()
        ratio = statistics.median(ratios) if ratios else None
        if ratio is None:
            ok = None
        else:
            ok = ratio >= threshold if self.higher_is_better else ratio <= threshold
        return {
            "unit": self.unit,
            "baseline": round(statistics.median(self.baseline), 4) if self.baseline else None,
            "subject": round(statistics.median(self.subject), 4) if self.subject else None,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "ratio_min": round(min(ratios), 3) if ratios else None,
            "ratio_max": round(max(ratios), 3) if ratios else None,
            "threshold": f"{'≥' if self.higher_is_better else '≤'} {threshold:g}",
            "pass": ok,
            "reps": len(ratios),
            "baseline_all": [round(v, 4) for v in self.baseline],
            "subject_all": [round(v, 4) for v in self.subject],
        }


def alternate(
    baseline: Callable[[int], float],
    subject: Callable[[int], float],
    reps: int,
    unit: str,
    higher_is_better: bool,
    label: str = "",
) -> Alternation:
    """Run baseline(i), subject(i) for i in range(reps), interleaved, and collect the values."""
    out = Alternation(unit, higher_is_better)
    for i in range(reps):
        out.baseline.append(baseline(i))
        out.subject.append(subject(i))
        log(
            f"{label} rep {i + 1}/{reps}: baseline {out.baseline[-1]:.4g} {unit}, "
            f"subject {out.subject[-1]:.4g} {unit}"
        )
    return out


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- processes: RSS from /proc ------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB (empty if it is gone)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _sep, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_mb(pid: int | None = None) -> float:
    return proc_status(pid or os.getpid()).get("VmRSS", 0) / 1024


# --- gunicorn -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What the benchmarks' gunicorn serves: the production app with /hello (bench.hello_app) and
# B1's raw-SQL floor route (bench.floor_app), B1's baseline.
BENCH_APP = "bench.floor_app:create()"


class Gunicorn:
    """gunicorn -c gunicorn.conf.py on `db` serving BENCH_APP (the production app with /hello
    and B1's floor route) or `app`, production settings.

    Workers and worker class come from gunicorn.conf.py unchanged; worker recycling
    (max_requests) is off so that a benchmark never measures a worker's restart, and mail
    delivery after commit is off (the case's mail is still written to the outbox).
    """

    def __init__(self, db: Database, name: str = "gunicorn", app: str = BENCH_APP):
        self.db = db
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = BENCH_DIR / f"{name}-{db.kind}.log"
        self.proc: subprocess.Popen | None = None
        self.workers_started: list[int] = []

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "APP_ENV": "production",
                "SECRET_KEY": SECRET_KEY,
                "DATABASE_URL": self.db.url,
                "TRUSTED_HOSTS": "127.0.0.1,localhost",
                "PUBLIC_BASE_URL": self.url,
                "MAIL_SEND_AFTER_COMMIT": "0",
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_MAX_REQUESTS": "0",
                "GUNICORN_MAX_REQUESTS_JITTER": "0",
                "GUNICORN_LOG_LEVEL": "warning",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("REDIS_URL", None)
        return env

    def start(self) -> "Gunicorn":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app]
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=self.env(), stdout=log_file, stderr=log_file, start_new_session=True
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/hello", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn did not answer /hello; see {self.log_path}")
        time.sleep(1.0)  # let every worker finish booting
        self.workers_started = children(self.proc.pid)
        return self

    def workers(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def memory(self) -> dict:
        """Per-worker current and peak RSS (MB), and whether any worker was replaced."""
        workers = self.workers()
        status = {pid: proc_status(pid) for pid in workers}
        peaks = [s.get("VmHWM", 0) / 1024 for s in status.values()]
        current = [s.get("VmRSS", 0) / 1024 for s in status.values()]
        return {
            "workers": len(workers),
            "worker_peak_rss_mb": round(max(peaks), 1) if peaks else None,
            "worker_rss_mb": [round(v, 1) for v in current],
            "workers_replaced": sorted(set(self.workers_started) - set(workers)) != [],
        }

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the master we started; it stops its workers
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> "Gunicorn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- wrk ----------------------------------------------------------------------------------


def write_requests(path: Path, lines: list[tuple[str, str, str]]) -> Path:
    """A request file for requests.lua: METHOD<TAB>PATH<TAB>BODY per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{m}\t{p}\t{b}\n" for m, p, b in lines))
    return path


def wrk(base_url: str, requests_file: Path, duration: float, connections: int = 8) -> dict:
    """One wrk run (ONE thread: the other core is the server's), cycling through the file.

    Returns requests/s, the count of every status code, socket errors and how many times
    the file was used up and started again (`wrapped`; for fresh tokens it must stay 0).
    """
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base_url,
        "--",
        str(requests_file),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)  # noqa: S603
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON ") :])
            result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"no result from wrk: {out.stdout}\n{out.stderr}")


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
