"""F8: the SQLite database's disk fills up under a served app, then frees up again."""

import os
import sqlite3
import subprocess
from contextlib import closing

import pytest

from tests.faults import harness


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs mounted for the test (root only); always unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory) -> int:
    """Write zeros until the file system refuses (ENOSPC); the bytes written."""
    path = os.path.join(directory, "filler")
    block = b"\0" * (1 << 20)
    written = 0
    with open(path, "wb", buffering=0) as handle:
        while True:
            try:
                written += handle.write(block)
            except OSError:
                break
    # The last partial block too: tmpfs allocates page by page.
    with open(path, "ab", buffering=0) as handle:
        while True:
            try:
                handle.write(b"\0" * 4096)
                written += 4096
            except OSError:
                break
    return written


def _integrity(path: str) -> list:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


def test_f8_disk_full_gives_503_then_recovers(small_disk, serve):
    path = str(small_disk / "hai_long.db")
    url = f"sqlite:///{path}"
    done = harness.deploy(url)
    assert done.returncode == 0, done.stdout + done.stderr
    tokens = harness.seed(url, tokens=10, code="F8").tokens
    server = serve(url, workers=2)
    try:
        assert harness.submit(server.port, tokens[0]).status == 303
        workers = server.workers()
        with closing(sqlite3.connect(path)) as conn:  # an empty WAL must grow to take a write
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        filled = _fill(small_disk)
        assert filled > 0

        full = [harness.submit(server.port, t) for t in tokens[1:4]]
        assert [r.status for r in full] == [503, 503, 503], [r.body[:300] for r in full]
        assert all(harness.PAGE_503[1] in r.body and "Traceback" not in r.body for r in full)
        assert all(r.headers.get("Retry-After") for r in full)
        page = harness.request(server.port, "GET", f"/s/{tokens[4]}")
        assert page.status == 200  # reading still works on a full disk
        assert _integrity(path) == [("ok",)]
        assert harness.answers_by_token(url, tokens[1:4]) == dict.fromkeys(tokens[1:4], 0)

        os.remove(small_disk / "filler")
        after = [harness.submit(server.port, t).status for t in tokens[1:4]]
        assert after == [303, 303, 303]  # no restart needed
        assert server.workers() == workers
        assert harness.answers_by_token(url, tokens[:4]) == dict.fromkeys(tokens[:4], 1)
        assert _integrity(path) == [("ok",)]
        log = server.log()
        assert "database unavailable" in log
        print(f"\nF8 filled {filled >> 20} MB; submits on the full disk: 503; after: {after}")
    finally:
        server.stop()  # before the tmpfs is unmounted
