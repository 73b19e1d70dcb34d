"""Template vars no template reads: `vars: {colour: red}` for a template that reads `color` would be dropped
without a word, so validation warns (not errors: a spare var does no harm), naming the line and the nearest
variable the template does read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.suite.layers import Loc, prompt_source
from harness.suite.load import did_you_mean
from harness.suite.schema import Case, Step, Suite, Variant
from harness.suite.templates import template_variables

# Expansion sets these for every template, over any var of the same name.
HARNESS_VARS = frozenset({"case_id", "variant", "step", "style"})


@dataclass
class _Layer:
    """One `vars:` mapping of the suite (a case's, a chain step's or a variant's) and what read it."""

    who: str
    vars: dict[str, Any]
    templates: list[str] = field(default_factory=list)
    read: set[str] = field(default_factory=set)
    unknown: bool = False  # a template it reaches could not be read through (see template_variables)


def unused_var_warnings(suite: Suite, dirs: tuple[Path, ...]) -> list[str]:
    """`file:line: case 'x': var 'colour' is not used by template 'product'. Did you mean 'color'?` for
    every var no template rendered with it reads, over every variant (style preset vars are left alone:
    a preset serves many suites and templates)."""
    layers: dict[Loc, _Layer] = {}
    known: dict[str, frozenset[str] | None] = {}
    variants: list[tuple[str, Variant | None]] = list(suite.variants.items()) or [("default", None)]
    any_variant_vars = any(v is not None and v.vars for _, v in variants)
    for index, case in enumerate(suite.cases):
        if case.chain is None and not case.vars and not any_variant_vars:
            continue  # no vars: nothing it renders can leave one unused (most rows of a dataset)
        for name, variant in variants:
            for item, loc in _items(case, index):
                template = _template(item, loc, variant, name)
                if template is not None and template not in known:
                    known[template] = template_variables(template, dirs)
                names = known[template] if template is not None else frozenset()
                for layer in _layers(layers, case, item, loc, variant, name):
                    if template is not None and template not in layer.templates:
                        layer.templates.append(template)
                    layer.unknown |= names is None
                    layer.read |= names or frozenset()
    found: dict[str, None] = {}
    for loc, layer in layers.items():
        if layer.unknown:
            continue
        origin = suite.origin(int(loc[1])) if loc[0] == "cases" else None
        if origin is not None and origin.dataset is not None:
            continue
        for var in layer.vars:
            message = _unused(var, layer)
            if message is None:
                continue
            if origin is not None and origin.row is not None:  # one warning per column, not per row
                message = message.replace(f"var '{var}'", f"column '{var}'")
                found[f"{origin.file}: cases made from its rows: {message}"] = None
            else:
                found[f"{':'.join(map(str, suite.where(*loc, var)))}: {layer.who}: {message}"] = None
    return list(found)


def _template(item: Case | Step, loc: Loc, variant: Variant | None, variant_name: str) -> str | None:
    """The template a step renders under a variant; None for a literal prompt or an `edit:`."""
    if isinstance(item, Step) and item.edit is not None:
        return None
    return prompt_source(item, loc, variant, variant_name)[0].template


def _items(case: Case, index: int) -> list[tuple[Case | Step, Loc]]:
    if case.chain is None:
        return [(case, ("cases", index))]
    return [(step, ("cases", index, "chain", j)) for j, step in enumerate(case.chain)]


def _layers(
    layers: dict[Loc, _Layer],
    case: Case,
    item: Case | Step,
    loc: Loc,
    variant: Variant | None,
    variant_name: str,
) -> list[_Layer]:
    """The `vars:` mappings one step renders with (case, chain step, variant), created on first sight."""
    found: list[tuple[Loc, str, dict[str, Any]]] = [
        (("cases", loc[1], "vars"), f"case '{case.id}'", case.vars)
    ]
    if isinstance(item, Step):
        found.append(((*loc, "vars"), f"case '{case.id}' chain step {loc[-1]}", item.vars))
    if variant is not None:
        found.append((("variants", variant_name, "vars"), f"variant '{variant_name}'", variant.vars))
    return [layers.setdefault(at, _Layer(who, given)) for at, who, given in found if given]


def _unused(var: str, layer: _Layer) -> str | None:
    if var in HARNESS_VARS:
        names = ", ".join(sorted(HARNESS_VARS))
        return f"var '{var}' never reaches a template: the harness sets {names} itself; rename it"
    if var in layer.read:
        return None
    if not layer.templates:
        return f"var '{var}' is not used: no template renders this prompt (vars only feed a template:)"
    shown = ", ".join(f"'{t}'" for t in layer.templates)
    hint = did_you_mean(var, layer.read - HARNESS_VARS)
    return f"var '{var}' is not used by template {shown}.{hint or ' Drop it or rename it.'}"
