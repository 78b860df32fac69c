"""Fault-injection harness: gunicorn on loopback, plus everything the tests use, re-exported.

Everything here talks to real processes: `gunicorn -c gunicorn.conf.py wsgi:app` started
as a child in its own process group, SQLite files in a temp dir or scratch PostgreSQL
databases (databases.py, seeding.py), and http.client on 127.0.0.1 (clients.py).
"""

import contextlib
import http.client
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.faults.clients import (
    InFlight,
    Load,
    Outcome,
    Reply,
    Session,
    csrf_for,
    outcome,
    request,
    submit,
    submit_body,
)
from tests.faults.common import (
    PAGE_503,
    PASSWORD,
    PG_ADMIN_URL,
    ROOT,
    SECRET_KEY,
    free_port,
    wait_for,
)
from tests.faults.databases import (
    answers_by_token,
    deploy,
    ensure_pg_running,
    pg_available,
    pg_ctl,
    pg_database,
    scalar,
    server_env,
)
from tests.faults.seeding import (
    Seed,
    add_dossiers,
    fill_month,
    seed,
)


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
    # The same app with a fault injected (tests/faults/hooked_app.py), for HL_FAULT_* tests.
    HOOKED = (*COMMAND[:-1], "tests.faults.hooked_app:create()")

    def __init__(
        self,
        url: str,
        log_path: Path,
        workers: int = 2,
        timeout: int = 30,
        command: tuple[str, ...] = COMMAND,
        **env,
    ):
        if command == self.COMMAND and any(k.startswith("HL_FAULT_") for k in env):
            command = self.HOOKED
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


__all__ = [
    "add_dossiers",
    "answers_by_token",
    "children",
    "csrf_for",
    "deploy",
    "ensure_pg_running",
    "fill_month",
    "free_port",
    "Gunicorn",
    "InFlight",
    "Load",
    "Outcome",
    "outcome",
    "PAGE_503",
    "PASSWORD",
    "PG_ADMIN_URL",
    "pg_available",
    "pg_ctl",
    "pg_database",
    "Reply",
    "request",
    "ROOT",
    "scalar",
    "SECRET_KEY",
    "Seed",
    "seed",
    "server_env",
    "Session",
    "submit",
    "submit_body",
    "wait_for",
]
