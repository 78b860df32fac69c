"""Shared constants and small helpers of the fault-injection tests."""

import os
import socket
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "faults-only-secret-key-0123456789abcdef-0123456789"
PG_ADMIN_URL = os.environ.get(
    "FAULTS_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "faults password 123"
# The DB-free 503 page (templates/errors/error.html): its title and its advice.
PAGE_503 = ("Hệ thống tạm thời gián đoạn", "Vui lòng thử lại sau ít phút.")


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
