"""Clients on loopback: one request per connection, submits, load loops, a staff session."""

import hashlib
import hmac
import http.client
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from tests.faults.common import PASSWORD, SECRET_KEY

# --- HTTP on loopback ------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict
    body: str


def csrf_for(token: str) -> str:
    """The survey form's token-bound CSRF value (survey_app.forms.TokenCSRF, "survey-csrf")."""
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

    # After a refused submit (503 while the database is away) a client waits this long, as a
    # person would: without it, instant 503s use a pool of thousands of tokens up in a second
    # and nothing is left to show the recovery.
    PAUSE_AFTER_FAILURE = 0.1

    def __init__(self, port: int, tokens: list[str], threads: int, seconds: float):
        self.port, self.threads, self.seconds = port, threads, seconds
        self._tokens = iter(list(tokens))
        self._lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self._workers: list[threading.Thread] = []

    def _next(self) -> str | None:
        with self._lock:
            return next(self._tokens, None)

    def _client(self) -> None:
        while time.monotonic() < self.deadline and (token := self._next()) is not None:
            started = time.monotonic()
            try:
                reply = submit(self.port, token, timeout=60)
                status, body = reply.status, "" if reply.status == 303 else reply.body[:2000]
            except (OSError, http.client.HTTPException) as exc:
                status, body = type(exc).__name__, str(exc)
            with self._lock:
                self.outcomes.append(Outcome(token, status, body, started, time.monotonic()))
            if status != 303:
                time.sleep(self.PAUSE_AFTER_FAILURE)

    def start(self) -> "Load":
        self.deadline = time.monotonic() + self.seconds
        self._workers = [
            threading.Thread(target=self._client, daemon=True) for _ in range(self.threads)
        ]
        for thread in self._workers:
            thread.start()
        return self

    def stop_after(self, seconds: float) -> None:
        """End the run `seconds` from now (sooner than planned or later)."""
        self.deadline = time.monotonic() + seconds

    def join(self) -> "Load":
        for thread in self._workers:
            thread.join(max(0, self.deadline - time.monotonic()) + 90)
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
