"""The self-contained leaderboard page of `harness compare`: ratings with intervals, the win shares of
every two arms, and a grid of every case's image per arm (data-URI thumbnails, links to full size)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from markupsafe import Markup

from harness.diff.preference import POINTS
from harness.diff.ranking import CompareResult
from harness.files import atomic_write
from harness.report.html import EMULATOR_BANNER, _env
from harness.report.thumbs import link, thumbnail

W, ROW, LEFT, RIGHT = 640, 26, 220, 24


def rating_svg(result: CompareResult) -> str:
    """A forest plot: each arm's rating (Elo scale) as a dot with its 95% interval as a bar."""
    rows = result.rows
    spans = [r.rating.elo_ci or (r.rating.elo, r.rating.elo) for r in rows]
    lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    pad = max(10.0, (hi - lo) * 0.08)
    lo, hi = lo - pad, hi + pad
    height = 40 + ROW * len(rows)

    def x(v: float) -> float:
        return LEFT + (W - LEFT - RIGHT) * (v - lo) / (hi - lo)

    parts = [
        f'<svg class="plot" id="ratings-plot" width="{W}" height="{height}" viewBox="0 0 {W} {height}" '
        'role="img" aria-label="ratings with 95% intervals">',
        '<text class="ptitle" x="8" y="16">Bradley-Terry rating (Elo scale), 95% interval over cases</text>',
        f'<line class="axis" x1="{x(1000):.1f}" x2="{x(1000):.1f}" y1="24" y2="{height - 8}" '
        'stroke-dasharray="3 3"/>',
    ]
    for n, (row, (a, b)) in enumerate(zip(rows, spans, strict=True)):
        y = 36 + ROW * n
        parts.append(f'<text class="tick" x="8" y="{y + 4}">{Markup.escape(row.name)[:34]}</text>')
        parts.append(f'<line class="ci" x1="{x(a):.1f}" x2="{x(b):.1f}" y1="{y}" y2="{y}" stroke="#2563eb" '
                     'stroke-width="3"/>')  # fmt: skip
        parts.append(
            f'<g class="pt"><circle cx="{x(row.rating.elo):.1f}" cy="{y}" r="5" fill="#1d4ed8">'
            f"<title>{Markup.escape(row.name)}: {row.rating.elo:.0f} [{a:.0f}, {b:.0f}]</title></circle></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _case_points(result: CompareResult) -> dict[tuple[str, str], list[tuple[float, int]]]:
    """Per (suite, case), each arm's (points, pairs judged): a win 1, a tie half."""
    n = len(result.arms)
    points: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(lambda: [(0.0, 0)] * n)
    for (i, j), group in result.outcomes.items():
        for o in group:
            if o.winner is None:
                continue
            row = points[(o.suite, o.case)]
            b = POINTS[o.winner]
            row[i] = (row[i][0] + 1 - b, row[i][1] + 1)
            row[j] = (row[j][0] + b, row[j][1] + 1)
    return points


def render_compare(result: CompareResult, page: Path) -> str:
    ranked = [r.name for r in result.rows]
    order = sorted(range(len(result.arms)), key=lambda i: ranked.index(result.arms[i].name))
    points = _case_points(result)
    several = len({suite for suite, _ in result.grid}) > 1
    grid = []
    for (suite, case), cells in result.grid.items():
        row: dict[str, Any] = {"label": (f"{suite}::" if several else "") + case, "cells": []}
        for i in order:
            c = cells[i]
            row["cells"].append(
                {
                    "thumb": thumbnail(c.run_dir, c.image.path, c.image.sha256) if c.image else None,
                    "href": link(c.run_dir, c.image.path, page) if c.image else None,
                    "outcome": c.outcome,
                    "passed": c.passed,
                    "points": points[(suite, case)][i] if (suite, case) in points else None,
                }
            )
        grid.append(row)
    arms = [result.arms[i] for i in order]
    matrix = [[result.share(i, j) if i != j else None for j in order] for i in order]
    return (
        _env()
        .get_template("compare.j2")
        .render(
            title=f"Compare {len(arms)} arms",
            banner=EMULATOR_BANNER if result.procedural else None,
            result=result,
            arms=arms,
            matrix=matrix,
            grid=grid,
            plot=Markup(rating_svg(result)) if result.rows else "",
        )
    )


def write_compare_html(result: CompareResult, out: Path) -> Path:
    atomic_write(out, render_compare(result, out).encode("utf-8"))
    return out
