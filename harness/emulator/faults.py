"""Fault injection: a small spec grammar (see README-faults.md) and seeded, per-request decisions.

A decision depends only on (seed, rule, request digest, how many times that request was seen), so a
run is reproducible even under concurrency, and a retried request can succeed where its first try failed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

ACTIONS = {"drop", "truncate", "block_prompt", "block_output", "no_image", "slow"}
BATCH_FAULTS = {"failed", "expired"}
OPTIONS = {"retry_after", "retry_info", "first", "model", "reason"}
# Built-in safety rules, as the real models refuse such prompts.
OUTPUT_BLOCK_WORDS = {"gore", "gory", "bloody", "gruesome"}
PROMPT_BLOCK_WORDS = {"nude", "naked", "explicit", "nsfw"}
_FAULT_RE = re.compile(
    r"^(?P<action>[a-z_]+|\d{3})(?:=(?P<value>[\d.]+))?(?:@(?P<prob>[\d.]+))?(?P<opts>(?::[^:]+)*)$"
)


class FaultSpecError(ValueError):
    """A fault spec that does not parse; the message names the clause and the accepted forms."""


@dataclass(frozen=True)
class Rule:
    action: str  # "429", "500", "drop", "truncate", "block_prompt", "block_output", "no_image", "slow"
    prob: float = 1.0
    seconds: float = 0.0  # for slow
    opts: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> int | None:
        return int(self.action) if self.action.isdigit() else None


@dataclass
class Decision:
    """What to do to one request: at most one fault, plus any extra delay."""

    rule: Rule | None = None
    delay: float = 0.0
    source: str = ""

    @property
    def action(self) -> str | None:
        return self.rule.action if self.rule else None


@dataclass
class FaultPlan:
    seed: int = 0
    rules: list[Rule] = field(default_factory=list)
    words: dict[str, Rule] = field(default_factory=dict)
    batch_fault: str | None = None  # "failed" or "expired": every batch job ends in that state
    batch_polls: int = 1  # GETs a batch job answers RUNNING before it finishes


def parse_rule(text: str) -> Rule:
    """One fault clause such as `429@0.2:retry_after=2`, `slow=2.5@0.1` or `block_output`."""
    m = _FAULT_RE.match(text.strip())
    if not m:
        raise FaultSpecError(
            f"fault clause {text!r} does not parse; expected ACTION[@PROB][:opt=value...], "
            "e.g. 429@0.2:retry_after=2, slow=2.5, drop@0.1"
        )
    action, value, prob, opts_text = m["action"], m["value"], m["prob"], m["opts"]
    if action.isdigit():
        if not 400 <= int(action) <= 599:
            raise FaultSpecError(f"fault clause {text!r}: HTTP status must be 4xx or 5xx")
    elif action not in ACTIONS:
        raise FaultSpecError(
            f"fault clause {text!r}: unknown action {action!r}; use a 4xx/5xx status or one "
            f"of {sorted(ACTIONS)}"
        )
    if (action == "slow") != (value is not None):
        raise FaultSpecError(f"fault clause {text!r}: only slow takes a value, and it needs one (slow=2.5)")
    opts: dict[str, str] = {}
    for opt in filter(None, opts_text.split(":")):
        key, _, val = opt.partition("=")
        if key not in OPTIONS or not val:
            raise FaultSpecError(
                f"fault clause {text!r}: bad option {opt!r}; options are "
                f"{', '.join(sorted(OPTIONS))} as name=value"
            )
        opts[key] = val
    p = float(prob) if prob is not None else 1.0
    if not 0.0 <= p <= 1.0:
        raise FaultSpecError(f"fault clause {text!r}: probability must be between 0 and 1")
    return Rule(action, p, float(value or 0.0), opts)


def parse_spec(spec: str | None) -> FaultPlan:
    """`seed=7,429@0.2,word:BLOCKME=block_output` -> a FaultPlan."""
    plan = FaultPlan()
    for clause in filter(None, (c.strip() for c in (spec or "").split(","))):
        if clause.startswith("seed="):
            try:
                plan.seed = int(clause[5:])
            except ValueError as exc:
                raise FaultSpecError(f"fault clause {clause!r}: seed must be an integer") from exc
        elif clause.startswith("batch="):
            plan.batch_fault = clause[6:].lower()
            if plan.batch_fault not in BATCH_FAULTS:
                raise FaultSpecError(f"fault clause {clause!r}: expected batch=failed or batch=expired")
        elif clause.startswith("batch_polls="):
            try:
                plan.batch_polls = int(clause[12:])
            except ValueError as exc:
                raise FaultSpecError(f"fault clause {clause!r}: batch_polls must be an integer") from exc
        elif clause.startswith("word:"):
            word, sep, fault = clause[5:].partition("=")
            if not sep or not word:
                raise FaultSpecError(
                    f"fault clause {clause!r}: expected word:WORD=ACTION, e.g. word:BLOCKME=503"
                )
            plan.words[word.lower()] = parse_rule(fault)
        else:
            plan.rules.append(parse_rule(clause))
    return plan


def _hit(plan_seed: int, tag: str, key: str, occurrence: int, rule: Rule) -> bool:
    if "first" in rule.opts and occurrence >= int(rule.opts["first"]):
        return False
    if rule.prob >= 1.0:
        return True
    h = hashlib.sha256(f"{plan_seed}|{tag}|{key}|{occurrence}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < rule.prob


def decide(
    plan: FaultPlan,
    *,
    key: str,
    occurrence: int,
    model: str,
    prompt_words: set[str],
    header: str | None = None,
) -> Decision:
    """The fault (if any) for one request: header rules, then trigger words, safety words, then rates."""
    candidates: list[tuple[str, Rule]] = []
    if header:
        candidates += [(f"header{i}", r) for i, r in enumerate(parse_spec(header).rules)]
    candidates += [(f"word:{w}", r) for w, r in plan.words.items() if w in prompt_words]
    if prompt_words & PROMPT_BLOCK_WORDS:
        candidates.append(("safety", Rule("block_prompt")))
    elif prompt_words & OUTPUT_BLOCK_WORDS:
        candidates.append(("safety", Rule("block_output")))
    candidates += [(f"rule{i}", r) for i, r in enumerate(plan.rules)]
    out = Decision()
    for tag, rule in candidates:
        if "model" in rule.opts and rule.opts["model"] != model:
            continue
        if not _hit(plan.seed, tag, key, occurrence, rule):
            continue
        if rule.action == "slow":
            out.delay += rule.seconds
        elif out.rule is None:
            out.rule, out.source = rule, tag
    return out


def seconds(value: str) -> float:
    """'1.5s' or '2' -> seconds."""
    return float(value.removesuffix("s"))
