"""The PDF's charts as reportlab drawings (`reportlab.graphics.shapes`), from charts' data.

Each chart is a `Drawing`, a flowable the PDF places as it is: vector paths, sharp at any
print resolution, its text drawn in the document's embedded DejaVu Sans (every Vietnamese
diacritic, selectable, found by pdftotext). The layout is computed from the text's own
widths (reportlab's font metrics), so no label is ever cut off. The data tuples and the
colours are the ones charts.py gives the web's and the DOCX's matplotlib charts.
"""

import math
from collections.abc import Callable
from typing import Literal

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib.colors import HexColor, white
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth

from survey_app.reports.charts import BLUE, GREEN, GREY, LIGHT_GREEN, ORANGE, RED

FONT = "DejaVuSans"  # registered by pdf.register_fonts
WIDTH, HEIGHT = 504.0, 230.0  # 7 × 3.2 in, as the matplotlib charts
PAD = 4.0  # points between the outermost text and the drawing's edge
TICK, TICK_FONT, VALUE_FONT, AXIS_FONT = 3.5, 8.0, 9.0, 10.0
AXIS, GRID, TEXT = HexColor("#000000"), HexColor("#b3b3b3"), HexColor("#000000")
# types-reportlab 5.0 declares Rect's **kw without Unpack (each keyword would have to be the
# whole keyword dict), so rectangles are built through this alias, which mypy takes as is.
_Rect: Callable[..., Rect] = Rect


def _width(text: str, size: float) -> float:
    return max((stringWidth(line, FONT, size) for line in text.split("\n")), default=0.0)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _leading(size: float) -> float:
    return size * 1.2


def _height(text: str, size: float) -> float:
    """From the top of the first line to the bottom of the last one's descenders."""
    ascent, descent = getAscentDescent(FONT, size)
    return ascent - descent + (_lines(text) - 1) * _leading(size)


def _text(
    x: float,
    y: float,
    text: str,
    size: float,
    anchor: Literal["start", "middle", "end"] = "middle",
    angle: float = 0,
):
    """`text` (several lines when it holds "\\n") with its first line's top at y."""
    ascent, _descent = getAscentDescent(FONT, size)
    group = Group()
    for n, line in enumerate(text.split("\n")):
        group.add(
            String(
                0,
                -ascent - n * _leading(size),
                line,
                fontName=FONT,
                fontSize=size,
                fillColor=TEXT,
                textAnchor=anchor,
            )
        )
    group.transform = (1, 0, 0, 1, x, y)
    if angle:
        group.rotate(angle)
    return group


def _nice_step(top: float, most: int = 6, integer: bool = False) -> float:
    """The smallest 1-2-2.5-5 × 10^k step that covers [0, top] in at most `most` steps."""
    top = max(top, 1.0 if integer else 1e-9)
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and (not integer or step == int(step)):
            return max(step, 1.0) if integer else step
    return 10 * power


def _pct(value: float) -> str:
    """A tick's share as the report's tables write it: "20%", "12,5%"."""
    return f"{value * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",") + "%"


class _Plot:
    """An axes box sized from the labels around it: left and bottom spines, y ticks."""

    def __init__(self, drawing: Drawing, left: float, bottom: float, right=PAD, top=PAD):
        self.d = drawing
        self.x0, self.y0 = left, bottom
        self.x1, self.y1 = drawing.width - right, drawing.height - top

    def y(self, value: float, low: float, high: float) -> float:
        return self.y0 + (value - low) / (high - low) * (self.y1 - self.y0)

    def x(self, value: float, low: float, high: float) -> float:
        return self.x0 + (value - low) / (high - low) * (self.x1 - self.x0)

    def spines(self) -> None:
        self.d.add(Line(self.x0, self.y0, self.x1, self.y0, strokeColor=AXIS, strokeWidth=0.8))
        self.d.add(Line(self.x0, self.y0, self.x0, self.y1, strokeColor=AXIS, strokeWidth=0.8))

    def y_ticks(self, ticks: list[tuple[float, str]], low, high, grid: bool = False) -> None:
        for value, label in ticks:
            y = self.y(value, low, high)
            if grid:
                self.d.add(Line(self.x0, y, self.x1, y, strokeColor=GRID, strokeWidth=0.6))
            self.d.add(Line(self.x0 - TICK, y, self.x0, y, strokeColor=AXIS, strokeWidth=0.8))
            top = y + _height(label, TICK_FONT) / 2
            self.d.add(_text(self.x0 - TICK - 2, top, label, TICK_FONT, "end"))

    def y_label(self, text: str) -> None:
        """Rotated a quarter turn, its top against the drawing's left padding."""
        self.d.add(_text(PAD, (self.y0 + self.y1) / 2, text, AXIS_FONT, "middle", 90))


def _y_ticks(top: float, integer: bool, percent: bool = False) -> list[tuple[float, str]]:
    step = _nice_step(top, integer=integer)
    count = int(math.floor(top / step + 1e-9))
    ticks = [i * step for i in range(count + 1)]
    if percent:
        return [(v, _pct(v)) for v in ticks]
    return [(v, str(round(v))) for v in ticks]


def _scaled(d: Drawing, width: float) -> Drawing:
    """The drawing scaled to `width` points, its aspect ratio kept (a flowable)."""
    scale = width / d.width
    out = Drawing(width, d.height * scale)
    group = Group(*d.contents)
    group.scale(scale, scale)
    out.add(group)
    out.hAlign = "CENTER"  # under its centred caption
    return out


# --- the four charts ---------------------------------------------------------------------


def trend(data) -> Drawing:
    labels, coverage, satisfaction, t_cov, t_sat, l_cov, l_sat, l_target = data[:8]
    running, l_running = data[8:]
    shown = [f"{lab}\n({l_running})" if r else lab for lab, r in zip(labels, running, strict=True)]
    d = Drawing(WIDTH, HEIGHT)
    ticks = _y_ticks(1.0, False, percent=True)
    # rotated 45°: a label reaches down by its width and height over √2
    down = max((_width(s, TICK_FONT) + _height(s, TICK_FONT)) / math.sqrt(2) for s in shown)
    left = PAD + max(_width(label, TICK_FONT) for _v, label in ticks) + TICK + 2
    # the first label reaches left of its tick: leave it room
    first = (_width(shown[0], TICK_FONT)) / math.sqrt(2)
    plot = _Plot(d, max(left, PAD + first - 8), PAD + down + TICK + 2, right=PAD + 6)
    low, high = 0.0, 1.05
    plot.y_ticks(ticks, low, high, grid=True)
    n = len(labels)

    def x(i: float) -> float:
        return plot.x(i, -0.5, n - 0.5)

    for i, label in enumerate(shown):
        plot.d.add(Line(x(i), plot.y0, x(i), plot.y0 - TICK, strokeColor=AXIS, strokeWidth=0.8))
        # the label's top right corner at the tick, rotated as matplotlib's rotation=45
        d.add(_text(x(i) + 3, plot.y0 - TICK - 1, label, TICK_FONT, "end", 45))
    for target, colour, dash in ((t_cov, BLUE, [4, 2, 1, 2]), (t_sat, GREEN, [1, 2])):
        y = plot.y(target, low, high)
        d.add(
            Line(
                plot.x0,
                y,
                plot.x1,
                y,
                strokeColor=HexColor(colour),
                strokeWidth=1,
                strokeDashArray=dash,
            )
        )
    for values, colour, marker in ((coverage, BLUE, "o"), (satisfaction, GREEN, "s")):
        _series(d, [x(i) for i in range(n)], values, running, plot, low, high, colour, marker)
    plot.spines()
    _legend(
        d,
        plot.x0 + 6,
        plot.y0 + 6,
        [
            (l_cov, BLUE, None, "o"),
            (l_sat, GREEN, None, "s"),
            (f"{l_target} {_pct(t_cov)}", BLUE, [4, 2, 1, 2], None),
            (f"{l_target} {_pct(t_sat)}", GREEN, [1, 2], None),
        ],
    )
    return d


def _marker(x: float, y: float, kind: str, colour: str, hollow: bool = False):
    fill = white if hollow else HexColor(colour)
    if kind == "o":
        return Circle(x, y, 3.2, fillColor=fill, strokeColor=HexColor(colour), strokeWidth=1)
    return _Rect(x - 3, y - 3, 6, 6, fillColor=fill, strokeColor=HexColor(colour), strokeWidth=1)


def _series(d, xs, values, running, plot, low, high, colour, marker) -> None:
    """Closed months as a solid line; a month still running dashed, its marker hollow."""
    ys = [None if v is None else plot.y(v, low, high) for v in values]
    run: list[float] = []
    for i, y in enumerate(ys):  # solid runs of closed months with a figure
        if y is not None and not running[i]:
            run += [xs[i], y]
            continue
        if len(run) >= 4:
            d.add(PolyLine(run, strokeColor=HexColor(colour), strokeWidth=1.5))
        run = []
    if len(run) >= 4:
        d.add(PolyLine(run, strokeColor=HexColor(colour), strokeWidth=1.5))
    for i, y in enumerate(ys):
        if y is None or not running[i]:
            continue
        before = max((j for j in range(i) if not running[j] and ys[j] is not None), default=None)
        if before is not None:
            y_before = ys[before]
            assert y_before is not None  # picked among the months with a figure
            d.add(
                Line(
                    xs[before],
                    y_before,
                    xs[i],
                    y,
                    strokeColor=HexColor(colour),
                    strokeWidth=1.2,
                    strokeDashArray=[4, 2],
                )
            )
    for i, y in enumerate(ys):
        if y is not None:
            d.add(_marker(xs[i], y, marker, colour, hollow=running[i]))


def _legend(d, x: float, y: float, entries) -> None:
    """Two columns, filled down then across (matplotlib's ncols=2), in a white frame."""
    rows = math.ceil(len(entries) / 2)
    line_h, swatch, gap = 11.0, 18.0, 4.0
    columns = [entries[:rows], entries[rows:]]
    widths = [max(_width(e[0], TICK_FONT) for e in col) + swatch + gap for col in columns]
    width = sum(widths) + 12 + 6
    height = rows * line_h + 6
    d.add(
        _Rect(
            x,
            y,
            width,
            height,
            fillColor=white,
            fillOpacity=0.85,
            strokeColor=HexColor("#cccccc"),
            strokeWidth=0.6,
            rx=2,
            ry=2,
        )
    )
    left = x + 5
    for col, col_width in zip(columns, widths, strict=True):
        for row, (label, colour, dash, marker) in enumerate(col):
            middle = y + height - 3 - line_h * row - line_h / 2
            d.add(
                Line(
                    left,
                    middle,
                    left + swatch,
                    middle,
                    strokeColor=HexColor(colour),
                    strokeWidth=1.5 if marker else 1,
                    strokeDashArray=dash,
                )
            )
            if marker:
                d.add(_marker(left + swatch / 2, middle, marker, colour))
            top = middle + _height(label, TICK_FONT) / 2
            d.add(_text(left + swatch + gap, top, label, TICK_FONT, "start"))
        left += col_width + 12


def _bars(labels, values, colours, ylabel) -> Drawing:
    d = Drawing(WIDTH, HEIGHT)
    top_value = max([0, *values])
    ticks = _y_ticks(top_value * 1.15 if top_value else 1, integer=True)
    high = max(top_value * 1.15, ticks[-1][0], 1)
    tick_w = max(_width(label, TICK_FONT) for _v, label in ticks)
    left = PAD + _height("A", AXIS_FONT) + 4 + tick_w + TICK + 2
    down = max(_height(label, TICK_FONT) for label in labels)
    plot = _Plot(d, left, PAD + down + TICK + 2, top=PAD + _height("0", VALUE_FONT))
    plot.y_ticks(ticks, 0, high)
    plot.y_label(ylabel)
    n = len(labels)
    slot = (plot.x1 - plot.x0) / n
    for i, (label, value, colour) in enumerate(zip(labels, values, colours, strict=True)):
        middle = plot.x0 + slot * (i + 0.5)
        width = slot * 0.8 * 0.8  # matplotlib: bars 0.8 wide, 10% margins
        y = plot.y(value, 0, high)
        if value:
            d.add(
                _Rect(
                    middle - width / 2,
                    plot.y0,
                    width,
                    y - plot.y0,
                    fillColor=HexColor(colour),
                    strokeColor=None,
                )
            )
        d.add(_text(middle, y + 2 + _height("0", VALUE_FONT), f"{value}", VALUE_FONT))
        d.add(Line(middle, plot.y0, middle, plot.y0 - TICK, strokeColor=AXIS, strokeWidth=0.8))
        d.add(_text(middle, plot.y0 - TICK - 2, label, TICK_FONT))
    plot.spines()
    return d


def overall(data) -> Drawing:
    labels, values, ylabel = data
    return _bars(labels, values, [GREEN, LIGHT_GREEN, RED], ylabel)


def ontime(data) -> Drawing:
    labels, values, ylabel = data
    return _bars(labels, values, [GREEN, BLUE, RED, GREY, ORANGE], ylabel)


def negatives(data) -> Drawing:
    labels, shares, answered, xlabel = data
    values = [0.0 if v is None else v for v in shares]
    texts = [
        ("—" if v is None else f"{v:.0%}") + f" (n={n})"
        for v, n in zip(shares, answered, strict=True)
    ]
    high = max([0.1, *values]) * 1.4
    step = _nice_step(high)
    ticks = [(i * step, _pct(i * step)) for i in range(int(high / step + 1e-9) + 1)]
    d = Drawing(WIDTH, 216.0)  # 3.0 in
    left = PAD + max((_width(label, TICK_FONT) for label in labels), default=0) + TICK + 2
    bottom = PAD + _height(xlabel, AXIS_FONT) + 3 + _height("0", TICK_FONT) + TICK + 2
    plot = _Plot(d, left, bottom)
    # the longest value text must fit right of its bar: shrink the scale if it would not
    for value, text in zip(values, texts, strict=True):
        room = plot.x1 - plot.x(value, 0, high) - 3
        if room < _width(text, TICK_FONT):
            high = max(
                high,
                value * (plot.x1 - plot.x0) / (plot.x1 - plot.x0 - 3 - _width(text, TICK_FONT)),
            )
    n = max(len(labels), 1)
    slot = (plot.y1 - plot.y0) / n
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        middle = plot.y1 - slot * (i + 0.5)  # the first aspect at the top
        thick = slot * 0.8 * 0.8
        x = plot.x(value, 0, high)
        if value:
            d.add(
                _Rect(
                    plot.x0,
                    middle - thick / 2,
                    x - plot.x0,
                    thick,
                    fillColor=HexColor(RED),
                    strokeColor=None,
                )
            )
        top = middle + _height(text, TICK_FONT) / 2
        d.add(_text(x + 3, top, text, TICK_FONT, "start"))
        d.add(Line(plot.x0 - TICK, middle, plot.x0, middle, strokeColor=AXIS, strokeWidth=0.8))
        d.add(
            _text(
                plot.x0 - TICK - 2, middle + _height(label, TICK_FONT) / 2, label, TICK_FONT, "end"
            )
        )
    for value, label in ticks:
        if value > min(high, 1.0) + 1e-9:  # no share beyond 100%
            continue
        x = plot.x(value, 0, high)
        d.add(Line(x, plot.y0, x, plot.y0 - TICK, strokeColor=AXIS, strokeWidth=0.8))
        d.add(_text(x, plot.y0 - TICK - 2, label, TICK_FONT))
    middle = (plot.x0 + plot.x1) / 2
    d.add(_text(middle, PAD + _height(xlabel, AXIS_FONT), xlabel, AXIS_FONT))
    plot.spines()
    return d


DRAW = {"trend": trend, "overall": overall, "ontime": ontime, "negatives": negatives}


def drawing(name: str, data, width: float) -> Drawing:
    """The chart `name` from its data tuple, `width` points wide (a flowable)."""
    return _scaled(DRAW[name](data), width)
