"""Every number of a diff as JSON: per case (with its steps and scorers nested), the summary, the verdict."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from harness.analysis.aggregate import CASE_KEYS


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _grouped(frame: pd.DataFrame) -> dict[tuple, list[dict[str, Any]]]:
    out: dict[tuple, list[dict[str, Any]]] = {}
    for row in records(frame):
        out.setdefault(tuple(row[k] for k in CASE_KEYS), []).append(
            {k: v for k, v in row.items() if k not in CASE_KEYS}
        )
    return out


def diff_json(result: Any) -> dict[str, Any]:
    """``result`` is a harness.diff.DiffResult."""
    comp, al = result.comparison, result.comparison.alignment
    steps, scorers = _grouped(comp.steps), _grouped(comp.scorers)
    cases = []
    for row in records(comp.cases):
        key = tuple(row[k] for k in CASE_KEYS)
        row["steps"] = steps.get(key, [])
        row["scorers"] = scorers.get(key, [])
        cases.append(row)
    return {
        "a": {"name": al.a.name, "run_dir": str(al.a.dir), "backend": al.a.manifest.backend},
        "b": {"name": al.b.name, "run_dir": str(al.b.dir), "backend": al.b.manifest.backend},
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "gate": result.gate_reason,
        "fail_on": result.fail_on,
        "tolerance": result.tolerance,
        "limits": result.limits,
        "summary": result.summary.to_dict(),
        "preference": None if result.preference is None else result.preference.to_dict(),
        "cases": cases,
    }
