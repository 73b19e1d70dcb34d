"""Config precedence with provenance: defaults < style image config < variant < case < step.

Each resolved value remembers which file and line set it, so 'aspect ratio 7:3 not allowed' points at the
line that wrote 7:3, whether that was the suite defaults, a style preset, a variant, a case or a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.context import input_policy
from harness.errors import SuiteError
from harness.plan import GenConfig
from harness.suite import models
from harness.suite.schema import Case, ImageConfig, PromptSource, Step, Suite, Variant
from harness.suite.styles import ResolvedStyle

Loc = tuple[str | int, ...]
CHAIN_KEPT = ("aspect_ratio", "image_size")  # image settings a chain's edit steps keep from its first step


class Sink(Protocol):
    def error(self, exc: SuiteError) -> None: ...
    def warn(self, text: str) -> None: ...


Lines = Callable[[str], int | None]  # key -> its line, looked up only when a problem names it


@dataclass
class Resolved:
    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, tuple[Path, Lines, str]] = field(default_factory=dict)  # key -> file, lines, label

    def apply(self, overrides: dict[str, Any], file: Path, lines: Lines, label: str) -> None:
        for key, value in overrides.items():
            self.values[key] = value
            self.origin[key] = (file, lines, label)

    def where(self, key: str) -> tuple[Path, int | None, str]:
        file, lines, label = self.origin[key]
        return file, lines(key), label


def suite_layer(suite: Suite, item: ImageConfig, *loc: str | int) -> tuple[dict[str, Any], Path, Lines]:
    """The keys one suite layer writes, with the file and the line of each (for `Resolved.apply`)."""
    return item.overrides(), suite.where(*loc)[0], lambda key: suite.line(*loc, key)


def resolve_config(
    suite: Suite,
    case: Case,
    item: Case | Step,
    loc: Loc,
    variant: tuple[str, Variant] | None,
    style: ResolvedStyle | None,
    out: Sink,
    chain_start: Resolved | None = None,
) -> Resolved | None:
    """Layer the settings of one step and check them against the model; None when any is invalid.

    A later chain step keeps the first step's image settings (`chain_start`): an edit of a 3:2 picture
    asks for 3:2 again unless the step itself (or a style the step names) sets another."""
    res = Resolved()
    defaults = suite.defaults.overrides()
    res.apply(defaults, suite.path, lambda key: suite.line("defaults", key), "the suite defaults")
    if style is not None:
        for key, value in style.image.items():
            file, line = style.image_lines[key]
            res.apply({key: value}, file, lambda _key, line=line: line, f"style '{style.name}'")
    if variant is not None:
        res.apply(*suite_layer(suite, variant[1], "variants", variant[0]), f"variant '{variant[0]}'")
    res.apply(*suite_layer(suite, case, *loc[:2]), f"case '{case.id}'")
    if chain_start is not None:
        step_style = style.image if isinstance(item, Step) and item.style and style is not None else {}
        for key in CHAIN_KEPT:
            if key in chain_start.values and key not in step_style:
                file, line, label = chain_start.where(key)
                res.apply({key: chain_start.values[key]}, file, {key: line}, f"{label}, kept from step 0")
    if isinstance(item, Step):
        res.apply(*suite_layer(suite, item, *loc), f"step {loc[-1]}")
    output = output_of(case, item)
    model = res.values.get("model")
    if not model:
        file, line, _ = res.where("model")
        out.error(
            SuiteError(
                "no model is set",
                file=file,
                line=line,
                case=case.id,
                key="model",
                hint="set defaults.model (e.g. gemini-2.5-flash-image)",
            )
        )
        return None
    warning = models.model_warning(model)
    if warning and input_policy.get().allow_unknown_model:
        file, line, label = res.where("model")
        out.warn(f"{file}:{line}: {warning} (set by {label})")
    elif warning:  # a typo would cost a failed request per trial, or hit a model nobody meant
        file, line, label = res.where("model")
        out.error(
            SuiteError(
                f"{warning} (set by {label})",
                file=file,
                line=line,
                case=case.id,
                key="model",
                hint=f"use one of: {', '.join(models.image_models())}; or, for a model newer than this "
                "harness, pass --allow-unknown-model",
            )
        )
        return None
    elif output != "text" and models.is_image_model(model) is False:
        out.warn(
            f"{':'.join(map(str, suite.where(*loc)))}: case '{case.id}': {model} answers in text only; "
            "use an image model or 'output: text'"
        )
    ok = True
    for key, check in (("aspect_ratio", models.check_ratio), ("image_size", models.check_size)):
        value = res.values.get(key)
        problem = None if output == "text" or value is None else check(model, str(value))
        if problem:
            file, line, label = res.where(key)
            out.error(
                SuiteError(
                    f"{problem} (set by {label})",
                    file=file,
                    line=line,
                    case=case.id,
                    key=key,
                    hint=f"pick an allowed value, or another model for {key}",
                )
            )
            ok = False
    return res if ok else None


def promise_conflicts(style: ResolvedStyle, config: Resolved, case: str, out: Sink) -> None:
    """A case that overrides the ratio its style promises would fail that promise on every trial."""
    actual = config.values.get("aspect_ratio")
    for promise in style.promises:
        wanted = promise.spec.get("aspect_ratio")
        if isinstance(wanted, str) and actual and wanted != actual:
            file, line, label = config.where("aspect_ratio")
            out.warn(
                f"{file}:{line}: case '{case}': style '{style.name}' promises aspect ratio {wanted} "
                f"but {label} asks for {actual}; that promise will fail"
            )


def prompt_source(
    item: Case | Step, loc: Loc, variant: Variant | None, variant_name: str
) -> tuple[PromptSource, Loc]:
    """Where a step's prompt or template comes from: its own, else the variant's when the step gives none."""
    if (
        item.prompt is None
        and item.template is None
        and variant is not None
        and (variant.prompt is not None or variant.template is not None)
    ):
        return variant, ("variants", variant_name)
    return item, loc


def output_of(case: Case, item: Case | Step) -> str:
    return (item.output if isinstance(item, Step) else None) or case.output


def gen_config(res: Resolved, output: str) -> GenConfig:
    v = res.values
    text = output == "text"
    return GenConfig(
        model=v["model"],
        aspect_ratio=None if text else v.get("aspect_ratio"),
        image_size=None if text else v.get("image_size"),
        temperature=v.get("temperature"),
        seed=v.get("seed"),
        response_modalities={"text": ("TEXT",), "any": ()}.get(output, ("TEXT", "IMAGE")),
        system_instruction=v.get("system_instruction"),
        timeout_s=v.get("timeout_s") or 120.0,
    )
