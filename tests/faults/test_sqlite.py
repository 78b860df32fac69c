"""F6, F7, F8 on SQLite served by several gunicorn workers (WAL, busy_timeout, IMMEDIATE)."""

import sqlite3
import time
from contextlib import closing

from tests.faults import harness

CLIENTS = 32
LOAD_SECONDS = 10


def _path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _integrity(url: str) -> list:
    with closing(sqlite3.connect(_path(url))) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


def _check_accepted_stored(url: str, load: harness.Load) -> None:
    """Every 303 the clients saw is one stored response; nothing stored twice."""
    tried = [o.token for o in load.outcomes]
    stored = harness.answers_by_token(url, tried)
    assert all(stored[t] == 1 for t in load.accepted())
    assert max(stored.values(), default=0) <= 1


def test_f6_write_contention_three_workers_32_clients(sqlite_url, serve):
    made = harness.seed(sqlite_url, tokens=6000, code="F6")
    server = serve(sqlite_url, workers=3)
    load = harness.Load(server.port, made.tokens, CLIENTS, LOAD_SECONDS).run()

    statuses = load.statuses()
    print(f"\nF6 {CLIENTS} clients x {LOAD_SECONDS}s on 3 workers: {statuses}")
    assert set(statuses) == {303}, statuses  # zero 5xx, zero dropped connections
    assert len(load.outcomes) >= 200, "too few submits to mean anything"
    _check_accepted_stored(sqlite_url, load)
    log = server.log()
    assert "database is locked" not in log and "database unavailable" not in log
    assert _integrity(sqlite_url) == [("ok",)]


def test_f6_regression_without_begin_immediate_is_detected(sqlite_url, serve):
    """The same load with a plain deferred BEGIN (HL_FAULT_SQLITE_DEFERRED=1, see
    hooked_app.py): the check above must fail."""
    made = harness.seed(sqlite_url, tokens=6000, code="F6R")
    server = serve(sqlite_url, workers=3, HL_FAULT_SQLITE_DEFERRED="1")
    load = harness.Load(server.port, made.tokens, CLIENTS, LOAD_SECONDS // 2).run()

    statuses = load.statuses()
    print(f"\nF6 regression (deferred BEGIN): {statuses}")
    assert statuses.get(503, 0) > 0, statuses  # "database is locked" became 503 pages
    assert set(statuses) <= {303, 503}, statuses
    failed = [o for o in load.outcomes if o.status == 503]
    assert all(harness.PAGE_503[0] in o.body for o in failed)
    assert "database unavailable" in server.log()
    _check_accepted_stored(sqlite_url, load)


def test_f7_long_reader_beside_writers(sqlite_url, serve):
    made = harness.seed(sqlite_url, tokens=4000, code="F7")
    path = _path(sqlite_url)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    server = serve(sqlite_url, workers=3)
    load = harness.Load(server.port, made.tokens, 4, 14).start()

    time.sleep(1.5)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        first = reader.execute("SELECT count(*) FROM response").fetchone()[0]
        read_started, wal_at_start = time.monotonic(), _wal_size(path)
        while time.monotonic() - read_started < 10:  # a long export's read transaction
            reader.execute("SELECT count(*), max(id) FROM answer").fetchone()
            assert reader.execute("SELECT count(*) FROM response").fetchone()[0] == first
            time.sleep(0.5)
        wal_at_end, read_ended = _wal_size(path), time.monotonic()
        reader.execute("COMMIT")
    finally:
        reader.close()
    load.join()

    during = [o for o in load.outcomes if read_started <= o.ended <= read_ended]
    print(
        f"\nF7 writes during the 10 s read: {len(during)}; "
        f"WAL {wal_at_start} -> {wal_at_end} bytes; all: {load.statuses()}"
    )
    assert load.statuses() == {303: len(load.outcomes)}
    assert len(during) >= 50 and all(o.status == 303 for o in during)
    assert wal_at_end > wal_at_start  # the reader pinned its snapshot: the WAL grew
    assert harness.scalar(sqlite_url, "SELECT count(*) FROM response") > first
    _check_accepted_stored(sqlite_url, load)
    with closing(sqlite3.connect(path)) as conn:
        busy, _frames, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0 and _wal_size(path) == 0  # checkpointed once the reader left
    assert _integrity(sqlite_url) == [("ok",)]


def _wal_size(path: str) -> int:
    import os

    try:
        return os.path.getsize(path + "-wal")
    except FileNotFoundError:
        return 0
