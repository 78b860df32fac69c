"""F11: RSS of one process building 100 monthly PDF reports (charts drawn every time)."""

import json
import subprocess
import sys
from datetime import date

from tests.faults import harness

REPORTS = 100
GROWTH_LIMIT_MB = 20


def test_f11_monthly_pdfs_keep_memory_flat(sqlite_url):
    harness.seed(sqlite_url, code="MEM")
    year = date.today().year - 1
    for month in range(1, 13):
        harness.fill_month(sqlite_url, "MEM", year, month, 150, seed_value=month)
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.pdf_memory", sqlite_url, "MEM", str(REPORTS)],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    samples = dict(result["samples"])
    warm = samples[10]  # after the first ten: fonts, imports and caches are loaded
    growth_mb = (samples[REPORTS] - warm) / 1024
    print(
        f"\nF11 {REPORTS} PDFs in {result['seconds']} s, {result['draws']} chart draws; "
        f"RSS MB: start {samples[0] / 1024:.0f}, after 10 {warm / 1024:.0f}, "
        f"end {samples[REPORTS] / 1024:.0f}, peak {max(samples.values()) / 1024:.0f}; "
        f"growth after warm-up {growth_mb:.1f} MB"
    )
    assert result["draws"] >= 4 * REPORTS
    assert growth_mb <= GROWTH_LIMIT_MB, result["samples"]
