"""Markdown tables of a benchmark run, and the generated block of BENCHMARKS.md."""

import re
from pathlib import Path

from bench.common import ROOT

START = "<!-- bench:generated:start (bench/run_all.py rewrites this block) -->"
END = "<!-- bench:generated:end -->"
MEASURES = {
    "B1": "submit ÷ raw-SQL floor (req/s)",
    "B2": "survey page ÷ /healthz (req/s)",
    "B3": "monthly aggregate over 1 M responses (s)",
    "B4": "1,000 QR slips to PDF (s)",
    "B5": "monthly PDF report with 4 charts (s)",
    "B6": "survey page weight (bytes)",
}


def _n(value, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _verdict(ok) -> str:
    return {True: "pass", False: "**FAIL**", None: "—"}[ok]


def summary_table(results: list[dict]) -> str:
    lines = [
        "| # | measure | db | baseline | subject | ratio (min–max) | threshold | result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in sorted(results, key=lambda r: (r["benchmark"], r["db"])):
        if r.get("error"):
            lines.append(
                f"| {r['benchmark']} | {MEASURES[r['benchmark']]} | {r['db']} "
                f"| — | — | — | — | {r['error']} |"
            )
            continue
        spread = ""
        if r.get("ratio_min") is not None:
            spread = f" ({_n(r['ratio_min'])}–{_n(r['ratio_max'])})"
        lines.append(
            f"| {r['benchmark']} | {MEASURES[r['benchmark']]} | {r['db']} | {_n(r['baseline'])} "
            f"| {_n(r['subject'])} | **{_n(r['ratio'])}**{spread} | {r['threshold']} "
            f"| {_verdict(r['pass'])} |"
        )
    return "\n".join(lines)


def _by(results, name):
    return [r for r in results if r["benchmark"] == name and not r.get("error")]


def details(results: list[dict]) -> str:
    out = []
    b1 = _by(results, "B1")
    if b1:
        out += [
            "**B1 accounting and memory**",
            "",
            "| db | requests sent | 303s counted by wrk | stored responses | cut off in flight "
            "| other statuses | all accounted for | cases / outbox | p50 / p99 latency (ms) "
            "| worker peak RSS |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in b1:
            mem = r["memory"]
            out.append(
                f"| {r['db']} | {r['sent']:,} | {r['answered_303']:,} | "
                f"{r['stored_responses']:,} | {r['cut_off_in_flight']} | "
                f"{r['other_statuses'] or 'none'} | {_verdict(r['accounting_ok'])} "
                f"| {r['cases_opened']} / {r['outbox_mails']} | "
                f"{_n(sorted(r['latency_p50_ms'])[len(r['latency_p50_ms']) // 2])} / "
                f"{_n(sorted(r['latency_p99_ms'])[len(r['latency_p99_ms']) // 2])} | "
                f"{mem['worker_peak_rss_mb']} MB ({mem['workers']} workers"
                f"{', one replaced' if mem['workers_replaced'] else ''}) |"
            )
        out += [
            "",
            "B1 against `/hello` (history only, not a goal): "
            + "; ".join(
                f"{r['db']} submit ÷ hello {_n(r['submit_over_hello']['ratio'])}, floor ÷ hello "
                f"{_n(r['floor_over_hello']['ratio'])} (/hello {min(r['hello_rps']):,}–"
                f"{max(r['hello_rps']):,} req/s), floor {r['floor_stored']:,} / "
                f"{r['floor_sent']:,} stored"
                for r in b1
                if "submit_over_hello" in r
            ),
        ]
        out.append("")
    b3 = _by(results, "B3")
    if b3:
        out += [
            "**B3 per query function (median, s) and plans**",
            "",
            "| db | month (responses) | count(*) | scoped count | intake | returns | flow "
            "| cases | aspects | report queries (ratio) | statements |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in b3:
            p = r["per_function_s"]
            rq = r["report_queries"]
            out.append(
                f"| {r['db']} | {r['month']} ({r['month_responses']:,}) | {_n(r['baseline'])} "
                f"| {_n(r['scoped_count_s'])} | {_n(p['intake'])} | {_n(p['returns'])} "
                f"| {_n(p['flow'])} | {_n(p['cases'])} | {_n(p['aspects'])} "
                f"| {_n(rq['subject'])} ({_n(rq['ratio'])}) | {r['statements']} |"
            )
        out.append("")
        for r in b3:
            for name, v in r.get("variants", {}).items():
                out.append(
                    f"- {r['db']}, {name}: subject {_n(v['subject'])} s, count {_n(v['baseline'])}"
                    f" s, ratio **{_n(v['ratio'])}**"
                )
        out.append("")
        for r in b3:
            out.append(f"Indexes and full scans per statement ({r['db']}):")
            out.append("")
            for plan in [r["baseline_plan"], *r["plans"]]:
                scans = ", ".join(plan["full_scans"]) or "none"
                out.append(
                    f"- `{plan['sql'][:70]}…` — indexes: {', '.join(plan['indexes']) or 'none'};"
                    f" full scans: {scans}"
                )
            out.append("")
    b4 = _by(results, "B4")
    if b4:
        out += [
            "**B4 absolute times**",
            "",
            "| db | 1,000 × qr_svg | sheet load (gunicorn render) | page.pdf() | pages | PDF |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in b4:
            out.append(
                f"| {r['db']} | {_n(r['baseline'])} s | {_n(r['load_s_median'])} s "
                f"| {_n(r['print_s_median'])} s | {r['pdf_pages']} "
                f"| {r['pdf_bytes'] / 1e6:.1f} MB (HTML {r['html_bytes'] / 1e6:.1f} MB) |"
            )
        out.append("")
    b5 = _by(results, "B5")
    if b5:
        out += [
            "**B5 memory and other formats**",
            "",
            "| db | month | XLSX | RSS before → after N reports | growth | ≤ 20 MB |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in b5:
            out.append(
                f"| {r['db']} | {r['month']} "
                f"| {_n(r['xlsx_s'])} s | {r['rss_start_mb']} → {r['rss_end_mb']} MB "
                f"(N = {r['rss_reports']}, {r['charts_drawn']} charts drawn) "
                f"| {r['rss_growth_mb']} MB | {_verdict(r['rss_pass'])} |"
            )
        out.append("")
    return "\n".join(out)


def machine_lines(m: dict, dbs: dict) -> str:
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    load = lambda v: " / ".join(f"{x:.2f}" for x in v)  # noqa: E731
    return "\n".join(
        [
            f"- Date: {m['date']}; commit `{m['commit']}`; "
            f"full run {m.get('elapsed_min', '?')} min",
            f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}",
            f"- Python {m['python']}; {'; '.join(sorted(set(dbs.values())))}; {m['wrk']}; "
            f"{m['chromium']}",
            f"- Packages: {pk}",
            f"- Load average (1/5/15 min) at start {load(m['load_start'])}, "
            f"at end {load(m.get('load_end', m['load_start']))}",
        ]
    )


def markdown(run: dict) -> str:
    results = run["results"]
    dbs = {r["db"]: r.get("db_version", r["db"]) for r in results}
    return "\n\n".join(
        [
            f"## Latest full run, all benchmarks ({run['machine']['date']})",
            machine_lines(run["machine"], dbs),
            summary_table(results),
            details(results),
        ]
    )


def update_benchmarks_md(text_block: str, path: Path = ROOT / "BENCHMARKS.md") -> None:
    """Replace the generated block (or append it) — the hand-written sections stay."""
    block = f"{START}\n{text_block.strip()}\n{END}"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if pattern.search(current):
        new = pattern.sub(lambda _m: block, current)
    else:
        new = current.rstrip() + "\n\n" + block + "\n"
    path.write_text(new)
