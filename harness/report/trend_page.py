"""The self-contained trend page: pass rate, cost, drift and per-scorer means per run as line plots,
changed runs marked, and the table of every run."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from harness.analysis.trend import Trend
from harness.files import atomic_write
from harness.report.html import EMULATOR_BANNER, _env
from harness.report.plots import line_svg

MAX_SCORER_PLOTS = 6


def trend_charts(t: Trend) -> list[str]:
    labels = [p.run_id for p in t.points]
    marks = {i: "; ".join(p.changes) for i, p in enumerate(t.points) if p.changes}
    charts = [
        line_svg("pass rate per run", {"pass rate": [p.pass_rate for p in t.points]}, labels, marks,
                 "trials passed", lambda v: f"{v:.0%}"),
        line_svg("cost per run", {"cost": [p.cost_usd for p in t.points]}, labels, marks, "USD",
                 lambda v: f"${v:.3g}"),
        line_svg("drift from the previous run", {"drift": [p.drift for p in t.points]}, labels, marks,
                 "median pHash bits"),
    ]  # fmt: skip
    for name in t.scorers[:MAX_SCORER_PLOTS]:
        values = [p.scorer_means.get(name) for p in t.points]
        charts.append(line_svg(f"{name}: mean per run", {name: values}, labels, marks, "mean value"))
    return [c for c in charts if c]


def render_trend(t: Trend) -> str:
    return (
        _env()
        .get_template("trend.j2")
        .render(
            title=f"Trend of {t.suite}" if t.suite else "Trend of stored runs",
            banner=EMULATOR_BANNER if any(p.procedural for p in t.points) else None,
            trend=t,
            scorers=t.scorers,
            charts=[Markup(c) for c in trend_charts(t)],
        )
    )


def write_trend_html(t: Trend, out: Path) -> Path:
    atomic_write(out, render_trend(t).encode("utf-8"))
    return out
