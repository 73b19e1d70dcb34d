"""Facts defined once: the places that state them must agree (they once disagreed)."""

from __future__ import annotations

from pathlib import Path

from harness.analysis import trials_frame
from harness.diff.stats import arm_stats
from harness.models import DEFAULT_JUDGE_MODEL, STANDARD_RATIOS, canonical_model
from harness.record import TrialRecord
from harness.scoring.context import ScoringEnv
from harness.store import compute_totals
from harness.suite.discover import is_suite_file
from harness.suite.models import allowed_ratios
from harness.suite.schema import Judge


def _record(latency: float, **update: object) -> TrialRecord:
    fields = {
        "trial_id": f"s::c{latency}[v-r0]", "suite": "s", "case": f"c{latency}", "variant": "v", "repeat": 0,
        "model": "m", "prompt": "p", "outcome": "ok", "steps": [], "latency_s": latency,
        "started_at": "t", "finished_at": "t",
    }  # fmt: skip
    return TrialRecord(**{**fields, **update})


def test_latency_p95_is_the_same_in_the_manifest_and_the_diff() -> None:
    """Nearest rank everywhere: 10.0 for [1, 2, 3, 4, 10] (an interpolation said 8.8 in the diff)."""
    records = [_record(x) for x in (1.0, 2.0, 3.0, 4.0, 10.0)]
    frame = trials_frame(records)
    totals = compute_totals(records)
    arm = arm_stats("A", frame)
    assert totals.latency_p95_s == arm.latency_p95 == 10.0
    assert totals.latency_p50_s == arm.latency_p50 == 3.0


def test_the_default_judge_model_is_one_constant() -> None:
    assert Judge().model == ScoringEnv(run_dir=Path(".")).judge_model == DEFAULT_JUDGE_MODEL


def test_canonical_names_and_ratios() -> None:
    assert canonical_model("models/gemini-3.1-flash-image-preview") == "gemini-3.1-flash-image"
    assert set(allowed_ratios("gemini-3.1-flash-image")) == set(STANDARD_RATIOS)


def test_what_counts_as_a_failure() -> None:
    assert _record(1, passed=False).counts_as_failure
    assert _record(1, passed=None, outcome="error").counts_as_failure
    assert not _record(1, passed=None, outcome="no_image").counts_as_failure
    assert not _record(1, passed=True, outcome="error").counts_as_failure


def test_a_suite_file_is_recognised_by_its_top_level_key(tmp_path: Path) -> None:
    suite, broken, cassette, other = (tmp_path / n for n in ("a.yaml", "b.yml", "a.cassette.yaml", "c.yaml"))
    suite.write_text("# header\nsuite: a\ncases: []\n")
    broken.write_text("suite: b\ncases: [\n")  # too broken to parse: still a suite, so validate reports it
    cassette.write_text("suite: a\n")
    other.write_text("name: studio-white\n")
    assert [is_suite_file(p) for p in (suite, broken, cassette, other)] == [True, True, False, False]
