"""A trend over stored runs as records: one point per run, oldest first (built by harness.api.trend)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TrendPoint:
    run_id: str
    run_dir: Path
    started_at: str
    status: str
    backend: str
    procedural: bool
    suites: dict[str, str]  # name -> sha256 of the suite file as it was run
    models: list[str]
    trials: int
    passed: int
    pass_rate: float | None  # None when no trial had a verdict
    scorer_means: dict[str, float]
    cost_usd: float
    drift: float | None = None
    changes: list[str] = field(default_factory=list)  # "suite showcase changed", "model ...", vs the previous


@dataclass
class Trend:
    suite: str | None
    points: list[TrendPoint]
    skipped: list[str] = field(default_factory=list)  # run ids left out (no trials, unreadable)

    @property
    def scorers(self) -> list[str]:
        return sorted({name for p in self.points for name in p.scorer_means})


def changes(prev: TrendPoint, cur: TrendPoint) -> list[str]:
    """What differs from the previous run: a suite file's hash, or the set of models."""
    out = [
        f"suite {name} changed"
        for name, sha in cur.suites.items()
        if name in prev.suites and prev.suites[name] != sha
    ]
    if cur.models != prev.models:
        out.append(f"models {', '.join(prev.models)} -> {', '.join(cur.models)}")
    return out
