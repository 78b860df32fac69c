"""A matplotlib figure drawn as vector operations on a reportlab canvas (the PDF's charts).

`record(fig)` runs matplotlib's own draw (artists, ticks, constrained layout) with a small
renderer that measures text with reportlab's DejaVu Sans metrics and records every path and
string as a plain tuple. `Chart` is the flowable that replays them in the PDF: sharp at any
print resolution, text drawn with the document's embedded DejaVu Sans (every Vietnamese
diacritic, selectable), and neither a raster pass, a PNG nor an image stream to encode.
"""

import functools
import math
import os

import matplotlib
from matplotlib.backend_bases import FigureCanvasBase, GraphicsContextBase, RendererBase
from matplotlib.figure import Figure
from matplotlib.font_manager import get_font
from matplotlib.path import Path
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable

FONT_DIR = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
FONT, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", ITALIC: "DejaVuSans-Oblique.ttf"}

_CAPS = {"butt": 0, "round": 1, "projecting": 2}
_JOINS = {"miter": 0, "round": 1, "bevel": 2}


def register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in FILES.items():
        pdfmetrics.registerFont(TTFont(name, os.path.join(FONT_DIR, file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


def _font(prop) -> str:
    weight = prop.get_weight()
    if weight in ("bold", "heavy", "extra bold", "black", "semibold", "demibold", "demi") or (
        isinstance(weight, int) and weight >= 600
    ):
        return BOLD
    return ITALIC if prop.get_style() in ("italic", "oblique") else FONT


@functools.lru_cache(maxsize=64)
def _line_metrics(font: str, size: float) -> tuple[float, float, float]:
    """(ascent, descent, line gap) as matplotlib's text layout reads them (OS/2 table)."""
    ft = get_font(os.path.join(FONT_DIR, FILES[font]))
    os2, scale = ft.get_sfnt_table("OS/2"), size / ft.get_sfnt_table("head")["unitsPerEm"]
    return os2["sTypoAscender"] * scale, -os2["sTypoDescender"] * scale, os2["sTypoLineGap"] * scale


def _n(v: float) -> str:
    return f"{v:.2f}"


def _path_code(path: Path, transform) -> str:
    """The path as PDF path operators in figure points; quadratic curves made cubic."""
    out = []
    last = (0.0, 0.0)
    for points, code in path.iter_segments(transform, remove_nans=True, curves=True):
        if code == Path.MOVETO:
            out.append(f"{_n(points[0])} {_n(points[1])} m")
        elif code == Path.LINETO:
            out.append(f"{_n(points[0])} {_n(points[1])} l")
        elif code == Path.CURVE3:
            (cx, cy), (x0, y0), (x3, y3) = points[:2], last, points[2:]
            c1 = (x0 + 2 / 3 * (cx - x0), y0 + 2 / 3 * (cy - y0))
            c2 = (x3 + 2 / 3 * (cx - x3), y3 + 2 / 3 * (cy - y3))
            out.append(" ".join(_n(v) for v in (*c1, *c2, x3, y3)) + " c")
        elif code == Path.CURVE4:
            out.append(" ".join(_n(v) for v in points) + " c")
        elif code == Path.CLOSEPOLY:
            out.append("h")
            continue
        last = points[-2:]
    return " ".join(out)


def _clip_code(gc) -> str:
    out = []
    rect = gc.get_clip_rectangle()
    if rect is not None:
        out.append(" ".join(_n(v) for v in rect.bounds) + " re W n")
    path, affine = gc.get_clip_path()
    if path is not None:
        out.append(_path_code(path, affine) + " W n")
    return " ".join(out)


def _rgb(rgba) -> str:
    return " ".join(f"{v:.4f}" for v in rgba[:3])


class Recorder(RendererBase):
    """Records a figure's drawing in points (1 px = 1 pt: the figure is drawn at 72 dpi)."""

    def __init__(self, width: float, height: float):
        super().__init__()
        self.width, self.height = width, height
        self.ops: list[tuple] = []

    def flipy(self):
        return False

    def get_canvas_width_height(self):
        return self.width, self.height

    def points_to_pixels(self, points):
        return points

    def new_gc(self):
        return GraphicsContextBase()

    def get_text_width_height_descent(self, s, prop, ismath):
        font, size = _font(prop), prop.get_size_in_points()
        face = pdfmetrics.getFont(font).face
        width = max((pdfmetrics.stringWidth(line, font, size) for line in s.split("\n")), default=0)
        descent = -face.descent / 1000 * size
        return width, face.ascent / 1000 * size + descent, descent

    def _get_font_height_metrics(self, prop):
        # matplotlib's hook for vector backends (3.11): the line metrics without a font
        # lookup per text; without it matplotlib reads the same table itself, only slower.
        return _line_metrics(_font(prop), prop.get_size_in_points())

    def draw_path(self, gc, path, transform, rgbFace=None):
        forced = gc.get_alpha() if gc.get_forced_alpha() else None
        fill_alpha = stroke_alpha = 1.0
        code = [_clip_code(gc)]
        if rgbFace is not None:
            fill_alpha = forced if forced is not None else (rgbFace[3] if len(rgbFace) > 3 else 1)
            code.append(f"{_rgb(rgbFace)} rg")
        stroke = gc.get_rgb() if gc.get_linewidth() > 0 and gc.get_rgb()[3] > 0 else None
        if stroke is not None:
            stroke_alpha = stroke[3]
            code.append(f"{_rgb(stroke)} RG {_n(gc.get_linewidth())} w")
            code.append(f"{_CAPS[gc.get_capstyle()]} J {_JOINS[gc.get_joinstyle()]} j")
            offset, dashes = gc.get_dashes()
            if dashes:
                code.append(f"[{' '.join(_n(v) for v in dashes)}] {_n(offset or 0)} d")
        if rgbFace is None and stroke is None:
            return
        paint = {(True, True): "B", (True, False): "f", (False, True): "S"}
        code.append(_path_code(path, transform))
        code.append(paint[rgbFace is not None, stroke is not None])
        self.ops.append(("path", fill_alpha, stroke_alpha, " ".join(c for c in code if c)))

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        # x, y: the start of the baseline (the same convention as matplotlib's PDF backend).
        font, size = _font(prop), prop.get_size_in_points()
        self.ops.append(("text", x, y, s, font, size, angle, tuple(gc.get_rgb()), _clip_code(gc)))


class _Canvas(FigureCanvasBase):
    def __init__(self, figure, renderer):
        super().__init__(figure)
        self._renderer = renderer

    def get_renderer(self):
        return self._renderer


PAD = 4.0  # points between the outermost text and the figure's edge
TOLERANCE = 1.5  # points: a margin this close to PAD is kept
_layouts: dict = {}  # (key, size) -> subplot parameters that fitted the last drawing


def text_corners(op) -> list[tuple[float, float]]:
    """The four corners of a recorded string, rotated as drawn, in figure points."""
    _kind, x, y, s, font, size, angle, _rgba, _clip = op
    face = pdfmetrics.getFont(font).face
    width = pdfmetrics.stringWidth(s, font, size)
    up, down = face.ascent / 1000 * size, face.descent / 1000 * size
    c, s_ = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(x + u * c - v * s_, y + u * s_ + v * c) for u in (0, width) for v in (down, up)]


def _slack(ops, box, width, height) -> tuple[float, float, float, float]:
    """Room left of, below, right of and above everything drawn (the axes and all text)."""
    x0, y0, x1, y1 = box.x0 * width, box.y0 * height, box.x1 * width, box.y1 * height
    for op in ops:
        if op[0] == "text":
            for cx, cy in text_corners(op):
                x0, x1, y0, y1 = min(x0, cx), max(x1, cx), min(y0, cy), max(y1, cy)
    return x0, y0, width - x1, height - y1


def record(fig: Figure, key=None) -> tuple[float, float, tuple]:
    """(width, height, operations) of a one-axes figure, in points, laid out to PAD.

    The layout is measured on the drawing itself: every text's extent is known from the
    recorded strings, so a drawing whose margins are off by more than TOLERANCE is redrawn
    with the axes moved by exactly that much. The margins that fitted are kept per `key`
    (chart and language) as the next drawing's first guess: usually right, always checked.
    """
    register_fonts()
    fig.set_layout_engine("none")
    fig.set_dpi(72)
    width, height = (float(v) for v in fig.get_size_inches() * 72)
    if (key, width, height) in _layouts:
        fig.subplots_adjust(**_layouts[key, width, height])
    ax = fig.axes[0]
    for _attempt in range(4):
        renderer = Recorder(width, height)
        _Canvas(fig, renderer)
        fig.draw(renderer)
        left, bottom, right, top = _slack(renderer.ops, ax.get_position(), width, height)
        if all(abs(m - PAD) <= TOLERANCE for m in (left, bottom, right, top)):
            break
        p = fig.subplotpars
        fig.subplots_adjust(
            left=p.left + (PAD - left) / width,
            bottom=p.bottom + (PAD - bottom) / height,
            right=p.right - (PAD - right) / width,
            top=p.top - (PAD - top) / height,
        )
    else:  # still moving (a tick appeared or went): matplotlib's own layout, drawn once more
        if min(left, bottom, right, top) < 0:
            fig.tight_layout(pad=PAD / 10)
            renderer = Recorder(width, height)
            _Canvas(fig, renderer)
            fig.draw(renderer)
    p = fig.subplotpars
    _layouts[key, width, height] = {
        "left": p.left,
        "bottom": p.bottom,
        "right": p.right,
        "top": p.top,
    }
    return width, height, tuple(renderer.ops)


def replay(canv, ops) -> None:
    for op in ops:
        canv.saveState()
        if op[0] == "path":
            _kind, fill_alpha, stroke_alpha, code = op
            if fill_alpha < 1:
                canv.setFillAlpha(fill_alpha)
            if stroke_alpha < 1:
                canv.setStrokeAlpha(stroke_alpha)
            canv.addLiteral(code)
        else:
            _kind, x, y, s, font, size, angle, rgba, clip = op
            if clip:
                canv.addLiteral(clip)
            canv.setFillColorRGB(*rgba[:3])
            if rgba[3] < 1:
                canv.setFillAlpha(rgba[3])
            canv.translate(x, y)
            if angle:
                canv.rotate(angle)
            canv.setFont(font, size)
            canv.drawString(0, 0, s)
        canv.restoreState()


class Chart(Flowable):
    """A recorded chart scaled to `width` points, its aspect ratio kept."""

    def __init__(self, recording: tuple[float, float, tuple], width: float):
        super().__init__()
        self.fig_width, self.fig_height, self.ops = recording
        self.scale = width / self.fig_width
        self.width, self.height = width, self.fig_height * self.scale

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self):
        self.canv.saveState()
        self.canv.scale(self.scale, self.scale)
        replay(self.canv, self.ops)
        self.canv.restoreState()
