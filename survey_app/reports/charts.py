"""Report charts with matplotlib's object API (`Figure`, never pyplot), Agg, DejaVu Sans.

Every chart is drawn from a small tuple of numbers read from reports.figures. The rendered
bytes are kept in a small in-process LRU keyed by the chart's name, format, school, period,
locale and a hash of those numbers (its data version): an unchanged chart is never redrawn,
and a changed number can never serve a stale chart. Each worker process has its own cache.
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
    from matplotlib.figure import Figure


def _matplotlib() -> None:
    """matplotlib, loaded by the first chart drawn (never with the app: README, deployment)."""
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


CACHE_SIZE = 128
BLUE, GREEN, RED, GREY, ORANGE = "#0b5cad", "#1b6e20", "#b00020", "#8c959f", "#c75c00"

_cache: OrderedDict[str, bytes | tuple] = OrderedDict()
_lock = threading.Lock()
stats = {"hits": 0, "draws": 0}


def chart(name: str, school_id: int | None, period: Period, fmt: str = "svg") -> bytes:
    """The chart `name` for a scope and period, as SVG or PNG bytes (cached)."""
    return _cached(name, school_id, period, fmt, lambda fig: render(fig, fmt))


def recording(name: str, school_id: int | None, period: Period) -> tuple:
    """The chart as vector operations for the PDF (`vector.Chart` draws them; cached)."""
    from survey_app.reports import vector

    return _cached(
        name, school_id, period, "vector", lambda fig: vector.record(fig, (name, _language()))
    )


def _cached(name, school_id, period, fmt, make):
    data = DATA[name](school_id, period)
    key = hashlib.sha256(repr((name, fmt, school_id, period.key, _language(), data)).encode())
    key = key.hexdigest()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            stats["hits"] += 1
            return _cache[key]
        out = make(DRAW[name](data))
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


def _new(width: float = 7.0, height: float = 3.2) -> tuple["Figure", object]:
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import TightLayoutEngine

    _matplotlib()
    # One layout pass from the drawn text's extents (constrained layout took two), with the
    # 4-point margin constrained layout had.
    fig = Figure(figsize=(width, height), layout=TightLayoutEngine(pad=0.4))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


# --- data: plain tuples, hashable, the chart's data version ---------------------------


def trend_data(school_id, period):
    months = trailing_months(period.last_day, 12)
    rows = F.breakdown(school_id, months, "month")
    targets = F.targets(school_id, period)
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


def overall_data(school_id, period):
    i = queries.intake(school_id, period)[None]
    return (
        tuple(level.label for level in Overall),
        (i.very_satisfied, i.satisfied_only, i.dissatisfied),
        _("Số phiếu"),
    )


def ontime_data(school_id, period):
    r = queries.returns(school_id, period)[None]
    f = queries.flow(school_id, period)[None]
    return (
        (
            _("Trước hạn"),
            _("Đúng hạn"),
            _("Trễ hạn"),
            _("Đang giải quyết\ntrong hạn"),
            _("Đang giải quyết\nquá hạn"),
        ),
        (r.early, r.on_time, r.late, f.open_end_within_due, f.open_end_past_due),
        _("Số hồ sơ"),
    )


def negatives_data(school_id, period):
    aspects, _reasons = queries.aspects(school_id, period)
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
    return _bars(labels, values, [GREEN, "#6aa84f", RED], ylabel)


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


DATA = {
    "trend": trend_data,
    "overall": overall_data,
    "ontime": ontime_data,
    "negatives": negatives_data,
}
DRAW = {
    "trend": draw_trend,
    "overall": draw_overall,
    "ontime": draw_ontime,
    "negatives": draw_negatives,
}
