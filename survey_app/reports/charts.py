"""The report's charts: their data from the figures, drawn by matplotlib for the web and DOCX.

Every chart is drawn from a small tuple of numbers and labels: `data()` reads it from a
report's figures (the PDF and the DOCX: no second query, only the trend's twelve months are
read), `query_data()` runs the few queries one chart needs (the web pages' <img>). The
PDF draws the same tuples with reportlab (pdf_charts.py); the web's SVG and the DOCX's PNG
are matplotlib's object API (`Figure`, never pyplot), Agg, DejaVu Sans, imported by the
first chart drawn, never with the app.

The SVG and PNG bytes are kept in a small in-process LRU keyed by the chart's name, format,
school, period, locale and its data tuple (its data version): an unchanged chart is never
redrawn, and a changed number can never serve a stale chart. Each worker has its own; it
makes a dashboard or report page seen again 2-4 times faster (BENCHMARKS.md, "Memory").
"""

import hashlib
import threading
from collections import OrderedDict
from io import BytesIO
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from survey_app.reports import figures as F
from survey_app.reports import queries
from survey_app.reports.periods import Period, trailing_months
from survey_app.reports.stats import _language
from survey_app.survey.models import Overall
from survey_app.timeutil import local_today

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _matplotlib() -> None:
    import matplotlib

    matplotlib.rcParams["font.family"] = ["DejaVu Sans"]  # every Vietnamese diacritic
    matplotlib.rcParams["svg.hashsalt"] = "hai-long"  # identical input, identical SVG
    matplotlib.rcParams["svg.fonttype"] = "path"


NAMES = ("trend", "overall", "ontime", "negatives")


def captions() -> list[tuple[str, str]]:
    """(name, caption) of the charts the printed reports show, in their order."""
    return [
        ("trend", _("Tỷ lệ khảo sát và tỷ lệ hài lòng 12 tháng, so với chỉ tiêu")),
        ("ontime", _("Tình hình giải quyết hồ sơ trong kỳ")),
        ("overall", _("Mức độ hài lòng chung")),
        ("negatives", _("Tỷ lệ ý kiến chưa hài lòng theo từng nội dung")),
    ]


BLUE, GREEN, RED, GREY, ORANGE = "#0b5cad", "#1b6e20", "#b00020", "#8c959f", "#c75c00"
LIGHT_GREEN = "#6aa84f"
CACHE_SIZE = 128

_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()
stats = {"hits": 0, "draws": 0}


def chart(name: str, school_id: int | None, period: Period, fmt: str = "svg") -> bytes:
    """The chart `name` for a scope and period, as SVG or PNG bytes (the web's <img>)."""
    return _cached(name, fmt, school_id, period, query_data(name, school_id, period))


def image(name: str, figures: F.Figures, targets: dict, fmt: str = "png") -> bytes:
    """The chart `name` of a report, from its figures, as PNG (the DOCX) or SVG bytes."""
    data_ = data(name, figures, targets)
    return _cached(name, fmt, figures.school_id, figures.period, data_)


def _cached(name: str, fmt: str, school_id: int | None, period: Period, data_: tuple) -> bytes:
    key = repr((name, fmt, school_id, period.key, _language(), data_))
    key = hashlib.sha256(key.encode()).hexdigest()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            stats["hits"] += 1
            return _cache[key]
        out = render(DRAW[name](data_), fmt)
        stats["draws"] += 1
        _cache[key] = out
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return out


def render(fig: "Figure", fmt: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = BytesIO()
    fig.savefig(buf, format=fmt, dpi=110 if fmt == "png" else 72)
    return buf.getvalue()


def _new(width: float = 7.0, height: float = 3.2) -> tuple["Figure", "Axes"]:
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import TightLayoutEngine

    _matplotlib()
    # One layout pass from the drawn text's extents (constrained layout took two), with the
    # 4-point margin constrained layout had.
    fig = Figure(figsize=(width, height), layout=TightLayoutEngine(pad=0.4))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


# --- data: plain tuples of numbers and labels ------------------------------------------


def data(name: str, figures: F.Figures, targets: dict) -> tuple:
    """The chart's data from a report's figures and targets (`summary_tables.Report`)."""
    if name == "trend":
        return trend_data(figures.school_id, figures.period, targets)
    if name == "overall":
        return overall_data(figures.intake)
    if name == "ontime":
        return ontime_data(figures.returns, figures.flow)
    if name == "negatives":
        return negatives_data(figures.aspects)
    raise ValueError(name)


def query_data(name: str, school_id: int | None, period: Period) -> tuple:
    """The chart's data for a chart drawn alone: only the queries it needs."""
    if name == "trend":
        return trend_data(school_id, period, F.targets(school_id, period))
    if name == "overall":
        return overall_data(queries.intake(school_id, period)[None])
    if name == "ontime":
        flow = queries.flow(school_id, period, today=local_today())[None]
        return ontime_data(queries.returns(school_id, period)[None], flow)
    if name == "negatives":
        return negatives_data(queries.aspects(school_id, period)[0])
    raise ValueError(name)


def trend_data(school_id: int | None, period: Period, targets: dict) -> tuple:
    """The twelve months up to the period's last: the one query a report's charts run."""
    months = trailing_months(period.last_day, 12)
    rows = F.breakdown(school_id, months, "month")
    today = local_today()
    # months not over yet: their dossiers are still being returned and answered
    running = tuple(m.end > today for m in months.months())
    return (
        tuple(r.label for r in rows),
        tuple(r.rate("coverage").value for r in rows),
        tuple(r.rate("satisfaction").value for r in rows),
        targets["coverage"],
        targets["satisfaction"],
        _("Tỷ lệ khảo sát"),
        _("Tỷ lệ hài lòng"),
        _("Chỉ tiêu"),
        running,
        _("đang diễn ra"),
    )


def overall_data(intake: queries.Intake) -> tuple:
    return (
        tuple(level.label for level in Overall),
        (intake.very_satisfied, intake.satisfied_only, intake.dissatisfied),
        _("Số phiếu"),
    )


def ontime_data(returns: queries.Returns, flow: queries.Flow) -> tuple:
    return (
        (
            _("Trước hạn"),
            _("Đúng hạn"),
            _("Trễ hạn"),
            _("Đang giải quyết\ntrong hạn"),
            _("Đang giải quyết\nquá hạn"),
        ),
        (
            returns.early,
            returns.on_time,
            returns.late,
            flow.open_end_within_due,
            flow.open_end_past_due,
        ),
        _("Số hồ sơ"),
    )


def negatives_data(aspects: list) -> tuple:
    return (
        tuple(str(a.question.short) for a in aspects),
        tuple(a.negative / a.answered if a.answered else None for a in aspects),
        tuple(a.answered for a in aspects),
        _("Tỷ lệ ý kiến chưa hài lòng"),
    )


# --- drawing ---------------------------------------------------------------------------


def _series(ax, values, running, marker, colour, label) -> None:
    """Closed months as a solid line; a month still running dashed, its marker hollow."""
    nan = float("nan")
    ys = [nan if v is None else v for v in values]
    done = [nan if r else y for y, r in zip(ys, running, strict=True)]
    ax.plot(range(len(ys)), done, marker + "-", color=colour, label=label)
    for i, is_running in enumerate(running):
        if not is_running:
            continue
        before = max((j for j in range(i) if not running[j] and ys[j] == ys[j]), default=None)
        xs = [i] if before is None else [before, i]
        ax.plot(xs, [ys[j] for j in xs], linestyle="--", color=colour, linewidth=1.2)
        ax.plot([i], [ys[i]], marker, color=colour, markerfacecolor="white")


def draw_trend(data) -> "Figure":
    labels, coverage, satisfaction, t_cov, t_sat, l_cov, l_sat, l_target = data[:8]
    running, l_running = data[8:]
    fig, ax = _new()
    x = range(len(labels))
    _series(ax, coverage, running, "o", BLUE, l_cov)
    _series(ax, satisfaction, running, "s", GREEN, l_sat)
    labels = [f"{lab}\n({l_running})" if r else lab for lab, r in zip(labels, running, strict=True)]
    ax.axhline(t_cov, color=BLUE, linestyle="-.", linewidth=1, label=f"{l_target} {t_cov:.0%}")
    ax.axhline(t_sat, color=GREEN, linestyle=":", linewidth=1, label=f"{l_target} {t_sat:.0%}")
    ax.set_xticks(list(x), labels, rotation=45, fontsize=8)
    ax.set_ylim(0, 1.05)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(fontsize=8, loc="lower left", ncols=2)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _bars(labels, values, colours, ylabel) -> "Figure":
    fig, ax = _new()
    from matplotlib.ticker import MaxNLocator

    bars = ax.bar(range(len(labels)), values, color=colours)
    ax.bar_label(bars, fontsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.margins(y=0.15)
    return fig


def draw_overall(data) -> "Figure":
    labels, values, ylabel = data
    return _bars(labels, values, [GREEN, LIGHT_GREEN, RED], ylabel)


def draw_ontime(data) -> "Figure":
    labels, values, ylabel = data
    return _bars(labels, values, [GREEN, BLUE, RED, GREY, ORANGE], ylabel)


def draw_negatives(data) -> "Figure":
    labels, shares, answered, xlabel = data
    fig, ax = _new(height=3.0)
    y = range(len(labels))
    values = [0 if v is None else v for v in shares]
    bars = ax.barh(y, values, color=RED)
    ax.bar_label(
        bars,
        [
            ("—" if v is None else f"{v:.0%}") + f" (n={n})"
            for v, n in zip(shares, answered, strict=True)
        ],
        fontsize=8,
        padding=3,
    )
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([0.1, *values]) * 1.4)
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(xlabel)
    return fig


DRAW = {
    "trend": draw_trend,
    "overall": draw_overall,
    "ontime": draw_ontime,
    "negatives": draw_negatives,
}
