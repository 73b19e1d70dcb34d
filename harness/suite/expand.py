"""Suite -> TrialPlans: cases x variants x repeats, every prompt rendered and every setting resolved.

Expansion is also the check: it collects every problem (unknown style or template, a missing variable, a
bad ratio/size for the model, a missing image, a chain that switches model) and raises them together, so
the runner, the pytest plugin and `harness validate` all refuse the same suites for the same reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, SuiteError, UsageError, ValidationFailed
from harness.files import image_problem
from harness.plan import GenConfig, StepKind, StepPlan, TrialPlan
from harness.suite import models
from harness.suite.confine import ALLOW_HINT, outside_problem
from harness.suite.layers import (
    Resolved,
    gen_config,
    output_of,
    promise_conflicts,
    prompt_source,
    resolve_config,
)
from harness.suite.load import suite_error
from harness.suite.names import did_you_mean
from harness.suite.schema import CONFIG_KEYS, MAX_REFERENCES, Case, Step, Suite, Variant
from harness.suite.styles import ResolvedStyle, StyleLibrary, join_sentences, join_spaced, spaced
from harness.suite.templates import render, search_dirs
from harness.suite.unused_vars import unused_var_warnings

Loc = tuple[str | int, ...]
_CONFIG_KEYS = frozenset(CONFIG_KEYS)


@dataclass
class Expansion:
    plans: list[TrialPlan] = field(default_factory=list)
    errors: list[HarnessError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    _also: dict[int, list[str]] = field(default_factory=dict)  # error index -> the other cases it hits
    data_files: set[str] = field(default_factory=set)  # the same problem on many rows is one problem

    def error(self, exc: HarnessError) -> None:
        """Add each problem once: the same line and message hit from several cases (a bad default or
        variant value) is one problem, naming its first case and counting the others."""
        for one in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
            index = next((i for i, e in enumerate(self.errors) if self._same_problem(e, one)), None)
            if index is None:
                self.errors.append(one)
            elif one.case and one.case != self.errors[index].case:
                others = self._also.setdefault(index, [])
                if one.case not in others:
                    others.append(one.case)

    def finish(self) -> Expansion:
        """Name the other cases a shared problem hits, once every case has been expanded."""
        for index, others in self._also.items():
            shown = ", ".join(f"'{c}'" for c in others[:3]) + (" ..." if len(others) > 3 else "")
            self.errors[index].message += f" (also in {len(others)} more case(s): {shown})"
        self._also.clear()
        return self

    def _same_problem(self, a: HarnessError, b: HarnessError) -> bool:
        same_line = a.line == b.line or a.file in self.data_files
        return same_line and (a.file, a.key, a.message, a.hint) == (b.file, b.key, b.message, b.hint)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


@cache
def scoring_checks() -> tuple[Any, Any]:
    """harness.scoring's validators, imported on first use: loading every scorer is the slow part."""
    from harness.scoring import validate_expect, validate_pass_rule

    return validate_expect, validate_pass_rule


def expand(suite: Suite, variants: list[str] | None = None, repeats: int | None = None) -> list[TrialPlan]:
    """Every trial of the suite, fully resolved; raises ValidationFailed listing every problem."""
    result = expand_all(suite, variants, repeats)
    if result.errors:
        raise ValidationFailed(result.errors)
    return result.plans


def expand_all(suite: Suite, variants: list[str] | None = None, repeats: int | None = None) -> Expansion:
    out = Expansion()
    out.data_files = {str(o.file) for i in range(len(suite.cases)) if (o := suite.origin(i)) and o.row}
    names = suite.variant_names()
    chosen = list(dict.fromkeys(variants)) if variants else names
    for name in chosen:
        if name not in names:
            raise UsageError(
                f"suite '{suite.name}' has no variant '{name}'.{did_you_mean(name, names)}",
                file=suite.path,
                hint=f"variants: {', '.join(names)}",
            )
    if repeats is not None and repeats < 1:
        raise UsageError(f"--repeats must be at least 1, got {repeats}")
    ctx = _Context(suite, StyleLibrary.for_suite(suite.path), tuple(search_dirs(suite.path, "prompts")), out)
    applied: set[str] = set()
    variants = suite.variants
    filtered = {  # the variants an only:/skip: keeps from some cases
        n for n in chosen if (v := variants.get(n)) is not None and (v.only is not None or v.skip is not None)
    }
    for index, case in enumerate(suite.cases):
        ctx.case_checks(index, case)
        mine = (
            [n for n in chosen if n not in filtered or variants[n].applies_to(case.id, case.tags)]
            if filtered
            else chosen
        )
        applied.update(mine)
        if not ctx.expand_plain(index, case, mine, repeats):
            for name in mine:
                ctx.expand_case(index, case, name, repeats)
    for name in chosen:
        if name not in applied and suite.cases:
            file, line = suite.where("variants", name)
            out.warn(f"{file}:{line}: variant '{name}': its only:/skip: leave it no case (a typo in a tag?)")
    for warning in unused_var_warnings(suite, ctx.template_dirs):
        out.warn(warning)
    return out.finish()


@dataclass
class _Context:
    suite: Suite
    styles: StyleLibrary
    template_dirs: tuple[Path, ...]
    out: Expansion
    _style_cache: dict[str, ResolvedStyle | None] = field(default_factory=dict)
    _decoded: dict[Path, str | None] = field(default_factory=dict)
    _checked: dict[str, ValueError | None] = field(default_factory=dict)
    # a spec object already checked (suite-level entries are one object shared by every case) -> result
    _checked_ids: dict[int, tuple[dict[str, Any], ValueError | None]] = field(default_factory=dict)
    _rules: dict[str, ValueError | None] = field(default_factory=dict)
    # settings of a case that sets none itself depend only on the variant, the style and the output
    _configs: dict[tuple[str, str | None, str], tuple[Resolved, GenConfig]] = field(default_factory=dict)
    _lines: dict[Loc, int | None] = field(default_factory=dict)
    _expects: dict[tuple[Loc, str | None], tuple[dict[str, Any], ...]] = field(default_factory=dict)
    _affixes: dict[str, tuple[str, str] | tuple[()] | None] = field(default_factory=dict)
    _longest: dict[str, int | None] = field(default_factory=dict)  # model -> the longest prompt it takes

    def __post_init__(self) -> None:
        self.suite_name, self.suite_path = self.suite.name, self.suite.path
        self._known_variants = frozenset(self.suite.variant_names())

    def line(self, loc: Loc) -> int | None:
        """The suite line of `loc`, looked up once however many variants and repeats ask."""
        if loc not in self._lines:
            self._lines[loc] = self.suite.line(*loc)
        return self._lines[loc]

    def err(self, message: str, loc: Loc, case: str | None = None, hint: str | None = None) -> None:
        self.out.error(suite_error(self.suite, message, loc, case, hint))

    def case_checks(self, index: int, case: Case) -> None:
        """Checks that do not depend on the variant: image files and the pass rule."""
        loc: Loc = ("cases", index)
        if case.inputs:
            self._files(case.inputs, (*loc, "inputs"), case.id)
        if case.references:
            self._files(case.references, (*loc, "references"), case.id)
        for j, step in enumerate(case.chain or ()):
            self._files(step.inputs, (*loc, "chain", j, "inputs"), case.id)
            self._files(step.references, (*loc, "chain", j, "references"), case.id)
        if case.pass_rule not in self._rules:
            try:
                scoring_checks()[1](case.pass_rule)
                self._rules[case.pass_rule] = None
            except ValueError as exc:
                self._rules[case.pass_rule] = exc
        problem = self._rules[case.pass_rule]
        if problem is not None:
            self.err(
                f"pass rule '{case.pass_rule}': {problem}",
                (*loc, "pass"),
                case.id,
                "use all, any, or a rule harness.scoring accepts",
            )

    def _files(self, paths: list[str], loc: Loc, case: str) -> None:
        for k, rel in enumerate(paths):
            path = self.suite.where(*loc)[0].parent / rel
            problem = outside_problem(path, self.suite.path, "image")
            if problem is not None:
                self.err(problem, (*loc, k), case, ALLOW_HINT)
            elif not path.is_file():
                self.err(
                    f"image file not found: {rel} (looked for {path})",
                    (*loc, k),
                    case,
                    "paths are relative to the suite file; fix the path or add the image",
                )
            elif (bad := self.image_problem(path)) is not None:
                self.err(f"image {path}: {bad}", (*loc, k), case, "replace it with a PNG, JPEG or WebP file")

    def image_problem(self, path: Path) -> str | None:
        """Decoded once per file per validation, however many cases and variants use it."""
        key = path.resolve()
        if key not in self._decoded:
            self._decoded[key] = image_problem(key)
        return self._decoded[key]

    def style(self, name: str, loc: Loc, case: str) -> ResolvedStyle | None:
        if name not in self.styles.files:
            self.err(
                f"unknown style '{name}'.{did_you_mean(name, self.styles.files)}",
                loc,
                case,
                f"available styles: {', '.join(self.styles.names()) or '(none)'} "
                f"(in {', '.join(map(str, self.styles.dirs))})",
            )
            return None
        if name not in self._style_cache:
            try:
                self._style_cache[name] = self.styles.resolve(name)
            except HarnessError as exc:
                self.out.error(exc)
                self._style_cache[name] = None
        return self._style_cache[name]

    def expand_plain(self, index: int, case: Case, names: list[str], repeats: int | None) -> bool:
        """The lean path of a plain case, under every variant in `names`: one step with a literal prompt,
        no chain, style, template or settings of its own, under variants that add only settings and a
        prefix/suffix, whose settings an earlier case already resolved without a problem. It builds the
        plans `expand_case` would; False, having added nothing, when the case needs that general path
        (which then also reports whatever problem made this one step aside)."""
        xfail = case.xfail
        if (
            case.chain is not None
            or case.prompt is None
            or case.template is not None
            or case.style
            or not _CONFIG_KEYS.isdisjoint(case.model_fields_set)
            or not (xfail is None or isinstance(xfail, str) or self._known_variants >= xfail.keys())
        ):
            return False
        made: list[tuple[str, str, GenConfig]] = []
        body: str | None = None
        output = case.output
        for name in names:
            affixes = self._plain_affixes(name)
            cached = self._configs.get((name, None, output))
            if affixes is None or cached is None:
                return False
            if affixes:
                body = spaced(case.prompt) if body is None else body
                prompt = join_spaced([affixes[0], body, affixes[1]])
            else:
                prompt = case.prompt
            gen = cached[1]
            if gen.model not in self._longest:
                self._longest[gen.model] = models.max_prompt_chars(gen.model)
            longest = self._longest[gen.model]
            if longest is not None and len(prompt) > longest:
                return False
            made.append((name, prompt, gen))
        loc: Loc = ("cases", index)
        errors_before = len(self.out.errors)
        expect = self._case_expect(case, case, loc, 0, 1, None)  # the general path's first problem, if any
        if len(self.out.errors) > errors_before:
            return False
        inputs = tuple(self.suite.dir / p for p in case.inputs) if case.inputs else ()
        refs = tuple(self.suite.dir / p for p in case.references) if case.references else ()
        kind: StepKind = "analyze" if output == "text" else ("edit" if inputs else "generate")
        count = repeats or case.repeats or self.suite.defaults.repeats
        line = self.line(loc)
        for name, prompt, gen in made:
            step = StepPlan(
                index=0,
                kind=kind,
                prompt=prompt,
                config=gen,
                inputs=inputs,
                references=refs,
                expect=expect,
                line=line,
            )
            reason = xfail if xfail is None or isinstance(xfail, str) else xfail.get(name)
            self._add_trials(case, name, (step,), count, line, None, reason)
        return True

    def _plain_affixes(self, name: str) -> tuple[str, str] | tuple[()] | None:
        """What variant `name` does to a plain case's prompt: () nothing (no variant), its spaced prefix
        and suffix, or None when it does more (a style, a prompt or template of its own)."""
        if name not in self._affixes:
            variant = self.suite.variants.get(name)
            if variant is None:
                self._affixes[name] = ()
            elif variant.style or variant.prompt is not None or variant.template is not None:
                self._affixes[name] = None
            else:
                self._affixes[name] = spaced(variant.prompt_prefix), spaced(variant.prompt_suffix)
        return self._affixes[name]

    def expand_case(self, index: int, case: Case, variant_name: str, repeats: int | None) -> None:
        variant = self.suite.variants.get(variant_name)
        sources: list[tuple[Case | Step, Loc]] = (
            [(case, ("cases", index))]
            if case.chain is None
            else [(step, ("cases", index, "chain", j)) for j, step in enumerate(case.chain)]
        )
        if not sources:
            return
        errors_before = len(self.out.errors)
        steps: list[tuple[StepPlan, Resolved]] = []
        applied: set[str] = set()
        for j, (item, loc) in enumerate(sources):
            start = steps[0][1] if j > 0 and steps else None
            built = self._step(index, case, item, loc, j, len(sources), variant, variant_name, applied, start)
            if built is not None:
                steps.append(built)
        if len(self.out.errors) > errors_before or len(steps) != len(sources):
            return
        first_model = steps[0][0].config.model
        for (plan, resolved), (_, loc) in zip(steps[1:], sources[1:], strict=True) if len(steps) > 1 else ():
            if plan.config.model != first_model:
                file, line, label = resolved.where("model")
                self.out.error(
                    SuiteError(
                        f"chain step {plan.index} switches the model to '{plan.config.model}' "
                        f"(set by {label}); "
                        f"a chain is one conversation with one model ('{first_model}')",
                        file=file,
                        line=line or self.suite.line(*loc),
                        case=case.id,
                        key="model",
                        hint="drop 'model:' from the step; use a variant to compare models",
                    )
                )
                return
        style_name = (
            case.style if case.chain is None else next((s.style for s, _ in sources if s.style), None)
        ) or (variant.style if variant else None)
        style = self._style_cache.get(style_name) if style_name else None
        xfail = self._xfail(index, case, variant_name)
        count = repeats or case.repeats or self.suite.defaults.repeats
        plan_steps = (steps[0][0],) if len(steps) == 1 else tuple(p for p, _ in steps)
        self._add_trials(case, variant_name, plan_steps, count, self.line(("cases", index)), style, xfail)

    def _add_trials(
        self,
        case: Case,
        variant_name: str,
        steps: tuple[StepPlan, ...],
        count: int,
        line: int | None,
        style: ResolvedStyle | None,
        xfail: str | None,
    ) -> None:
        """The `count` repeats of a case under one variant, from either expansion path."""
        tags = tuple(case.tags)
        for r in range(count):
            self.out.plans.append(
                TrialPlan(
                    suite=self.suite_name,
                    suite_path=self.suite_path,
                    case=case.id,
                    variant=variant_name,
                    repeat=r,
                    steps=steps,
                    style=style.name if style else None,
                    style_version=style.version if style else None,
                    group=case.group,
                    tags=tags,
                    pass_rule=case.pass_rule,
                    line=line,
                    output=case.output,
                    description=case.description,
                    xfail=xfail,
                )
            )

    def _xfail(self, index: int, case: Case, variant_name: str) -> str | None:
        """The case's known-failure reason for this variant; an unknown variant name is an error."""
        if case.xfail is None or isinstance(case.xfail, str):
            return case.xfail
        known = self._known_variants
        for name in case.xfail:
            if name not in known:
                file, line = self.suite.where("cases", index, "xfail", name)
                self.out.error(
                    SuiteError(
                        f"xfail names variant '{name}', which the suite does not define",
                        file=file,
                        line=line,
                        case=case.id,
                        key="xfail",
                        hint=f"use one of: {', '.join(sorted(known))}",
                    )
                )
        return case.xfail.get(variant_name)

    def _step(
        self,
        index: int,
        case: Case,
        item: Case | Step,
        loc: Loc,
        j: int,
        total: int,
        variant: Variant | None,
        variant_name: str,
        applied: set[str],
        chain_start: Resolved | None = None,
    ) -> tuple[StepPlan, Resolved] | None:
        style_loc, style_name = _style_source(case, item, loc, index, variant, variant_name)
        style = self.style(style_name, style_loc, case.id) if style_name else None
        output = output_of(case, item)
        resolved = self._config(case, item, loc, variant_name, variant, style, output, chain_start)
        config, gen = resolved if resolved is not None else (None, None)
        prompt, styled = self._prompt(case, item, loc, index, variant, variant_name, style)
        if prompt is None or config is None or gen is None or (style_name and style is None):
            return None  # the prompt and settings were still checked, so their problems are listed too
        expect = self._case_expect(case, item, loc, j, total, style if styled else None)
        if style is not None and styled:
            promise_conflicts(style, config, case.id, self.out)
        is_step = isinstance(item, Step)
        given_inputs = [*(case.inputs if j == 0 else ()), *(item.inputs if is_step else ())]
        given_refs = [*(case.references if j == 0 else ()), *(item.references if is_step else ())]
        inputs = [self.suite.dir / p for p in given_inputs] if given_inputs else []
        refs = [self.suite.dir / p for p in given_refs] if given_refs else []
        if style is not None and styled and style.name not in applied:
            applied.add(style.name)
            for ref in style.references:
                what = f"style '{style.name}' reference"
                problem = outside_problem(ref, self.suite.path, what, *self.styles.dirs)
                if problem is None and not ref.is_file():
                    problem = f"style '{style.name}' reference image not found: {ref}"
                elif problem is None and (bad := self.image_problem(ref)) is not None:
                    problem = f"style '{style.name}' reference image {ref}: {bad}"
                if problem is not None:
                    self.out.error(
                        SuiteError(
                            problem,
                            file=style.file,
                            key="references",
                            case=case.id,
                            hint=f"paths in a preset are relative to the preset file; {ALLOW_HINT}",
                        )
                    )
            refs = list(style.references) + refs
        own = len(case.references) + (len(item.references) if is_step else 0)
        if len(refs) > MAX_REFERENCES >= own:  # a case over the limit on its own is reported at load
            self.err(
                f"{len(refs)} reference images (style and case together); at most {MAX_REFERENCES}",
                loc,
                case.id,
                "drop references from the case or the style",
            )
        too_long = models.check_prompt_length(config.values["model"], prompt)
        if too_long:
            self.err(too_long, loc, case.id, "shorten the prompt or its vars (a template's output counts)")
        kind: StepKind = "analyze" if output == "text" else ("edit" if j > 0 or inputs else "generate")
        return StepPlan(
            index=j,
            kind=kind,
            prompt=prompt,
            config=gen,
            inputs=tuple(inputs),
            references=tuple(refs),
            expect=expect,
            line=self.line(loc),
        ), config

    def _config(
        self,
        case: Case,
        item: Case | Step,
        loc: Loc,
        variant_name: str,
        variant: Variant | None,
        style: ResolvedStyle | None,
        output: str,
        chain_start: Resolved | None,
    ) -> tuple[Resolved, GenConfig] | None:
        """The step's layered settings, checked; resolved once for all the cases that set none of their
        own (a dataset's rows) when resolving them raised no problem and no warning."""
        plain = (
            chain_start is None
            and not isinstance(item, Step)
            and _CONFIG_KEYS.isdisjoint(case.model_fields_set)
        )
        key = (variant_name, style.name if style else None, output)
        if plain and key in self._configs:
            return self._configs[key]
        before = (len(self.out.errors), len(self.out.warnings))
        named = (variant_name, variant) if variant is not None else None
        config = resolve_config(self.suite, case, item, loc, named, style, self.out, chain_start)
        if config is None:
            return None
        made = config, gen_config(config, output)
        if plain and before == (len(self.out.errors), len(self.out.warnings)):
            self._configs[key] = made
        return made

    def _prompt(
        self,
        case: Case,
        item: Case | Step,
        loc: Loc,
        index: int,
        variant: Variant | None,
        variant_name: str,
        style: ResolvedStyle | None,
    ) -> tuple[str | None, bool]:
        """The rendered prompt and whether the style wrapped it (`edit:` steps are left as written)."""
        edit = item.edit if isinstance(item, Step) else None
        if edit is not None:
            return edit, False
        source, source_loc = prompt_source(item, loc, variant, variant_name)
        if variant is not None and source is item and self._shadows(case, item, loc, variant, variant_name):
            return None, False
        if source.prompt is None and source.template is None:
            by_variant = f" and variant '{variant_name}' gives none" if variant is not None else ""
            self.err(
                f"no prompt: give 'prompt:' or 'template:'{by_variant}",
                loc,
                case.id,
                'add prompt: "..." or template: NAME with vars:',
            )
            return None, False
        body = source.prompt
        if source.template is not None:
            variables: dict[str, Any] = {
                **(style.vars if style else {}),
                **(variant.vars if variant else {}),
                **case.vars,
                **(item.vars if isinstance(item, Step) else {}),
            }
            variables.update(
                case_id=case.id,
                variant=variant_name,
                step=loc[-1] if len(loc) > 2 else 0,
                style=style.template_vars() if style else None,
            )
            file, line = self.suite.where(*source_loc, "template")
            try:
                body = render(
                    source.template,
                    variables,
                    self.template_dirs,
                    file=file,
                    line=line,
                    case=case.id,
                )
            except SuiteError as exc:
                self.out.error(exc)
                return None, False
        assert body is not None
        if variant is not None:
            body = join_sentences(variant.prompt_prefix, body, variant.prompt_suffix)
        return (style.wrap(body) if style else body), style is not None

    def _shadows(self, case: Case, item: Case | Step, loc: Loc, variant: Variant, variant_name: str) -> bool:
        """A variant's prompt that the case's own prompt/template replaces would send both arms the same
        prompt, and the diff would say 'no difference': an error naming both lines."""
        given = (
            "prompt" if variant.prompt is not None else ("template" if variant.template is not None else None)
        )
        if given is None:
            return False
        own = next((k for k in ("prompt", "template") if getattr(item, k) is not None), None)
        if given is None or own is None:
            return False
        v_file, v_line = self.suite.where("variants", variant_name, given)
        c_file, c_line = self.suite.where(*loc, own)
        v_where = f"line {v_line}" if v_file == c_file else f"{v_file}:{v_line}"
        self.out.error(
            SuiteError(
                f"variant '{variant_name}' sets {given}: at {v_where}, but this case's own {own}: at line "
                f"{c_line} replaces it: every arm would send the case's prompt and the diff would show no "
                "difference",
                file=c_file,
                line=c_line,
                case=case.id,
                key=own,
                hint=f"drop the case's {own}:, or leave the case out of the variant with "
                f"'skip: {{cases: [{case.id}]}}' (or 'only:') under variants.{variant_name}",
            )
        )
        return True

    def _case_expect(
        self, case: Case, item: Case | Step, loc: Loc, j: int, total: int, style: ResolvedStyle | None
    ) -> tuple[dict[str, Any], ...]:
        """The step's expectations, checked once: the same for every variant that keeps its style."""
        key = (loc, style.name if style is not None else None)
        expect = self._expects.get(key)
        if expect is None:
            expect = self._expects[key] = tuple(self._expect(case, item, loc, j, total, style))
        return expect

    def _expect(
        self, case: Case, item: Case | Step, loc: Loc, j: int, total: int, style: ResolvedStyle | None
    ) -> list[dict[str, Any]]:
        """Style promises first, then the step's own; a chain's case-level `expect:` scores its last step.
        An entry is looked up in the file only when its check fails (most never do)."""
        specs: list[dict[str, Any]] = [p.spec for p in style.promises] if style is not None else []
        specs += item.expect
        last = isinstance(item, Step) and j == total - 1
        if last:
            specs += case.expect
        check = scoring_checks()[0]
        problems: list[tuple[int, ValueError]] = []
        for k, spec in enumerate(specs):
            if len(spec) != 1:
                continue  # reported at load
            try:
                self._check_expectation(check, spec)
            except ValueError as exc:
                problems.append((k, exc))
        if not problems:
            return specs
        where = [(p.file, p.line) for p in style.promises] if style is not None else []
        where += [w for _, w in self._located(item.expect, (*loc, "expect"))]
        if last:
            where += [w for _, w in self._located(case.expect, ("cases", loc[1], "expect"))]
        for k, exc in problems:
            file, line = where[k]
            self.out.error(
                SuiteError(
                    f"expectation {specs[k]!r}: {exc}",
                    file=file,
                    line=line,
                    case=case.id,
                    key="expect",
                    hint="see the scorer list in the README",
                )
            )
        return specs

    def _check_expectation(self, check: Any, spec: dict[str, Any]) -> None:
        """The scorer's own check of one entry, once per distinct entry (a dataset repeats them)."""
        seen = self._checked_ids.get(id(spec))
        if seen is not None and seen[0] is spec:
            if seen[1] is not None:
                raise seen[1]
            return
        key = json.dumps(spec, sort_keys=True, default=str)
        if key not in self._checked:
            try:
                check(spec, self.suite.dir)
                self._checked[key] = None
            except ValueError as exc:
                self._checked[key] = exc
        problem = self._checked[key]
        self._checked_ids[id(spec)] = (spec, problem)
        if problem is not None:
            raise problem

    def _located(self, specs: list[Any], loc: Loc) -> list[tuple[dict[str, Any], tuple[Path, int | None]]]:
        """Each loaded expectation with the file and line that wrote it (a suite-level entry or a named set
        folded into a case points at the suite's lines, not the case's)."""
        origin = self.suite.origin(int(loc[1]))
        at = origin.expect_at.get(tuple(loc[2:-1])) if origin else None
        if at is None or len(at) != len(specs):
            return [(spec, self.suite.where(*loc, k)) for k, spec in enumerate(specs)]
        return list(zip(specs, at, strict=True))


def _style_source(
    case: Case, item: Case | Step, loc: Loc, index: int, variant: Variant | None, variant_name: str
) -> tuple[Loc, str | None]:
    if isinstance(item, Step) and item.style:
        return (*loc, "style"), item.style
    if case.style:
        return ("cases", index, "style"), case.style
    if variant is not None and variant.style:
        return ("variants", variant_name, "style"), variant.style
    return loc, None
