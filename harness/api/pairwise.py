"""Pairwise judging of two arms: choose the pairs, open each suite's judge transport, ask, summarise.

The judge's requests go through the same SDK and transport as a run, under the suite's cassette, so by
default they replay (CI needs no key). `mode="auto"` records the answers a cassette lacks (with
`backend="emulator"`, from the local emulator's scene-based pairwise judge). A pair is one case, repeat
and step both arms produced an image for: the last such step of the trial (a chain's final frame). The
judge reads the request of arm A, the reference arm, so a variant that rewrites B's prompt is judged
against what A was asked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.context import RequestContext
from harness.diff import DiffResult
from harness.diff.align import Arm
from harness.diff.preference import PairOutcome, PreferenceSummary, preference_gate, summarize_preference
from harness.errors import UsageError
from harness.record import ImageRef, TrialRecord
from harness.scoring.pairwise import PairwiseSettings, Shown, judge_pair

CONCURRENCY = 4


@dataclass(frozen=True)
class JudgeOptions:
    """How the pairwise judge is reached and asked; None fields come from the suite."""

    mode: str | None = None  # transport mode; default: the suite's `mode:`, else replay
    backend: str | None = None  # gemini (default) or emulator, as for `harness run`
    base_url: str | None = None
    model: str | None = None
    rubric: str | None = None
    concurrency: int = CONCURRENCY


@dataclass(frozen=True)
class Side:
    run_dir: Path
    variant: str
    image: ImageRef


@dataclass(frozen=True)
class Pair:
    suite: str
    case: str
    variant: str  # the alignment key: "" when both arms are single variants
    repeat: int
    step: int
    prompt: str
    a: Side
    b: Side


def arm_records(arm: Arm) -> list[TrialRecord]:
    """The trials of this arm (a `run:variant` arm is one variant of its run)."""
    variants = set(arm.variants)
    return [r for r in arm.run.trials if r.variant in variants]


def _last_shared_step(ra: TrialRecord, rb: TrialRecord) -> int | None:
    steps = zip(ra.steps, rb.steps, strict=False)
    shared = [i for i, (sa, sb) in enumerate(steps) if sa.images and sb.images]
    return shared[-1] if shared else None


def select_pairs(a: Arm, b: Arm, reference: Arm | None = None) -> list[Pair]:
    """Trials aligned by (suite, case, variant when several, repeat), as the diff aligns them. The judge
    reads the request of `reference` (default A) for that case and step, so every pair of a comparison
    is judged against the same request."""
    keep_variant = len(a.variants) > 1 or len(b.variants) > 1
    asked = {(r.suite, r.case): [s.prompt for s in r.steps] for r in arm_records(reference or a)}

    def key(r: TrialRecord) -> tuple[str, str, str, int]:
        return (r.suite, r.case, r.variant if keep_variant else "", r.repeat)

    others = {key(r): r for r in arm_records(b)}
    pairs = []
    for ra in sorted(arm_records(a), key=key):
        rb = others.get(key(ra))
        step = None if rb is None else _last_shared_step(ra, rb)
        if rb is None or step is None:
            continue
        prompts = asked.get((ra.suite, ra.case), [])
        prompt = prompts[step] if step < len(prompts) else ra.steps[step].prompt
        pairs.append(
            Pair(
                ra.suite,
                ra.case,
                key(ra)[2],
                ra.repeat,
                step,
                prompt,
                Side(a.dir, ra.variant, ra.steps[step].images[0]),
                Side(b.dir, rb.variant, rb.steps[step].images[0]),
            )
        )
    return pairs


def suite_paths(*arms: Arm) -> dict[str, Path]:
    """Each suite's file as the runs' manifests name it (the first arm that names it wins)."""
    out: dict[str, Path] = {}
    for arm in arms:
        for ref in arm.manifest.suites:
            out.setdefault(ref.name, Path(ref.path))
    return out


@dataclass
class JudgeSessions:
    """One transport session and client per suite, opened on first use, closed (cassettes saved) on exit."""

    options: JudgeOptions
    paths: dict[str, Path]
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _clients: dict[str, tuple[Any, PairwiseSettings]] = field(default_factory=dict)
    _emulator_url: str | None = None
    modes: set[str] = field(default_factory=set)

    def __enter__(self) -> JudgeSessions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def open(self, suite_name: str) -> tuple[Any, PairwiseSettings]:
        if suite_name not in self._clients:
            self._clients[suite_name] = self._open(suite_name)
        return self._clients[suite_name]

    def _open(self, suite_name: str) -> tuple[Any, PairwiseSettings]:
        from harness.api.run import choose_backend
        from harness.runner.client import API_VERSION, build_client, resolve_api_key
        from harness.suite import load_suite
        from harness.transport import Mode, TransportSession, cassette_path, resolve_mode

        path = self.paths.get(suite_name)
        if path is None or not path.is_file():
            raise UsageError(
                f"the suite file of '{suite_name}' ({path or 'not in the manifest'}) is not found: "
                "the pairwise judge records under that suite's cassette",
                hint="run harness from the folder the runs were made in",
            )
        suite = load_suite(path)
        settings = pairwise_settings(suite, self.options)
        mode = resolve_mode(cli=self.options.mode, suite=suite.mode or "replay")
        self.modes.add(str(mode))
        label = choose_backend(self.options.backend, self.options.base_url)
        url = self.options.base_url
        if label == "emulator" and url is None and mode is not Mode.REPLAY:
            url = self._emulator()
        cassette = None if mode is Mode.LIVE else cassette_path(suite.path, suite.name, suite.cassettes)
        if mode is Mode.REPLAY and cassette is not None and not cassette.exists():
            raise UsageError(
                f"no recorded judge answers for suite '{suite.name}': {cassette} does not exist",
                hint="record them: add --mode auto (with --backend emulator for emulator runs, or a key "
                "for Gemini) to this command",
            )
        session = self.stack.enter_context(
            TransportSession(mode, cassette, suite=suite.name, suite_path=suite.path)
        )
        options = session.http_options(base_url=url, api_version=API_VERSION)
        return build_client(resolve_api_key(label, str(mode)), options), settings

    def settings(self) -> dict[str, dict[str, Any]]:
        """The judge settings of every suite opened, as recorded in a result."""
        return {name: s.describe() for name, (_, s) in self._clients.items()}

    def _emulator(self) -> str:
        if self._emulator_url is None:
            from harness.emulator import Emulator

            self._emulator_url = self.stack.enter_context(Emulator()).url
        return self._emulator_url


def pairwise_settings(suite: Any, options: JudgeOptions) -> PairwiseSettings:
    """The judge model, temperature and rubric: options first, then the suite's `judge: pairwise:`."""
    from harness.suite.schema import Judge, PairwiseJudge

    judge = suite.judge or Judge()
    extra = judge.pairwise if isinstance(judge.pairwise, PairwiseJudge) else PairwiseJudge()
    return PairwiseSettings(
        model=options.model or extra.model or judge.model,
        temperature=judge.temperature,
        rubric=options.rubric or extra.rubric,
    )


def suite_wants_pairwise(*arms: Arm) -> bool:
    """Whether a suite of these runs sets `judge: {pairwise: ...}` (a missing suite file says no)."""
    from harness.suite import load_suite

    for path in suite_paths(*arms).values():
        if path.is_file():
            with contextlib.suppress(Exception):  # an unreadable suite just does not switch it on
                judge = load_suite(path).judge
                if judge is not None and judge.pairwise:
                    return True
    return False


def _shown(side: Side) -> Shown:
    return Shown((side.run_dir / side.image.path).read_bytes(), side.image.mime)


def judge_one(sessions: JudgeSessions, pair: Pair) -> PairOutcome:
    client, settings = sessions.open(pair.suite)
    ctx = RequestContext(
        pair.suite, pair.case, f"{pair.a.variant}|{pair.b.variant}", pair.repeat, pair.step, "pairwise"
    )
    j = judge_pair(client, _shown(pair.a), _shown(pair.b), pair.prompt, settings, ctx)
    return PairOutcome(
        suite=pair.suite,
        case=pair.case,
        variant=pair.variant,
        repeat=pair.repeat,
        step=pair.step,
        winner=j.winner,
        consistent=j.consistent,
        a_first=j.a_first,
        b_first=j.b_first,
        reason=j.reason,
        image_a=pair.a.image.path,
        image_b=pair.b.image.path,
        sha_a=pair.a.image.sha256,
        sha_b=pair.b.image.sha256,
        error=j.error,
    )


def judge_pairs(sessions: JudgeSessions, pairs: list[Pair]) -> list[PairOutcome]:
    """Every pair judged (both orders), in the order given; suites are opened before the threads start."""
    for name in dict.fromkeys(p.suite for p in pairs):
        sessions.open(name)
    workers = max(1, sessions.options.concurrency)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: judge_one(sessions, p), pairs))


@contextlib.contextmanager
def judge_sessions(options: JudgeOptions, *arms: Arm) -> Iterator[JudgeSessions]:
    with JudgeSessions(options, suite_paths(*arms)) as sessions:
        yield sessions


def pairwise_diff(a: Arm, b: Arm, options: JudgeOptions | None = None, *, seed: int = 0) -> PreferenceSummary:
    """B's win rate over A by the pairwise judge, with its interval, sign test, ties and order bias."""
    options = options or JudgeOptions()
    pairs = select_pairs(a, b)
    with judge_sessions(options, a, b) as sessions:
        outcomes = judge_pairs(sessions, pairs)
        settings = {"suites": sessions.settings(), "modes": sorted(sessions.modes)}
    return summarize_preference(outcomes, settings=settings, seed=seed)


def with_preference(
    result: DiffResult, pairwise: bool | None = None, options: JudgeOptions | None = None, *, seed: int = 0
) -> DiffResult:
    """A diff with the pairwise verdict added when asked (`pairwise` True, or None and a suite sets
    `judge: {pairwise: ...}`, or `--fail-on preference`), and gated on it under `--fail-on preference`."""
    al = result.comparison.alignment
    wanted = pairwise if pairwise is not None else suite_wants_pairwise(al.a, al.b)
    if not wanted and result.fail_on != "preference":
        return result
    result.preference = pairwise_diff(al.a, al.b, options, seed=seed)
    if result.fail_on == "preference":
        result.exit_code, result.gate_reason = preference_gate(result.preference)
    return result
