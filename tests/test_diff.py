"""The diff on synthetic runs whose every score, outcome and image is chosen here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image

from harness.analysis.synthetic import TrialSpec as T
from harness.analysis.synthetic import pattern_png, write_run
from harness.cli import main
from harness.diff import diff_runs
from harness.diff.stats import MIN_CASES, SMALL_SAMPLE, bootstrap_ci, sign_test
from harness.diff.verdict import gate, verdict
from harness.record import Manifest


def _phash_distance(a: bytes, b: bytes) -> int:
    import io

    return imagehash.phash(Image.open(io.BytesIO(a))) - imagehash.phash(Image.open(io.BytesIO(b)))


def known_runs(root: Path, extra_b: dict | None = None) -> tuple[Path, Path]:
    """Six cases, two repeats each, with one of every kind of difference."""
    a, b = [], []
    for r in range(2):
        # stable: identical everywhere
        a.append(T("stable", repeat=r, scores={"judge": (4, True)}, image_seed=1))
        b.append(T("stable", repeat=r, scores={"judge": (4, True)}, image_seed=1))
        # worse: judge flips pass->fail on both repeats; B costs more
        a.append(T("worse", repeat=r, scores={"judge": (5, True)}, image_seed=2))
        b.append(
            T("worse", repeat=r, passed=False, scores={"judge": (2, False)}, image_seed=2, cost_usd=0.12)
        )
        # better: fail->pass on one repeat of two (pass rate 0.5 -> 1.0)
        a.append(
            T("better", repeat=r, passed=r == 0, scores={"judge": (4 if r == 0 else 1, r == 0)}, image_seed=3)
        )
        b.append(T("better", repeat=r, scores={"judge": (4, True)}, image_seed=3))
        # drifted: same verdicts, the image changed (known phash distance)
        a.append(T("drifted", repeat=r, scores={"judge": (4, True)}, image_seed=4))
        b.append(
            T("drifted", repeat=r, scores={"judge": (4, True)}, image_seed=4, image_noise=6, latency_s=3.0)
        )
        # blocked: a chain whose last step is blocked in B; no verdicts on either side
        a.append(T("blocked", repeat=r, steps=2, passed=None, image_seed=5))
        b.append(T("blocked", repeat=r, steps=2, passed=None, outcome="blocked_output", image_seed=5))
        # only in A / only in B
        a.append(T("dropped", repeat=r))
        b.append(T("added", repeat=r))
    return write_run(root, "run-a", a), write_run(root, "run-b", b, extra=extra_b)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return known_runs(tmp_path_factory.mktemp("runs"))


def test_statuses_flips_outcomes_and_drift(runs: tuple[Path, Path]) -> None:
    result = diff_runs(*runs)
    cases = result.comparison.cases.set_index("case")
    assert cases["status"].to_dict() == {
        "worse": "regressed",
        "blocked": "regressed",
        "dropped": "missing",
        "better": "improved",
        "added": "new",
        "stable": "unchanged",
        "drifted": "unchanged",
    }
    assert list(result.comparison.cases["case"][:2]) == ["worse", "blocked"]  # regressions first
    assert cases.loc["worse", "pass_to_fail"] == 1 and cases.loc["worse", "flips"] == "judge pass->fail"
    # pass rate 0.5 already counts as passing (>= 0.5), so no flip: the pass-rate rise alone makes it improved
    assert cases.loc["better", "fail_to_pass"] == 0 and cases.loc["better", "delta"] == pytest.approx(0.5)
    assert cases.loc["worse", "delta"] == pytest.approx(-1.0)
    assert cases.loc["blocked", "outcome_changes"] == "@1 ok -> blocked_output"
    assert np.isnan(cases.loc["blocked", "delta"])  # no verdicts: status came from the outcome
    assert cases.loc["worse", "cost_delta"] == pytest.approx(0.08)
    assert cases.loc["drifted", "latency_delta"] == pytest.approx(1.0)
    expected = _phash_distance(pattern_png(4 * 31), pattern_png(4 * 31, noise=6))
    assert expected > 0
    assert cases.loc["drifted", "drift"] == expected
    assert cases.loc["stable", "drift"] == 0
    steps = result.comparison.steps.set_index(["case", "step"])
    assert steps.loc[("blocked", 0), "drift"] == 0 and np.isnan(steps.loc[("blocked", 1), "drift"])
    assert steps.loc[("drifted", 0), "drift_n"] == 2


def test_summary_counts_stats_and_verdict(runs: tuple[Path, Path]) -> None:
    result = diff_runs(*runs)
    s = result.summary
    assert s.counts == {"improved": 1, "regressed": 2, "unchanged": 2, "new": 1, "missing": 1}
    # paired cases with a verdict: stable, worse, better, drifted -> deltas 0, -1, +0.5, 0
    assert s.paired_cases == 4 and s.delta == pytest.approx(-0.125)
    assert s.cases_better == 1 and s.cases_worse == 1 and s.p_value == pytest.approx(1.0)
    assert s.significance == SMALL_SAMPLE
    a, b = s.arms
    assert (a.trials, a.passed, b.trials, b.passed) == (12, 9, 12, 8)
    assert a.cost_per_passing_image == pytest.approx(12 * 0.04 / 9)
    assert b.cost_per_passing_image == pytest.approx((10 * 0.04 + 2 * 0.12) / 8)
    assert (b.latency_p50, b.latency_p95) == (2.0, 3.0)
    assert result.verdict.startswith(
        "B is mixed: 2 cases worse, 1 case better, 1 new, 1 missing, pass rate -12.5 pp"
    )
    assert f"{SMALL_SAMPLE} (n=4)" in result.verdict
    assert result.exit_code == 1


def test_cli_exit_codes_and_json(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "d.json"
    assert main(["diff", str(runs[0]), str(runs[1]), "--json", str(out)]) == 1
    printed = capsys.readouterr().out
    assert printed.index("worse") < printed.index("better")  # regressions listed first
    assert "verdict" in printed
    data = json.loads(out.read_text())
    assert data["exit_code"] == 1 and data["summary"]["counts"]["regressed"] == 2
    worse = next(c for c in data["cases"] if c["case"] == "worse")
    assert worse["scorers"][0]["flip"] == "pass->fail" and worse["scorers"][0]["delta"] == -3
    assert worse["steps"][0]["drift"] == 0
    assert data["summary"]["ci"][0] <= data["summary"]["delta"] <= data["summary"]["ci"][1]
    assert main(["diff", str(runs[0]), str(runs[1]), "--fail-on", "never"]) == 0
    assert main(["diff", str(runs[0]), str(runs[1]), "--fail-on", "any-change"]) == 1
    assert main(["diff", str(runs[0]), str(runs[0]), "--fail-on", "any-change"]) == 0
    assert main(["diff", str(runs[0]), str(runs[0])]) == 0
    # a tolerance of 20 pp absorbs the -12.5 pp drop; 10 pp does not
    assert main(["diff", str(runs[0]), str(runs[1]), "--tolerance", "0.2"]) == 0
    assert main(["diff", str(runs[0]), str(runs[1]), "--tolerance", "0.1"]) == 1


@pytest.mark.parametrize("command", ["diff", "runs"])
def test_reading_stored_runs_loads_neither_the_sdk_nor_scipy_stats(
    runs: tuple[Path, Path], command: str
) -> None:
    """`harness diff` and `harness runs list` start without the SDK and scipy.stats (0.6 and 0.7 s)."""
    diff = [str(runs[0]), str(runs[1]), "--fail-on", "never"]
    argv = diff if command == "diff" else ["list", "--out", str(runs[0].parent)]
    code = (
        "import sys; from harness.cli import main; code = main(sys.argv[1:]); "
        "heavy = [m for m in ('google.genai', 'scipy.stats', 'harness.runner.retry') if m in sys.modules]; "
        "print(heavy, file=sys.stderr); sys.exit(code or (3 if heavy else 0))"
    )
    done = subprocess.run([sys.executable, "-c", code, command, *argv], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_tolerance_read_from_manifest(tmp_path: Path) -> None:
    a, b = known_runs(
        tmp_path,
        extra_b={
            "suites": [
                {"name": "synthetic", "path": "x", "sha256": "0", "tolerance": {"pass_rate_drop": 0.15}}
            ]
        },
    )
    result = diff_runs(a, b)
    assert result.tolerance == 0.15 and result.exit_code == 0


def test_usage_errors_exit_2(runs: tuple[Path, Path], capsys: pytest.CaptureFixture) -> None:
    assert main(["diff", str(runs[0])]) == 2
    assert main(["diff", str(runs[0]), "--variants", "default", "nope"]) == 2
    assert "no variant 'nope'" in capsys.readouterr().err
    assert main(["diff", str(runs[0]), "no-such-run", "--results", str(runs[0].parent)]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(runs[0]), str(runs[1]), "--fail-on", "sometimes"])
    assert exc.value.code == 2


def test_latest_and_run_id_resolve(runs: tuple[Path, Path]) -> None:
    root = runs[0].parent
    assert main(["diff", "run-a", "latest", "--results", str(root), "--fail-on", "never"]) == 0


def test_variants_inside_one_run(tmp_path: Path) -> None:
    specs = []
    for i in range(12):
        specs.append(T(f"c{i}", variant="keywords", scores={"judge": (4, True)}, image_seed=i))
        worse = i < 6
        specs.append(
            T(
                f"c{i}",
                variant="narrative",
                passed=not worse,
                scores={"judge": (1 if worse else 4, not worse)},
                image_seed=i,
                cost_usd=0.08,
            )
        )
    run = write_run(tmp_path, "ab", specs)
    result = diff_runs(run, variants=["keywords", "narrative"])
    s = result.summary
    assert s.counts["regressed"] == 6 and s.counts["unchanged"] == 6
    assert s.delta == pytest.approx(-0.5) and s.significance == "significant"
    assert s.p_value == pytest.approx(2 / 64)
    assert s.ci[1] < 0
    assert s.cost_ratio == pytest.approx((12 * 0.08 / 6) / (12 * 0.04 / 12))
    assert result.verdict.startswith("B regresses: 6 cases worse, pass rate -50.0 pp [95% CI")
    assert "p=0.031 (significant); B costs 4.0x more per passing image" in result.verdict


def test_same_variant_sets_align_per_variant(tmp_path: Path) -> None:
    a = [T("c", variant=v, scores={"judge": (4, True)}) for v in ("x", "y")]
    b = [
        T("c", variant="x", scores={"judge": (4, True)}),
        T("c", variant="y", passed=False, scores={"judge": (1, False)}),
    ]
    result = diff_runs(write_run(tmp_path, "a", a), write_run(tmp_path, "b", b))
    cases = result.comparison.cases.set_index("variant")
    assert cases["status"].to_dict() == {"y": "regressed", "x": "unchanged"}
    c = [T("c", variant="z")]
    with pytest.raises(Exception, match="different variant sets"):
        diff_runs(tmp_path / "a", write_run(tmp_path, "c", c))


def test_bootstrap_interval_covers_known_delta() -> None:
    """200 simulated A/B experiments, 40 cases each, B's true pass probability 0.15 lower."""
    rng = np.random.default_rng(1234)
    true_delta, covered = -0.15, 0
    for i in range(200):
        p_a = rng.uniform(0.4, 0.9, size=40)
        a = rng.random((40, 3)) < p_a[:, None]
        b = rng.random((40, 3)) < (p_a + true_delta)[:, None]
        lo, hi = bootstrap_ci(b.mean(axis=1) - a.mean(axis=1), n_boot=1000, seed=i)
        covered += lo <= true_delta <= hi
    assert 180 <= covered <= 198  # a 95% interval: roughly 90-99% coverage


def test_bootstrap_is_seeded_and_sign_test_exact() -> None:
    deltas = np.array([1, 0, -1, 1, 1, 0.5])
    assert bootstrap_ci(deltas, seed=7) == bootstrap_ci(deltas, seed=7)
    assert bootstrap_ci(np.array([1.0])) is None
    assert sign_test(np.zeros(5)) == (None, 0, 0)
    p, up, down = sign_test(np.array([1, 1, 1, 1, 1, -1]))
    assert (up, down) == (5, 1) and p == pytest.approx(14 / 64)
    assert MIN_CASES == 10


def test_sign_test_p_values_are_scipys_binomial_test() -> None:
    from scipy.stats import binomtest

    for n in [*range(1, 61), 200, 1001]:
        for up in sorted({0, 1, n // 3, n // 2, n - 1, n} & set(range(n + 1))) if n > 60 else range(n + 1):
            p, _, _ = sign_test(np.array([1.0] * up + [-1.0] * (n - up) + [0.0]))
            assert p == pytest.approx(binomtest(up, n, 0.5).pvalue, rel=1e-9, abs=1e-300), (up, n)


def test_gate_rules_without_cases(runs: tuple[Path, Path]) -> None:
    s = diff_runs(*runs).summary
    assert gate(s, "regression", None) == (1, "2 case(s) regressed")
    assert gate(s, "never", None)[0] == 0
    assert gate(s, "regression", 0.125)[0] == 0  # exactly at the tolerance is still within it
    assert verdict(s).count(";") == 1


def _manifest(**stored: object) -> Manifest:
    """A manifest.json as older versions wrote it (tolerance a bare number, or only on its suites)."""
    base = {"run_id": "r", "harness_version": "0", "sdk_version": "0", "api_version": "v1beta"}
    return Manifest.model_validate({**base, "backend": "emulator", "started_at": "t", **stored})


def _suite(tolerance: object = None) -> dict[str, object]:
    return {
        "name": "s",
        "path": "s.yaml",
        "sha256": "0",
        **({} if tolerance is None else {"tolerance": tolerance}),
    }


def test_read_tolerance_forms() -> None:
    from harness.diff.verdict import read_tolerance

    assert read_tolerance(_manifest(tolerance=0.1)) == 0.1
    suites = [_suite({"pass_rate_drop": 0.05}), _suite(0.2)]
    assert read_tolerance(_manifest(suites=suites)) == 0.05
    assert read_tolerance(_manifest(), _manifest(tolerance={"pass_rate": 0.03})) == 0.03
    assert read_tolerance(_manifest(tolerance=True)) is None


def test_piped_table_is_wide_and_flips_short(runs: tuple[Path, Path]) -> None:
    import io

    from rich.console import Console

    from harness.console import PIPED_WIDTH
    from harness.diff.cli import print_result

    buf = io.StringIO()
    print_result(diff_runs(*runs), Console(file=buf, width=80))  # what rich picks for a pipe
    lines = buf.getvalue().splitlines()
    worse = [line for line in lines if "worse" in line and "│" in line]
    assert len(worse) == 1 and "regressed" in worse[0] and "judge ✗" in worse[0]  # one row, one line
    assert max(len(line) for line in lines) > 80 and all(len(line) <= PIPED_WIDTH for line in lines)
    rows = [line.split("│")[2].strip() for line in lines if line.startswith("│")]
    assert rows[:2] == ["worse", "blocked"]  # regressions first
    assert any("@1 ok→blocked_output" in line for line in lines)


def test_short_flips() -> None:
    from harness.diff.cli import short_flips

    assert (
        short_flips("preserved.phash pass->fail; judge@2 fail->pass", 1, 1) == "preserved.phash ✗, judge@2 ✓"
    )
    many = "; ".join(f"s{i} pass->fail" for i in range(4)) + "; t fail->pass"
    assert short_flips(many, 4, 1) == "4 pass→fail, 1 fail→pass"
    assert short_flips("", 0, 0) == ""


def test_nothing_moved_on_few_cases_still_says_the_sample_is_small(runs: tuple[Path, Path]) -> None:
    s = diff_runs(runs[0], runs[0]).summary
    assert s.paired_cases == 5 and (s.cases_better, s.cases_worse) == (0, 0)
    assert s.significance == SMALL_SAMPLE
    assert verdict(s).startswith("No difference: pass rate +0.0 pp")
    assert f"{SMALL_SAMPLE} (n=5)" in verdict(s)


def test_scorer_deltas_pool_paired_cases(runs: tuple[Path, Path]) -> None:
    scores = {d.name: d for d in diff_runs(*runs).summary.scores}
    assert set(scores) == {"judge"}  # "blocked", "dropped" and "added" carry no scores
    judge = scores["judge"]
    # stable 4 -> 4, worse 5 -> 2, better (4 + 1) / 2 -> 4, drifted 4 -> 4
    assert (judge.pairs, judge.higher, judge.lower) == (4, 1, 1)
    assert judge.mean_a == pytest.approx(3.875) and judge.mean_b == pytest.approx(3.5)
    assert judge.delta == pytest.approx(-0.375)


def test_cli_prints_scorer_line_and_the_tolerance_in_force(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    assert main(["diff", str(runs[0]), str(runs[1]), "--tolerance", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "scores  judge 3.88→3.5 (2/4 moved)" in out
    assert "exit 0  pass-rate change -12.5 pp within the tolerance of 20.0 pp" in out
    assert main(["diff", str(runs[0]), str(runs[1]), "--fail-on", "any-change"]) == 1
    assert "(--fail-on any-change)" in capsys.readouterr().out


def test_cost_and_latency_tolerances_gate(tmp_path: Path) -> None:
    """B's cost per passing image is 1.5x A's (see known_runs); its p50 latency is unchanged."""
    ref = {"name": "synthetic", "path": "x", "sha256": "0"}

    def code(tolerance: dict) -> tuple[int, str]:
        root = tmp_path / str(len(list(tmp_path.iterdir())))
        a, b = known_runs(root, extra_b={"suites": [{**ref, "tolerance": tolerance}]})
        result = diff_runs(a, b)
        return result.exit_code, result.gate_line()

    assert code({"pass_rate_drop": 0.2, "cost_increase": 0.6}) == (
        0,
        "pass-rate change -12.5 pp within the tolerance of 20.0 pp",
    )
    assert code({"pass_rate_drop": 0.2, "cost_increase": 0.4}) == (
        1,
        "cost per passing image rose 50%, beyond the tolerance of 40%",
    )
    assert code({"pass_rate_drop": 0.2, "latency_increase": 0.0})[0] == 0


def test_read_limits_and_the_runner_s_tightest_tolerance() -> None:
    from harness.diff.verdict import read_limits
    from harness.runner.manifest import tightest_tolerance
    from harness.suite.schema import Tolerance

    merged = tightest_tolerance([Tolerance(pass_rate_drop=0.1, cost_increase=0.3), None, Tolerance()])
    assert merged is not None
    assert merged.model_dump(exclude_none=True) == {"pass_rate_drop": 0.05, "cost_increase": 0.3}
    assert tightest_tolerance([None]) is None
    assert read_limits(_manifest(tolerance=merged.model_dump())) == {"cost_increase": 0.3}
    suites = [_suite({"latency_increase": 0.5}), _suite({"latency_increase": 0.2}), _suite()]
    assert read_limits(_manifest(), _manifest(suites=suites)) == {"latency_increase": 0.2}
    assert read_limits(_manifest(tolerance=0.1)) == {}
