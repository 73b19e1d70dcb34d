"""Inline SVG plots (no JavaScript library, no network): histograms per arm and a cost-vs-score scatter."""

from __future__ import annotations

import math
from html import escape

COLORS = ("#2563eb", "#ea580c", "#059669", "#9333ea", "#db2777", "#0891b2")
W, H, PAD = 360, 180, 32


def _clean(values: list[float]) -> list[float]:
    return [v for v in values if v is not None and not math.isnan(v)]


def histogram_svg(
    title: str, arms: dict[str, list[float]], bins: int = 5, lo: float | None = None, hi: float | None = None
) -> str:
    """Grouped bars: how many cases fall in each value bin, per arm."""
    data = {name: _clean(vals) for name, vals in arms.items()}
    everything = [v for vals in data.values() for v in vals]
    if not everything:
        return ""
    lo = min(everything) if lo is None else lo
    hi = max(everything) if hi is None else hi
    if hi <= lo:
        hi = lo + 1
    width = (hi - lo) / bins
    counts = {name: [0] * bins for name in data}
    for name, vals in data.items():
        for v in vals:
            counts[name][min(bins - 1, max(0, int((v - lo) / width)))] += 1
    top = max(max(c) for c in counts.values()) or 1
    plot_w, plot_h = W - 2 * PAD, H - 2 * PAD
    group_w = plot_w / bins
    bar_w = group_w * 0.8 / max(1, len(data))
    parts = [
        f'<svg class="plot" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">',
        f'<text x="{W / 2}" y="14" text-anchor="middle" class="ptitle">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" class="axis"/>',
    ]
    for b in range(bins):
        x0 = PAD + b * group_w
        label = f"{lo + b * width:.2g}–{lo + (b + 1) * width:.2g}"
        parts.append(
            f'<text x="{x0 + group_w / 2:.1f}" y="{H - PAD + 14}" text-anchor="middle" '
            f'class="tick">{escape(label)}</text>'
        )
        for i, name in enumerate(data):
            n = counts[name][b]
            h = plot_h * n / top
            x = x0 + group_w * 0.1 + i * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{H - PAD - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{COLORS[i % len(COLORS)]}"><title>{escape(name)}: {n} case(s) in {label}'
                f"</title></rect>"
            )
    parts.extend(_legend(list(data)))
    parts.append("</svg>")
    return "".join(parts)


def scatter_svg(
    title: str, arms: dict[str, list[tuple[float, float, str]]], x_label: str, y_label: str
) -> str:
    """One dot per case and arm; hover shows the case."""
    points = {
        n: [(x, y, t) for x, y, t in pts if not (math.isnan(x) or math.isnan(y))] for n, pts in arms.items()
    }
    xs = [p[0] for pts in points.values() for p in pts]
    ys = [p[1] for pts in points.values() for p in pts]
    if not xs:
        return ""
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(1.0, max(ys))
    x1 = x1 if x1 > x0 else x0 + 1e-9 + abs(x0) * 0.1 + 0.001
    plot_w, plot_h = W - 2 * PAD, H - 2 * PAD

    def sx(x: float) -> float:
        return PAD + plot_w * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return H - PAD - plot_h * (y - y0) / (y1 - y0)

    parts = [
        f'<svg class="plot" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">',
        f'<text x="{W / 2}" y="14" text-anchor="middle" class="ptitle">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" class="axis"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" class="axis"/>',
        f'<text x="{W / 2}" y="{H - 4}" text-anchor="middle" class="tick">{escape(x_label)} '
        f"({x0:.3g}–{x1:.3g})</text>",
        f'<text x="10" y="{H / 2}" transform="rotate(-90 10 {H / 2})" text-anchor="middle" class="tick">'
        f"{escape(y_label)}</text>",
    ]
    for i, (name, pts) in enumerate(points.items()):
        for x, y, label in pts:
            parts.append(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{COLORS[i % len(COLORS)]}" '
                f'fill-opacity="0.7"><title>{escape(name)} · {escape(label)}: {y:.2f} at '
                f"${x:.4f}</title></circle>"
            )
    parts.extend(_legend(list(points)))
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: list[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        x = PAD + i * 110
        out.append(
            f'<rect x="{x}" y="20" width="9" height="9" fill="{COLORS[i % len(COLORS)]}"/>'
            f'<text x="{x + 13}" y="28" class="tick">{escape(name[:16])}</text>'
        )
    return out
