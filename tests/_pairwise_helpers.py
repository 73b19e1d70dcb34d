"""Emulator runs for the pairwise judge: a good arm and one made worse on purpose (its prompts drop the
object), as two suite files of one suite name, so the judge records under one suite's cassette."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

from harness.api import run_suites
from harness.cli import main

CASES = [
    ("apple", "a red apple on a white table", "a red thing on a white table"),
    ("cup", "a blue cup on a white table", "a blue thing on a white table"),
    ("watch", "a silver watch on a white background", "a silver thing on a white background"),
    ("bottle", "a green bottle on a marble counter", "a green thing on a marble counter"),
    ("ball", "an orange ball on the grass", "an orange thing on the grass"),
    ("box", "a brown box in a warehouse", "a brown thing in a warehouse"),
    ("tree", "a green tree in a field", "a green shape in a field"),
    ("house", "a red house by a lake", "a red shape by a lake"),
    ("cat", "an orange cat on a sofa", "an orange animal on a sofa"),
    ("car", "a blue car on a road", "a blue thing on a road"),
    ("dog", "a brown dog in a park", "a brown dog in a park"),  # unchanged: a tie
    ("sun", "a yellow sun over the sea", "a yellow sun over the sea"),
]


def suite_text(prompts: list[tuple[str, str]]) -> str:
    lines = ["suite: pw", 'defaults: {model: gemini-2.5-flash-image, aspect_ratio: "1:1", image_size: 1K}']
    lines.append("cases:")
    for case, prompt in prompts:
        lines += [f"  - id: {case}", f"    prompt: {prompt}", '    expect: [{aspect_ratio: "1:1"}]']
    return "\n".join(lines) + "\n"


def good_and_worse(root: Path, arms: tuple[tuple[str, int], ...] = (("good", 1), ("worse", 2))) -> list[Path]:
    """One run per (name, prompt column) through the emulator; returns the run directories."""
    out = []
    for name, column in arms:
        (root / name).mkdir()
        suite = root / name / "pw.yaml"
        suite.write_text(suite_text([(c[0], c[column]) for c in CASES]))
        out.append(run_suites([suite], backend="emulator", out=root / "results", run_id=name))
    return out


def copy_arms(arms: tuple[list[Path], Path], into: Path) -> list[Path]:
    """The arms' whole folder (suites, cassettes, runs) copied, each manifest pointed at the copied suite
    files, so the judge records under the copy's cassette and not the shared one."""
    runs, root = arms
    shutil.copytree(root, into, dirs_exist_ok=True)
    copies = [into / run.relative_to(root) for run in runs]
    for run in copies:
        manifest = run / "manifest.json"
        manifest.write_text(manifest.read_text().replace(str(root), str(into)))
    return copies


class Compared(NamedTuple):
    """`harness compare` of the good, worse and twin arms, its judge answers recorded from the emulator."""

    arms: list[Path]
    root: Path  # the arms' folder, whose cassette now holds the judge's answers
    code: int
    json: Path
    html: Path


def compare_arms(arms: tuple[list[Path], Path], into: Path) -> Compared:
    """A copy of the arms compared with `--mode auto`: the judge's answers go to the copy's cassette."""
    runs = copy_arms(arms, into)
    out, page = into / "compare.json", into / "compare.html"
    code = main(["compare", *map(str, runs), "--mode", "auto", "--backend", "emulator", "--json", str(out),
                 "--html", str(page)])  # fmt: skip
    return Compared(runs, into, code, out, page)
