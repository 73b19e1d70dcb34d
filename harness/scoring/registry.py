"""The scorer protocols and the table of scorers an `expect:` entry can name.

A scorer is a name, a pydantic `Params` model (documented defaults, unknown keys rejected) and a function
of one of two kinds: a step scorer (`StepScorer`, `score(ctx: ScoreContext, params) -> list[Score]`, one
step of one trial) or a group scorer (`GroupScorer`, `score(group: GroupContext, params) ->
{trial_id: [Score]}`, a set of trials scored together once all of them have run). Register one with
`@scorer("name", Params)` or `@scorer("name", Params, kind="group")`.

An expectation is a single-key mapping: `{background: {color: white, min_fraction: 0.4}}`, or a shorthand
that fills the scorer's main parameter (`{aspect_ratio: "1:1"}`, `{contains: watch}`) or takes every default
(`{warmer: true}`). `weight:` may sit inside the parameters or beside the scorer key.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.record import Score

if TYPE_CHECKING:
    from harness.scoring.context import ScoreContext
    from harness.scoring.group_scorers import GroupContext

Kind = Literal["step", "group"]
Needs = Literal["image", "text", "output", "none"]
Cached = Literal["image", "previous", "reference"] | None
ENTRY_POINT_GROUP = "harness.scorers"


class Params(BaseModel):
    """Base of every scorer's parameters: unknown keys are errors, so a typo never silently passes."""

    model_config = ConfigDict(extra="forbid")


class StepScoreFn(Protocol):
    """A step scorer's function: one step of one trial (`ctx.step`, `ctx.image`) and its parameters (the
    scorer's own Params subclass) in, its scores out."""

    def __call__(self, ctx: ScoreContext, params: Any, /) -> list[Score]: ...


class GroupScoreFn(Protocol):
    """A group scorer's function: every member of one set (a case's repeats, or a `group:`) in, each
    member's scores out, keyed by trial id."""

    def __call__(self, group: GroupContext, params: Any, /) -> dict[str, list[Score]]: ...


@dataclass(frozen=True, kw_only=True)
class _Entry:
    name: str
    params: type[Params]
    shorthand: str | None = None  # the parameter a bare (non-mapping) value fills
    needs: Needs = "image"  # what the step must have produced; "none" scorers run on any outcome
    summary: str = ""
    dict_shorthand: bool = False  # a mapping without any parameter name is the shorthand value itself
    # what its scores depend on besides the parameters, when that is all: "image" (the step's first output),
    # "previous" (that and the image the step started from), "reference" (that and the bytes its params'
    # `reference_digest(ctx)` names); None = not cached (clients, user code, binaries that may be missing)
    cached: Cached = None
    version: int = 1  # bump when the scorer's result for the same input changes: cached scores expire


@dataclass(frozen=True, kw_only=True)
class StepScorer(_Entry):
    fn: StepScoreFn
    kind: Literal["step"] = "step"


@dataclass(frozen=True, kw_only=True)
class GroupScorer(_Entry):
    fn: GroupScoreFn
    kind: Literal["group"] = "group"


Scorer = StepScorer | GroupScorer


@dataclass(frozen=True)
class Expectation:
    scorer: Scorer
    params: Params
    weight: float = 1.0


SCORERS: dict[str, Scorer] = {}
StepFnT = TypeVar("StepFnT", bound=StepScoreFn)
GroupFnT = TypeVar("GroupFnT", bound=GroupScoreFn)


@overload
def scorer(
    name: str,
    params: type[Params],
    *,
    kind: Literal["step"] = "step",
    shorthand: str | None = None,
    needs: Needs = "image",
    dict_shorthand: bool = False,
    cached: Cached = None,
    version: int = 1,
) -> Callable[[StepFnT], StepFnT]: ...


@overload
def scorer(
    name: str,
    params: type[Params],
    *,
    kind: Literal["group"],
    shorthand: str | None = None,
    needs: Needs = "image",
    dict_shorthand: bool = False,
    cached: Cached = None,
    version: int = 1,
) -> Callable[[GroupFnT], GroupFnT]: ...


def scorer(
    name: str,
    params: type[Params],
    *,
    kind: Kind = "step",
    shorthand: str | None = None,
    needs: Needs = "image",
    dict_shorthand: bool = False,
    cached: Cached = None,
    version: int = 1,
) -> Callable[[Any], Any]:
    """Register a scorer function under `name` (the key users write in `expect:`): a StepScorer, or with
    `kind="group"` a GroupScorer."""

    def register(fn: Any) -> Any:
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        common: dict[str, Any] = {
            "name": name,
            "params": params,
            "shorthand": shorthand,
            "needs": needs,
            "summary": summary,
            "dict_shorthand": dict_shorthand,
            "cached": cached,
            "version": version,
        }
        SCORERS[name] = GroupScorer(fn=fn, **common) if kind == "group" else StepScorer(fn=fn, **common)
        return fn

    return register


def lookup(name: str) -> Scorer:
    """A built-in scorer (harness.scoring imports them all before anything can ask), or one published by
    a package under the `harness.scorers` entry point."""
    if name in SCORERS:
        return SCORERS[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return _from_entry_point(name, ep.load())
    known = sorted(SCORERS) + plugin_scorers()
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ValueError(f"unknown scorer '{name}'{hint}; known scorers: {', '.join(known)}")


def plugin_scorers() -> list[str]:
    """The scorers installed packages publish under the `harness.scorers` entry point."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} - set(SCORERS))


def _from_entry_point(name: str, obj: Any) -> Scorer:
    if isinstance(obj, StepScorer | GroupScorer):
        return obj
    if callable(obj):
        from harness.scoring.custom import wrap_callable

        return wrap_callable(name, obj)
    raise ValueError(
        f"entry point '{name}' in group {ENTRY_POINT_GROUP} is neither a StepScorer, a GroupScorer "
        "nor a callable"
    )


def parse_expect(spec: Any, suite_dir: Path | None = None) -> Expectation:
    """Turn one `expect:` entry into a scorer, its validated params and a weight; ValueError says the fix.

    `suite_dir` (the suite's folder) lets parameters that name files beside the suite be checked too."""
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f'an expectation is a one-key mapping like `aspect_ratio: "1:1"`, got {spec!r}')
    spec = dict(spec)
    weight = spec.pop("weight", None)
    if len(spec) != 1:
        raise ValueError(
            f"an expectation names exactly one scorer, got {', '.join(map(str, spec)) or 'none'}; "
            "split them into separate list items"
        )
    ((name, value),) = spec.items()
    entry = lookup(str(name))
    if isinstance(value, dict):
        value = dict(value)
        if "weight" in value:
            weight = value.pop("weight")
        raw = value
        if entry.dict_shorthand and entry.shorthand and not set(value) & set(_param_names(entry)):
            raw = {entry.shorthand: value}
    elif value is True or value is None:
        raw = {}
    elif value is False:
        raise ValueError(f"expectation '{name}': false is not a check; remove the entry or give parameters")
    elif entry.shorthand:
        raw = {entry.shorthand: value}
    else:
        raise ValueError(
            f"expectation '{name}' needs a mapping of parameters, got {value!r}; "
            f"allowed parameters: {_allowed(entry)}"
        )
    try:
        params = entry.params.model_validate(raw, context={"suite_dir": suite_dir})
    except ValidationError as exc:
        raise ValueError(_explain(entry, exc)) from None
    try:
        weight_value = 1.0 if weight is None else float(weight)
    except (TypeError, ValueError):
        raise ValueError(f"expectation '{name}': weight must be a number, got {weight!r}") from None
    if weight_value < 0:
        raise ValueError(f"expectation '{name}': weight must be >= 0, got {weight_value}")
    return Expectation(entry, params, weight_value)


def validate_expect(spec: dict[str, Any], suite_dir: Path | None = None) -> None:
    """Check one expectation before any request is sent; raises ValueError naming scorer, parameter, fix."""
    parse_expect(spec, suite_dir)


def _param_names(entry: Scorer) -> list[str]:
    """What users write: a field's alias when it has one (e.g. `schema`), else its name."""
    return [f.alias or name for name, f in entry.params.model_fields.items()]


def _allowed(entry: Scorer) -> str:
    return ", ".join(_param_names(entry)) or "(none)"


def _explain(entry: Scorer, exc: ValidationError) -> str:
    problems = []
    fields = _param_names(entry)
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(value)"
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(f"unknown parameter '{key}'{hint}")
        elif err["type"] == "missing":
            problems.append(f"parameter '{key}' is required")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"parameter '{key}': {msg} (got {err.get('input')!r})")
    return f"expectation '{entry.name}': {'; '.join(problems)}; allowed parameters: {_allowed(entry)}"


def describe() -> list[dict[str, Any]]:
    """Every scorer with its parameters and defaults, for the README and `harness score --list`."""
    out = []
    for name in sorted(SCORERS):
        entry = SCORERS[name]
        params = []
        for pname, f in entry.params.model_fields.items():
            pname = f.alias or pname
            default = "required" if f.is_required() else repr(f.get_default(call_default_factory=True))
            params.append({"name": pname, "default": default, "doc": f.description or ""})
        out.append(
            {
                "name": name,
                "kind": entry.kind,
                "shorthand": entry.shorthand,
                "summary": entry.summary,
                "doc": (entry.params.__doc__ or "").strip(),
                "params": params,
            }
        )
    return out


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def markdown() -> str:
    """The "Every scorer" section of harness/scoring/README.md (`harness score --list --markdown`)."""
    out = []
    for e in describe():
        head = f"### `{e['name']}`" + (" (group scorer)" if e["kind"] == "group" else "")
        shorthand = f" Shorthand: `{e['name']}: <{e['shorthand']}>`." if e["shorthand"] else ""
        out += [head, e["summary"] + shorthand, "", " ".join(e["doc"].split()), ""]
        out += ["| parameter | default | meaning |", "|---|---|---|"]
        out += [f"| `{p['name']}` | `{p['default']}` | {_cell(p['doc'])} |" for p in e["params"]]
        out.append("")
    return "\n".join(out)
