"""Redis (the rate limits' store) stopped under load: logins and survey submits go on.

A real redis-server on a loopback port, gunicorn with REDIS_URL pointing at it, 4 clients
submitting fresh survey links and one staff browser logging in again and again. Redis is
killed mid-run (SIGKILL, no goodbye). Every submit must still be a 303 stored exactly once,
every login a 303, and /healthz a 200 that names Redis "down". Then Redis comes back and
/healthz says "up" again (Flask-Limiter re-checks its store with a growing back-off).
"""

import shutil
import subprocess
import threading
import time

import pytest

from tests.faults import harness

REDIS = shutil.which("redis-server")


class RedisServer:
    def __init__(self, tmp_path):
        self.port = harness.free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        harness.wait_for(self._answers, 10, "redis-server listening")
        return self

    def _answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _health(port: int) -> dict:
    import json

    reply = harness.request(port, "GET", "/healthz", timeout=10)
    assert reply.status == 200, (reply.status, reply.body[:300])
    return json.loads(reply.body)


@pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")
def test_redis_killed_under_load_logins_and_submits_go_on(db_url, serve, tmp_path):
    redis = RedisServer(tmp_path).start()
    try:
        made = harness.seed(db_url, tokens=3000, code=f"RD{harness.free_port() % 1000}")
        server = serve(db_url, workers=2, REDIS_URL=f"redis://127.0.0.1:{redis.port}/0")
        assert _health(server.port)["redis"] == "up"

        logins: list[object] = []
        stop = threading.Event()

        def log_in_again_and_again():
            while not stop.is_set():
                try:
                    harness.Session(server.port).login(made.principal)
                    logins.append(303)
                except (AssertionError, OSError) as exc:
                    logins.append(repr(exc)[:200])
                time.sleep(0.05)

        staff = threading.Thread(target=log_in_again_and_again, daemon=True)
        load = harness.Load(server.port, made.tokens, 4, 8).start()
        staff.start()
        time.sleep(2.5)
        redis.kill()
        killed_at = time.monotonic()
        time.sleep(1)
        health = _health(server.port)
        load.join()
        stop.set()
        staff.join(30)

        assert health["redis"] == "down" and health["database"] == "up", health
        assert load.statuses() == {303: len(load.outcomes)}, load.statuses()
        after = [o for o in load.outcomes if o.started > killed_at]
        assert len(after) > 20  # the load really ran on without Redis
        stored = harness.answers_by_token(db_url, load.accepted())
        assert set(stored.values()) == {1}  # every 303 stored, exactly once
        assert logins and set(logins) == {303}, logins[:5]
        assert len(logins) > 10
        log = server.log()
        assert "Traceback" not in log, log[-3000:]

        redis.start()  # back on the same port: the limits return to it
        harness.wait_for(lambda: _health(server.port)["redis"] == "up", 10, "redis up again")
    finally:
        redis.kill()
