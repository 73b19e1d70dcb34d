"""`harness batches list|status|cancel RUN`: the Batch API jobs a run created."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.console import wide
from harness.errors import UsageError


def register(subparsers: Any) -> None:
    batches = subparsers.add_parser(
        "batches",
        description="list reads the run's manifest; status and cancel ask the API (the run's backend).",
    )
    sub = batches.add_subparsers(dest="batches_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("list", list_command, "the jobs the run's manifest names (no network)"),
        ("status", status_command, "each job's state now, from the API"),
        ("cancel", cancel_command, "cancel every job of the run that has not ended"),
    ):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("run", metavar="RUN", help="a run directory, an id under --out, or 'latest'")
        parser.add_argument(
            "--out", type=Path, default=Path("results"), help="runs folder (default results/)"
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        if name != "list":
            parser.add_argument(
                "--backend", choices=("gemini", "emulator"), help="where the jobs live (default gemini)"
            )
            parser.add_argument("--base-url", help="a Gemini-compatible endpoint (e.g. a running emulator)")
        parser.set_defaults(func=func)


def _run_dir(args: argparse.Namespace) -> Path:
    from harness.store import resolve_run

    return resolve_run(args.run, args.out)


def _client(args: argparse.Namespace) -> Any:
    from google.genai import types

    from harness.api.run import choose_backend
    from harness.runner.client import API_VERSION, build_client, resolve_api_key

    if args.backend == "emulator" and not args.base_url:
        raise UsageError(
            "the in-process emulator ends with its run, and its jobs with it",
            hint="start one with `harness emulator serve` and pass its --base-url",
        )
    label = choose_backend(args.backend, args.base_url)
    options = types.HttpOptions(base_url=args.base_url, api_version=API_VERSION, timeout=30_000)
    return build_client(resolve_api_key(label, "live"), options)


def _render(rows: list[dict[str, Any]], as_json: bool, title: str) -> int:
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"{title}: no batch jobs (was it run with --batch?)")
        return 0
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, justify="right" if column in ("step", "requests") else "left")
    for row in rows:
        table.add_row(*(str(v if v is not None else "-") for v in row.values()))
    wide().print(table)
    return 0


def _row(ref: Any, state: str | None = None, error: str | None = None, live: bool = False) -> dict[str, Any]:
    """One job; `live` rows show the state the API gave now (none when it could not be read) and why."""
    shown = state if live else ref.state
    row = {
        "job": ref.name,
        "suite": ref.suite,
        "model": ref.model,
        "kind": ref.kind,  # judge: the run's judge calls (--batch-judge), step = its round
        "step": ref.step,
        "requests": len(ref.trials),
        "source": ref.source,
        "state": shown.removeprefix("JOB_STATE_") if shown else None,
        "created": ref.created_at,
    }
    if live:
        row["error"] = error
    return row


def list_command(args: argparse.Namespace) -> int:
    from harness.api.batch import run_jobs

    run_dir = _run_dir(args)
    rows = [_row(ref) for ref in run_jobs(run_dir)]
    return _render(rows, args.json, f"batch jobs of {run_dir} (state as last seen by the run)")


def status_command(args: argparse.Namespace) -> int:
    from harness.api.batch import job_states

    run_dir = _run_dir(args)
    found = job_states(run_dir, _client(args))
    rows = [_row(s.ref, s.state, s.error, live=True) for s in found]
    _render(rows, args.json, f"batch jobs of {run_dir} (state now)")
    return 1 if any(s.error for s in found) else 0


def cancel_command(args: argparse.Namespace) -> int:
    from harness.api.batch import cancel_jobs

    run_dir = _run_dir(args)
    found = cancel_jobs(run_dir, _client(args))
    rows = [_row(s.ref, s.state, s.error, live=True) for s in found]
    _render(rows, args.json, f"batch jobs of {run_dir} after cancel")
    return 1 if any(s.error for s in found) else 0
