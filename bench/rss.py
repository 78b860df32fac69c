"""Memory: the RSS of gunicorn's master and workers serving parents, then the reports.

gunicorn starts with the production config (`gunicorn.conf.py`, its default worker count)
on a fresh seeded site (bench/site.py). Then, with VmRSS and VmHWM read from
/proc/<pid>/status for the master and every worker:

1. after boot;
2. after the survey: for each of TOKENS fresh tokens, GET /s/<token>, POST step 1 (its
   token-bound CSRF value), GET step 2, from CLIENTS threads, so every worker serves them;
3. after the reports: the principal signs in and asks for the dashboard, the report page,
   its four charts and the PDF, DOCX and XLSX exports, in rounds from as many threads as
   there are workers, until every worker has loaded the report stack (or ROUNDS ran).

Which libraries a worker has loaded is read from /proc/<pid>/maps (the compiled parts of
matplotlib, numpy, Pillow, lxml): a worker that served parents only must have none.

    .venv/bin/python -m bench.rss [--db sqlite|postgresql] [--tokens 1000]
"""

import argparse
import http.client
import json
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.common import csrf_for, db_version, log, machine, proc_status
from bench.seed import PASSWORD, seed_tokens
from bench.site import Site, site

CLIENTS = 8
ROUNDS = 12
LIBRARIES = ("matplotlib", "numpy", "PIL", "lxml")
_local = threading.local()


def libraries(pid: int) -> list[str]:
    """The heavy libraries whose compiled modules a process has mapped."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return []
    return [name for name in LIBRARIES if f"/{name}/" in maps or f"/{name}." in maps]


def pss_mb(pid: int) -> float:
    """Proportional set size: the pages shared with the master and the other workers
    (forked, copy-on-write) counted once between them. The sum over the processes is what
    the server takes from the machine; each RSS counts the shared pages again."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def snapshot(server, label: str) -> dict:
    """VmRSS, VmHWM and PSS (MB) of the master and of each worker, and what each loaded."""
    master = proc_status(server.proc.pid)
    workers = []
    for pid in sorted(server.workers()):
        status = proc_status(pid)
        workers.append(
            {
                "pid": pid,
                "rss_mb": round(status.get("VmRSS", 0) / 1024, 1),
                "peak_mb": round(status.get("VmHWM", 0) / 1024, 1),
                "pss_mb": pss_mb(pid),
                "loaded": libraries(pid),
            }
        )
    rss = [w["rss_mb"] for w in workers]
    out = {
        "when": label,
        "master_rss_mb": round(master.get("VmRSS", 0) / 1024, 1),
        "master_pss_mb": pss_mb(server.proc.pid),
        "workers": workers,
        "worker_rss_max_mb": max(rss) if rss else None,
        "worker_rss_total_mb": round(sum(rss), 1),
    }
    out["pss_total_mb"] = round(out["master_pss_mb"] + sum(w["pss_mb"] for w in workers), 1)
    log(
        f"RSS {label}: master {out['master_rss_mb']} MB, workers {rss} MB; "
        f"PSS of all {out['pss_total_mb']} MB"
    )
    return out


class Client:
    """One keep-alive connection with its own cookies (Secure cookies too: plain HTTP here)."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Host": f"{self.host}:{self.port}"}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()  # the server closed an idle connection: once more
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt:
                    raise
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content

    def login(self, username: str) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("no CSRF token on /login")
        form = {"csrf_token": token.group(1).decode(), "username": username}
        status, _page = self.request("POST", "/login", {**form, "password": PASSWORD})
        if status != 303 and status != 302:
            raise RuntimeError(f"login as {username}: {status}")


def _client(url: str) -> Client:
    if getattr(_local, "client", None) is None:
        _local.client = Client(url)
    return _local.client


def survey(url: str, token: str) -> list[int]:
    """A parent: the page, step 1 (satisfied), step 2's page."""
    client = _client(url)
    codes = [client.request("GET", f"/s/{token}")[0]]
    body = {"csrf_token": csrf_for(token), "overall": "satisfied"}
    codes.append(client.request("POST", f"/s/{token}", body)[0])
    codes.append(client.request("GET", f"/s/{token}/more")[0])
    return codes


def last_month() -> str:
    m = date.today().year * 12 + date.today().month - 2
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def report_pages(period: str) -> list[str]:
    charts = [f"/reports/charts/{n}.svg?period={period}" for n in ("trend", "overall")]
    charts += [f"/reports/charts/{n}.svg?period={period}" for n in ("ontime", "negatives")]
    exports = [f"/reports/export?period={period}&format={f}" for f in ("pdf", "docx", "xlsx")]
    return ["/dashboard", f"/reports?period={period}", *charts, *exports]


def run(s: Site, tokens: int) -> dict:
    from survey_app.timeutil import utcnow

    server = s.server
    snapshots = [snapshot(server, "after boot")]
    pool = seed_tokens(s.app, s.base, tokens, utcnow() - timedelta(hours=2), "R")
    log(f"survey: {tokens} parents × 3 requests from {CLIENTS} threads")
    with ThreadPoolExecutor(CLIENTS) as ex:
        codes = [c for result in ex.map(lambda t: survey(server.url, t), pool) for c in result]
    statuses: dict[int, int] = {}
    for code in codes:
        statuses[code] = statuses.get(code, 0) + 1
    snapshots.append(snapshot(server, "after the survey"))

    username = "bench-principal"
    workers = len(server.workers())
    principals = [Client(server.url) for _ in range(workers)]
    for client in principals:
        client.login(username)
    pages = report_pages(last_month())
    report_statuses: dict[int, int] = {}
    rounds = 0
    while rounds < ROUNDS:
        rounds += 1
        with ThreadPoolExecutor(workers) as ex:
            results = ex.map(lambda c: [c.request("GET", p)[0] for p in pages], principals)
            for result in results:
                for code in result:
                    report_statuses[code] = report_statuses.get(code, 0) + 1
        if all("matplotlib" in libraries(pid) for pid in server.workers()):
            break
    snapshots.append(snapshot(server, f"after the reports ({rounds} rounds)"))
    return {
        "benchmark": "memory",
        "db": s.db.kind,
        "db_version": db_version(s.db),
        "workers": workers,
        "survey_requests": len(codes),
        "survey_statuses": statuses,
        "report_pages": pages,
        "report_rounds": rounds,
        "report_statuses": report_statuses,
        "snapshots": snapshots,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--tokens", type=int, default=1000)
    args = parser.parse_args(argv)
    out = {"machine": machine(), "results": []}
    with site(args.db) as s:
        out["results"].append(run(s, args.tokens))
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
