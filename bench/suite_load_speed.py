"""Time to validate big suites (load, check, expand every trial, estimate cost), next to a floor.

The floor is `yaml.safe_load` of the same YAML (what any tool reading a suite pays at least), and
libyaml's `yaml.CSafeLoader`. Suites:
- PartiPrompts: `dataset: partiprompts` (1,632 cases) x 2 variants = 3,264 trials; also written out as
  1,632 YAML cases, so the floor has a file of the same size to parse.
- a 5 MB suite: 32,000 written-out cases, 2 variants.
- a 382-byte "billion laughs" file: refused (the time to refuse it).
Aim: PartiPrompts <= 2 s, 5 MB <= 3 s on a 2-core machine. Each figure is the best of three runs, as
wall-clock seconds and as this process's CPU seconds (on a machine other work shares, the wall clock also
counts the time spent waiting for a core; the CPU time does not).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from harness.errors import SuiteError
from harness.suite import validate
from harness.suite.datasets import DATASETS
from harness.suite.yaml_lines import load_yaml

HEAD = """suite: {name}
defaults: {{model: gemini-2.5-flash-image, aspect_ratio: "1:1"}}
variants:
  as-written: {{}}
  photo: {{prompt_suffix: "A high-resolution photograph, natural light"}}
expect:
  - aspect_ratio: "1:1"
"""


def written_out(path: Path, target_bytes: int | None = None) -> int:
    """PartiPrompts as plain YAML cases: each prompt once, or cycled until the file reaches
    `target_bytes`; the case count."""
    rows = DATASETS["partiprompts"].table.rows
    lines = [HEAD.format(name=path.stem), "cases:"]
    size, i = 0, 0
    while (size < target_bytes) if target_bytes is not None else (i < len(rows)):
        v = rows[i % len(rows)].values
        tags = ", ".join(t.replace(" ", "-").replace("&", "and") for t in (v["Category"], v["Challenge"]))
        block = [f"  - id: c{i:06d}", f"    prompt: {_quoted(v['Prompt'])}", f"    tags: [{tags}]"]
        size += sum(len(b) + 1 for b in block)
        lines += block
        i += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return i


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


Timing = tuple[float, float]  # wall-clock seconds, CPU seconds


def timed(fn: Callable[[], object]) -> Timing:
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def best(fn: Callable[[], object], runs: int = 3) -> Timing:
    runs_made = [timed(fn) for _ in range(runs)]
    return min(w for w, _ in runs_made), min(c for _, c in runs_made)


def row(label: str, took: Timing, floor: Timing, note: str = "") -> None:
    (wall, cpu), (floor_wall, floor_cpu) = took, floor
    print(
        f"  {label:<40} {wall:6.2f} s wall {cpu:6.2f} s CPU  "
        f"{wall / floor_wall:5.2f}x / {cpu / floor_cpu:5.2f}x yaml.safe_load  {note}"
    )


def bench_suite(title: str, path: Path, aim: float) -> None:
    text = path.read_text(encoding="utf-8")
    safe = best(lambda: yaml.safe_load(text), 1)
    c_safe = best(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    located = best(lambda: load_yaml(path))
    report = validate([path])
    checked = best(lambda: validate([path]))
    print(f"{title}: {path.stat().st_size / 1e6:.2f} MB, {report.trials} trials")
    row("yaml.safe_load (floor)", safe, safe)
    row("yaml.load(CSafeLoader)", c_safe, safe)
    row("harness: YAML with lines", located, safe)
    row("harness validate (load+expand+cost)", checked, safe, f"aim <= {aim:g} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        parti = root / "parti.yaml"
        parti.write_text(HEAD.format(name="parti") + "dataset: partiprompts\n", encoding="utf-8")
        parti_out = root / "parti-written.yaml"
        written_out(parti_out)
        floor = best(lambda: yaml.safe_load(parti_out.read_text(encoding="utf-8")), 1)
        validate([parti])
        dataset = best(lambda: validate([parti]))
        print(f"PartiPrompts as dataset: {validate([parti]).trials} trials")
        row("yaml.safe_load of the written-out twin", floor, floor)
        row("harness validate (dataset: partiprompts)", dataset, floor, "aim <= 2 s")
        bench_suite("PartiPrompts written out", parti_out, 2.0)
        big = root / "big.yaml"
        written_out(big, 5_000_000)
        bench_suite("5 MB suite", big, 3.0)

        laughs = root / "laughs.yaml"
        rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        rows += [
            f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ]
        laughs.write_text("\n".join(rows) + "\n", encoding="utf-8")
        start = time.perf_counter()
        try:
            load_yaml(laughs)
            outcome = "LOADED (bad)"
        except SuiteError:
            outcome = "refused"
        took = time.perf_counter() - start
        print(f"billion laughs ({laughs.stat().st_size} bytes): {outcome} in {took:.3f} s")
        print("(ratios: wall-clock / CPU time, each against yaml.safe_load's own)")


if __name__ == "__main__":
    main()
