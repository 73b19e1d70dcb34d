"""A replay miss, explained: which trial asked, what nearest recording differs, and how to re-record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.context import RequestContext
from harness.errors import ReplayMiss
from harness.transport.cassette import Interaction

MAX_DIFF_LINES = 12
MAX_VALUE_CHARS = 80


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def _shared_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _show_change(old: Any, new: Any, context: int = 24) -> tuple[str, str]:
    """Both sides of a changed value; long strings are cut around the change, not at a shared prefix."""
    if not (isinstance(old, str) and isinstance(new, str)) or max(len(old), len(new)) <= MAX_VALUE_CHARS:
        return _show(old), _show(new)
    start = _shared_prefix(old, new)
    tail = _shared_prefix(old[start:][::-1], new[start:][::-1])

    def window(text: str) -> str:
        lo, hi = max(start - context, 0), min(len(text) - tail + context, len(text))
        return ("..." if lo else "") + _show(text[lo:hi]) + ("..." if hi < len(text) else "")

    return window(old), window(new)


def field_diff(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """`path: old -> new` lines (recorded -> current), plus `+ path` / `- path` for added or gone fields."""
    old, new = flatten(recorded), flatten(current)
    lines = []
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            lines.append(f"- {path}: {_show(old[path])} (recorded, not sent now)")
        elif path not in old:
            lines.append(f"+ {path}: {_show(new[path])} (sent now, not recorded)")
        elif old[path] != new[path]:
            before, after = _show_change(old[path], new[path])
            lines.append(f"{path}: {before} -> {after}")
    return lines


def _kinship(trial: dict[str, Any] | None, ctx: RequestContext | None) -> int:
    """0: recorded by this very trial step; 1: same case; 2: anything else."""
    if ctx is None or not trial or trial.get("case") != ctx.case:
        return 2
    same = all(trial.get(k) == getattr(ctx, k) for k in ("variant", "repeat", "step"))
    return 0 if same else 1


def nearest(
    form: dict[str, Any], recorded: list[Interaction], ctx: RequestContext | None = None
) -> tuple[Interaction, list[str]] | None:
    """The recording this trial made, else one of its case, else the fewest differing fields
    (same method and path first)."""
    if not recorded:
        return None
    target = (form.get("method"), form.get("path"))
    same = [i for i in recorded if (i.request.get("method"), i.request.get("path")) == target]
    scored = [
        (_kinship(i.trial, ctx), len(d), n, i, d)
        for n, i in enumerate(same or recorded)
        for d in [field_diff(i.request, form)]
    ]
    *_, best, diff = min(scored, key=lambda t: t[:3])
    return best, diff


def _trial_words(ctx: RequestContext | None, suite: str) -> str:
    if ctx is None:
        return f"suite '{suite}' (no trial context)"
    return (
        f"suite '{ctx.suite}', case '{ctx.case}', variant '{ctx.variant}', repeat {ctx.repeat}, "
        f"step {ctx.step} ({ctx.purpose})"
    )


def _describe(trial: dict[str, Any] | None) -> str:
    if not trial:
        return "no trial context"
    return ", ".join(f"{k} {trial[k]!r}" for k in ("case", "variant", "repeat", "step") if k in trial)


def backend_flags(backend: str | None) -> str:
    """The `harness run` flags that reach the backend a cassette was recorded with."""
    if backend == "emulator":
        return "--backend emulator"
    if backend in (None, "", "gemini", "unknown"):
        return "--backend gemini"
    return f"--base-url https://{backend}"


def rerecord_from(backend: str | None) -> str:
    if backend == "emulator":
        return "from the local emulator, as it was recorded (no key)"
    if backend in (None, "", "unknown"):
        return "(the cassette names no backend; with a key for Gemini, or --backend emulator)"
    if backend == "gemini":
        return "from Gemini, as it was recorded (needs GEMINI_API_KEY)"
    return f"from {backend}, where it was recorded"


def build_miss(
    *,
    form: dict[str, Any],
    key: str,
    ctx: RequestContext | None,
    suite: str,
    cassette: Path,
    recorded: list[Interaction],
    exhausted: int,
    suite_ref: str | None = None,
    other_versions: list[str] | None = None,
    backend: str | None = None,
) -> ReplayMiss:
    """`exhausted` > 0 means this exact request was recorded that many times and all were replayed;
    `other_versions`: the judge prompt versions this same request was recorded with, when none is this one;
    `backend` is where the cassette was recorded (its header), so the hint re-records from there."""
    what = f"{form.get('method')} {form.get('path')}"
    lines = [f"replay miss for {_trial_words(ctx, suite)}: {what} (key {key})"]
    if other_versions and ctx is not None:
        lines.append(
            f"  the judge prompt is now version {ctx.prompt_version}; this request was recorded with "
            f"{', '.join(other_versions)}: re-record the judge calls "
            "(grades of another version are not replayed)"
        )
    elif exhausted:
        lines.append(
            f"  this request was recorded {exhausted} time(s) and every recording was already "
            "replayed: the suite now makes more calls than were recorded (more repeats or retries?)"
        )
    else:
        found = nearest(form, recorded, ctx)
        if found is None:
            lines.append("  the cassette has no recorded interactions")
        else:
            best, diff = found
            lines.append(f"  nearest recorded request ({_describe(best.trial)}) differs in:")
            lines.extend(f"    {line}" for line in diff[:MAX_DIFF_LINES])
            if len(diff) > MAX_DIFF_LINES:
                lines.append(f"    ... and {len(diff) - MAX_DIFF_LINES} more field(s)")
    target = suite_ref or f"<suite file of '{suite}'>"
    hint = (
        f"re-record it {rerecord_from(backend)}: harness run {target} {backend_flags(backend)} --mode auto "
        f"(records only what is missing) or --mode record (re-records the whole suite)"
    )
    return ReplayMiss("\n".join(lines), file=cassette, case=ctx.label() if ctx else None, hint=hint)
