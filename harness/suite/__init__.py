"""Suites: YAML -> checked models -> rendered, fully resolved TrialPlans, with no request sent.

Rules worth knowing (the README's suite section says the same):
- Settings precedence: suite defaults < style `image:` < variant < case < chain step. An explicit `null`
  clears a value (e.g. `seed: null`). A chain step may not change the model.
- Prompt source: a step's (or case's) `prompt:`/`template:`/`edit:`; when it gives none, the variant's
  `prompt:`/`template:`. Template vars: style vars < variant vars < case vars < step vars, plus `case_id`,
  `variant`, `step` and `style` (the preset as a mapping, or None). A case, step or variant var that no
  template it renders with reads (through extends/include/import too) is a warning, with a did-you-mean.
- Wrapping: style prefix, variant prompt_prefix, body, variant prompt_suffix, style suffix, then the style's
  negative hints folded into "without a, b or c". `edit:` steps are sent exactly as written.
- Style promises (`expect:` in a preset) are prepended to the expectations of every step the style wrapped
  (for a chain: its prompt/template steps, not its `edit:` steps). A chain's case-level `expect:` scores the
  chain's final step.
- Paths (inputs, references) are relative to the suite file; a preset's references to the preset file.
- Repeats are numbered from 0: trial ids read `suite::case[variant-r0]`.
- Cases are built once, at load (`sources.build_cases`): the suite's own (a `matrix:` case becomes one case
  per combination), then one per row of each `cases_from:` file, then of each `dataset:`. The suite-level
  `expect:` and named sets are folded into every case's `expect:` there; `Suite.where` gives the file and
  line that wrote any part of a case (its data row, or the matrix case it came from).
- A variant runs on the cases its `only:`/`skip:` leave it; a variant prompt that a case's own prompt
  would replace is an error.
"""

from __future__ import annotations

from harness.suite.expand import Expansion, expand, expand_all
from harness.suite.load import load_suite
from harness.suite.schema import Case, Step, StylePreset, Suite, Variant
from harness.suite.styles import ResolvedStyle, StyleLibrary
from harness.suite.validate import ValidationReport, validate

__all__ = [
    "Case",
    "Expansion",
    "ResolvedStyle",
    "Step",
    "StyleLibrary",
    "StylePreset",
    "Suite",
    "ValidationReport",
    "Variant",
    "expand",
    "expand_all",
    "load_suite",
    "validate",
]
