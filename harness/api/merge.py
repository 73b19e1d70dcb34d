"""`harness merge RUN... --out DIR`: shards of one suite run (`--shard I/N`) joined into one run.

The result equals the same suite run on one machine in content (trials, scores, group scores, totals;
not timestamps or latencies): a shard holds whole groups, so its group scores are already the whole
group's. Shards of different suites (by content hash), of different requests, with overlapping trials,
or not finished are refused: a merge never hides a gap or a double.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from harness.errors import UsageError
from harness.store import Run, compute_totals, merge_runs, resolve_run


def merge_shards(refs: Sequence[str | Path], out: Path, *, root: Path = Path("results")) -> Path:
    """Join the runs into `out` (a new run directory named after its folder) and return it."""
    if len(refs) < 1:
        raise UsageError("nothing to merge", hint="harness merge RUN RUN... --out DIR")
    runs = [Run.load(resolve_run(ref, root)) for ref in refs]
    _check_same_suites(runs)
    _check_same_request(runs)
    _check_disjoint(runs)
    unfinished = [r.manifest.run_id for r in runs if not r.complete]
    if unfinished:
        raise UsageError(
            f"not finished: {', '.join(unfinished)}",
            hint="finish each with harness run --resume RUN, then merge",
        )
    out = Path(out)
    if (out / "trials.jsonl").exists():
        raise UsageError(f"{out} already holds a run", hint="merge into a new --out folder")
    merge_runs([r.dir for r in runs], out, out.name)
    merged = Run.load(out)
    first = runs[0].manifest
    if first.request is not None:
        merged.manifest.request = first.request.model_copy(update={"shard": None})
    planned = [r.manifest.totals.planned for r in runs]
    merged.manifest.totals = compute_totals(merged.trials, sum(p for p in planned if p is not None))
    merged.manifest.status = "finished"
    merged.manifest.pid = None
    merged.rewrite_manifest()
    return out


def _check_same_suites(runs: Sequence[Run]) -> None:
    first = sorted((s.name, s.sha256) for s in runs[0].manifest.suites)
    for run in runs[1:]:
        mine = sorted((s.name, s.sha256) for s in run.manifest.suites)
        if mine != first:
            raise UsageError(
                f"{run.manifest.run_id} ran other suites (or other versions of them) than "
                f"{runs[0].manifest.run_id}: {mine} vs {first}",
                hint="merge only shards of one suite run (same files, same content)",
            )


def _check_same_request(runs: Sequence[Run]) -> None:
    def shape(run: Run) -> object:
        request = run.manifest.request
        if request is None:
            return None
        return request.model_dump(
            exclude={"shard", "max_cost_usd", "concurrency", "rpm", "suites", "cassettes"}
        )

    counts = {
        run.manifest.request.shard.split("/")[1]
        for run in runs
        if run.manifest.request and run.manifest.request.shard
    }
    if len(counts) > 1 or any(shape(r) != shape(runs[0]) for r in runs[1:]):
        raise UsageError(
            "the runs were asked for different things (variants, repeats, selection or shard count)",
            hint="merge the shards of one command line: --shard 1/N .. N/N",
        )


def _check_disjoint(runs: Sequence[Run]) -> None:
    seen = Counter(r.trial_id for run in runs for r in run.trials)
    twice = sorted(t for t, n in seen.items() if n > 1)
    if twice:
        raise UsageError(
            f"{len(twice)} trial(s) are in more than one run, e.g. {', '.join(twice[:3])}",
            hint="merge each shard once; shards of one --shard I/N split never overlap",
        )
