"""Inline SVG plots (no JavaScript library, no network): histograms per arm and a cost-vs-pass-rate scatter.

Both axes carry ticks with readable numbers, the legend sits above the plot area so it never covers data,
and every bar and point has a ``<title>`` tooltip naming what it counts.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from harness.analysis.numbers import significant

COLORS = ("#2563eb", "#ea580c", "#059669", "#9333ea", "#db2777", "#0891b2")
W, H = 420, 240
LEFT, RIGHT, BOTTOM = 46, 14, 40  # room for y tick labels, the right edge, x tick labels + axis title
TITLE_H, LEGEND_ROW = 22, 16
CHAR_W = 6.0  # approximate width of one 10px character, to lay out legend entries
UNIT_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
MAX_INT_BINS = 12


@dataclass(frozen=True)
class Bins:
    """Histogram bins: ``len(labels) == len(edges) - 1``; the last bin is closed unless ``integer``."""

    edges: tuple[float, ...]
    labels: tuple[str, ...]
    integer: bool = False

    def index(self, value: float) -> int:
        """The bin a value falls in (values outside the edges go to the nearest end bin)."""
        for i in range(len(self.labels) - 1):
            if value < self.edges[i + 1]:
                return i
        return len(self.labels) - 1


def _clean(values: list[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(v)]


def nice_step(span: float, target: int) -> float:
    """A 1-2-2.5-5 x 10^k step that cuts ``span`` into about ``target`` pieces."""
    raw = span / max(1, target) if span > 0 else 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if raw <= m * mag * (1 + 1e-9))


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Rounded tick values from at or below ``lo`` to at or above ``hi``."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    step = nice_step(hi - lo, target)
    start, stop = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    return [round(start + k * step, 10) for k in range(round((stop - start) / step) + 1)]


def _decimals(step: float) -> int:
    return next((d for d in range(10) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 10)


def choose_bins(values: list[float], lo: float | None = None) -> Bins:
    """Bins that suit the data, with labels that are never identical.

    Values within [0, 1] (pass rates, pass/fail scores, fractions) get five fixed bins labelled in percent;
    integers spanning at most a dozen values (judge grades) get one bin each; anything else gets nicely
    rounded edges. ``lo`` pins the lower edge (e.g. 0 for a distance).
    """
    if lo is None and all(0 <= v <= 1 for v in values):
        labels = tuple(f"{a * 100:.0f}–{b * 100:.0f}%" for a, b in itertools.pairwise(UNIT_EDGES))
        return Bins(UNIT_EDGES, labels)
    start, stop = (min(values) if lo is None else min(lo, min(values))), max(values)
    if start == stop:
        return Bins((start, start + 1), (significant(start, 6),))
    if all(v == int(v) for v in values):
        first, last = math.floor(start), int(stop)
        if last - first < MAX_INT_BINS:
            return Bins(
                tuple(float(k) for k in range(first, last + 2)),
                tuple(str(k) for k in range(first, last + 1)),
                True,
            )
        step = max(1, round(nice_step(last + 1 - first, 6)))
        edges = list(range(first // step * step, last + step + 1, step))
        edges = edges[: next(i for i, e in enumerate(edges) if e > last) + 1]
        labels = tuple(f"{a}–{b - 1}" for a, b in itertools.pairwise(edges))
        return Bins(tuple(float(e) for e in edges), labels, True)
    edges = nice_ticks(start, stop, 6)
    d = _decimals(edges[1] - edges[0])
    labels = tuple(f"{a:.{d}f}–{b:.{d}f}" for a, b in itertools.pairwise(edges))
    return Bins(tuple(edges), labels)


def histogram_svg(
    title: str,
    arms: dict[str, list[float | None]],
    x_label: str,
    lo: float | None = None,
) -> str:
    """Grouped bars: how many cases fall in each value bin, per arm."""
    data = {name: _clean(vals) for name, vals in arms.items()}
    everything = [v for vals in data.values() for v in vals]
    if not everything:
        return ""
    bins = choose_bins(everything, lo)
    counts = {name: [0] * len(bins.labels) for name in data}
    for name, vals in data.items():
        for v in vals:
            counts[name][bins.index(v)] += 1
    legend, top = _legend(list(data)) if len(data) > 1 else ([], TITLE_H + 8)
    y_ticks = _count_ticks(max(max(c) for c in counts.values()))
    area = _Area(top, 0.0, 1.0, 0.0, y_ticks[-1])
    group_w = area.width / len(bins.labels)
    bar_w = group_w * 0.8 / len(data)
    parts = [*_frame(title, x_label, "cases"), *legend, *area.y_axis(y_ticks, lambda v: f"{v:.0f}")]
    for b, label in enumerate(bins.labels):
        x0 = LEFT + b * group_w
        parts.append(
            f'<text x="{x0 + group_w / 2:.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" '
            f'class="tick">{escape(label)}</text>'
        )
        for i, name in enumerate(data):
            n = counts[name][b]
            y = area.sy(n)
            parts.append(
                f'<rect class="bar" x="{x0 + group_w * 0.1 + i * bar_w:.1f}" y="{y:.1f}" '
                f'width="{bar_w:.1f}" height="{H - BOTTOM - y:.1f}" fill="{COLORS[i % len(COLORS)]}">'
                f"<title>{escape(name)}: {n} case(s) in {escape(label)}</title></rect>"
            )
    parts.append(area.box())
    return _svg(parts)


def scatter_svg(
    title: str,
    arms: dict[str, list[tuple[float, float, str]]],
    x_label: str = "mean cost per trial (USD)",
    y_label: str = "case pass rate",
) -> str:
    """One dot per case and arm (cases at the same spot share a bigger dot); hover names them."""
    points = {
        n: [(float(x), float(y), t) for x, y, t in pts if not (math.isnan(x) or math.isnan(y))]
        for n, pts in arms.items()
    }
    xs = [p[0] for pts in points.values() for p in pts]
    ys = [p[1] for pts in points.values() for p in pts]
    if not xs:
        return ""
    x_ticks = nice_ticks(min(0.0, min(xs)), max(xs), 5)
    unit = all(0 <= y <= 1 for y in ys)
    y_ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if unit else nice_ticks(min(ys), max(ys), 4)
    x_pad, y_pad = (x_ticks[-1] - x_ticks[0]) * 0.04, (y_ticks[-1] - y_ticks[0]) * 0.07
    legend, top = _legend(list(points))
    area = _Area(top, x_ticks[0] - x_pad, x_ticks[-1] + x_pad, y_ticks[0] - y_pad, y_ticks[-1] + y_pad)
    d = max(2, _decimals(x_ticks[1] - x_ticks[0]))
    parts = [
        *_frame(title, x_label, y_label),
        *legend,
        *area.y_axis(y_ticks, (lambda v: f"{v:.0%}") if unit else (lambda v: significant(v, 6))),
        *area.x_axis(x_ticks, lambda v: f"${v:.{d}f}"),
    ]
    for i, (name, pts) in enumerate(points.items()):
        spots: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
        for p in pts:
            spots[(round(area.sx(p[0]) / 3), round(area.sy(p[1]) / 3))].append(p)
        for group in spots.values():
            parts.append(_dot(area, name, group, COLORS[i % len(COLORS)], unit))
    parts.append(area.box())
    return _svg(parts)


def _dot(area: _Area, arm: str, group: list[tuple[float, float, str]], color: str, unit: bool) -> str:
    x, y = sum(p[0] for p in group) / len(group), sum(p[1] for p in group) / len(group)
    cx, cy, n = area.sx(x), area.sy(y), len(group)
    rate = f"{y:.0%}" if unit else significant(y)
    names = ", ".join(p[2] for p in group)
    tip = f"{arm}: {names} — pass rate {rate}, ${x:.4f} per trial"
    out = (
        f'<g class="pt"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{4 + 1.6 * math.sqrt(n - 1):.1f}" '
        f'fill="{color}" fill-opacity="0.75" stroke="#fff" stroke-width="0.8"/>'
    )
    if n > 1:
        out += f'<text x="{cx:.1f}" y="{cy + 3:.1f}" text-anchor="middle" class="count">{n}</text>'
    return out + f"<title>{escape(tip)}</title></g>"


@dataclass(frozen=True)
class _Area:
    """The plot rectangle below the title and legend, and the data range it shows."""

    top: float
    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def width(self) -> float:
        return W - LEFT - RIGHT

    def sx(self, x: float) -> float:
        return LEFT + self.width * (x - self.x0) / ((self.x1 - self.x0) or 1)

    def sy(self, y: float) -> float:
        return H - BOTTOM - (H - BOTTOM - self.top) * (y - self.y0) / ((self.y1 - self.y0) or 1)

    def box(self) -> str:
        return (
            f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" class="axis"/>'
            f'<line x1="{LEFT}" y1="{self.top}" x2="{LEFT}" y2="{H - BOTTOM}" class="axis"/>'
        )

    def y_axis(self, ticks: list[float], fmt: Callable[[float], str]) -> list[str]:
        out = []
        for t in ticks:
            y = self.sy(t)
            out.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" class="grid"/>'
                f'<text x="{LEFT - 5}" y="{y + 3:.1f}" text-anchor="end" class="tick">{escape(fmt(t))}</text>'
            )
        return out

    def x_axis(self, ticks: list[float], fmt: Callable[[float], str]) -> list[str]:
        out = []
        for t in ticks:
            x = self.sx(t)
            out.append(
                f'<line x1="{x:.1f}" y1="{self.top}" x2="{x:.1f}" y2="{H - BOTTOM}" class="grid"/>'
                f'<text x="{x:.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" class="tick">'
                f"{escape(fmt(t))}</text>"
            )
        return out


def _count_ticks(top: int) -> list[float]:
    step = max(1.0, nice_step(max(top, 1), 4))
    step = float(math.ceil(step))
    return [k * step for k in range(math.ceil(max(top, 1) / step) + 1)]


def _frame(title: str, x_label: str, y_label: str) -> list[str]:
    mid_y = (TITLE_H + H - BOTTOM) / 2
    return [
        f'<text x="{W / 2}" y="15" text-anchor="middle" class="ptitle">{escape(title)}</text>',
        f'<text x="{LEFT + (W - LEFT - RIGHT) / 2}" y="{H - 6}" text-anchor="middle" class="alabel">'
        f"{escape(x_label)}</text>",
        f'<text x="12" y="{mid_y}" transform="rotate(-90 12 {mid_y})" text-anchor="middle" class="alabel">'
        f"{escape(y_label)}</text>",
    ]


def _legend(names: list[str]) -> tuple[list[str], float]:
    """Legend entries in rows above the plot area; returns them and the plot area's top edge."""
    out, x, row = [], float(LEFT), 0
    for i, name in enumerate(names):
        text = name if len(name) <= 30 else "…" + name[-29:]
        width = 13 + len(text) * CHAR_W + 14
        if x > LEFT and x + width > W - RIGHT:
            x, row = float(LEFT), row + 1
        y = TITLE_H + row * LEGEND_ROW
        out.append(
            f'<g class="legend"><rect x="{x:.0f}" y="{y}" width="9" height="9" '
            f'fill="{COLORS[i % len(COLORS)]}"/><text x="{x + 13:.0f}" y="{y + 8}" class="tick">'
            f"{escape(text)}</text></g>"
        )
        x += width
    return out, TITLE_H + (row + 1) * LEGEND_ROW + 6


def _svg(parts: list[str]) -> str:
    return (
        f'<svg class="plot" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">{"".join(parts)}</svg>'
    )


def line_svg(
    title: str,
    series: dict[str, list[float | None]],
    x_labels: list[str],
    marks: dict[int, str] | None = None,
    y_label: str = "",
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
) -> str:
    """Values per run in order, one line per series (gaps where a run has none); a dashed vertical line
    marks each run in `marks` (index -> why: the suite or the model changed)."""
    values = [v for vs in series.values() for v in vs if v is not None and not math.isnan(v)]
    if not values or not x_labels:
        return ""
    unit = all(0 <= v <= 1 for v in values) and fmt(0.5).endswith("%")
    y_ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if unit else nice_ticks(min(0.0, min(values)), max(values), 4)
    legend, top = _legend(list(series)) if len(series) > 1 else ([], TITLE_H + 6)
    n = len(x_labels)
    area = _Area(top, -0.5, n - 0.5, y_ticks[0], y_ticks[-1])
    every = max(1, math.ceil(n / 6))
    ticks = [i for i in range(n) if i % every == 0]
    parts = [*_frame(title, "run (oldest first)", y_label), *legend, *area.y_axis(y_ticks, fmt)]
    parts += area.x_axis([float(i) for i in ticks], lambda v: x_labels[int(v)][-10:])
    for i, why in (marks or {}).items():
        x = area.sx(i)
        parts.append(
            f'<line class="mark" x1="{x:.1f}" y1="{area.top}" x2="{x:.1f}" y2="{H - BOTTOM}" '
            f'stroke="#f59e0b" stroke-dasharray="4 3">'
            f"<title>{escape(x_labels[i])}: {escape(why)}</title></line>"
        )
    for k, (name, vs) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        points = [(i, v) for i, v in enumerate(vs) if v is not None and not math.isnan(v)]
        path = " ".join(f"{area.sx(i):.1f},{area.sy(v):.1f}" for i, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [
            f'<g class="pt"><circle cx="{area.sx(i):.1f}" cy="{area.sy(v):.1f}" r="3.5" fill="{color}">'
            f"<title>{escape(name)} · {escape(x_labels[i])}: {escape(fmt(v))}</title></circle></g>"
            for i, v in points
        ]
    parts.append(area.box())
    return _svg(parts)
