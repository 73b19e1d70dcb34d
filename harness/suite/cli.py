"""`harness validate SUITE...` and `harness styles list|show NAME`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.context import InputPolicy, using_policy
from harness.errors import UsageError
from harness.suite.discover import is_suite_file
from harness.suite.styles import StyleLibrary
from harness.suite.validate import validate


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        description="Check suites before spending: no request is sent. Exit 0 or 2.",
    )
    p.add_argument("suites", nargs="+", metavar="SUITE", help="suite files, or folders holding them")
    p.add_argument("--variant", action="append", default=None, metavar="NAME", help="only this variant")
    p.add_argument("--repeats", type=int, default=None, metavar="N", help="override every case's repeats")
    p.add_argument("--prompts", action="store_true", help="also print every rendered prompt")
    p.add_argument("--yes", action="store_true", help="accept over 1,000 repeats")
    p.add_argument(
        "--batch",
        action="store_true",
        default=None,
        help="estimate at the Batch API price (50%%), as `run --batch` would pay",
    )
    p.add_argument(
        "--batch-judge",
        action="store_true",
        default=None,
        help="with --batch, the judge calls at the Batch API price too, as `run --batch-judge` would pay",
    )
    add_policy_arguments(p)
    p.set_defaults(func=_validate)

    s = subparsers.add_parser("styles")
    s.add_argument("--suite", type=Path, default=None, help="see the presets visible from this suite")
    verbs = s.add_subparsers(dest="styles_command", required=True, metavar="list|show")
    verbs.add_parser("list", help="presets with version, description and what they extend")
    show = verbs.add_parser("show", help="one preset with its inheritance folded in")
    show.add_argument("name")
    s.set_defaults(func=_styles)

    j = subparsers.add_parser(
        "schema",
        description="The JSON Schema generated from the suite models. Point an editor at it with a first "
        "line '# yaml-language-server: $schema=PATH' (VS Code's YAML extension, any LSP editor).",
    )
    j.add_argument("kind", nargs="?", choices=("suite", "style"), default="suite")
    j.add_argument("--write", type=Path, metavar="DIR", help="write suite.schema.json and style.schema.json")
    j.set_defaults(func=_schema)


def add_policy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-outside",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="let suites read files under PATH, outside their project (repeatable)",
    )
    p.add_argument(
        "--allow-unknown-model",
        action="store_true",
        help="a model name this harness does not know is a warning, not an error",
    )


def policy_from(args: argparse.Namespace) -> InputPolicy:
    return InputPolicy(
        allow_outside=tuple(p.resolve() for p in getattr(args, "allow_outside", [])),
        allow_unknown_model=bool(getattr(args, "allow_unknown_model", False)),
    )


def suite_files(args: list[str]) -> list[Path]:
    """Expand folders to the suite files inside them (YAML with a top-level `suite:` key)."""
    found: list[Path] = []
    for arg in args:
        path = Path(arg)
        if not path.is_dir():
            found.append(path)
            continue
        inside = [candidate for candidate in sorted(path.rglob("*.y*ml")) if is_suite_file(candidate)]
        if not inside:
            raise UsageError(f"no suite files (YAML with a 'suite:' key) under {path}")
        found += inside
    return found


def _validate(args: argparse.Namespace) -> int:
    from harness.selection import check_size

    check_size(args.repeats, 0, args.yes)  # before expanding: --repeats 1000000000 would take minutes
    with using_policy(policy_from(args)):
        return _validate_with_policy(args)


def _validate_with_policy(args: argparse.Namespace) -> int:
    report = validate(
        suite_files(args.suites),
        variants=args.variant,
        repeats=args.repeats,
        batch=args.batch,
        batch_judge=args.batch_judge,
    )
    print(report.render())
    for warning in report.warnings:  # stderr whatever the outcome (a failed validation prints them there)
        print(f"warning: {warning}", file=sys.stderr)
    if args.prompts:
        for suite_report in report.suites:
            for plan in suite_report.plans:
                if plan.repeat > 0:
                    continue
                for step in plan.steps:
                    print(f"{plan.trial_id} step {step.index} [{step.config.model}]: {step.prompt}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from harness.suite.json_schema import schema_text, write_schemas

    if args.write is not None:
        for path in write_schemas(args.write):
            print(path)
        return 0
    sys.stdout.write(schema_text(args.kind))
    return 0


def _styles(args: argparse.Namespace) -> int:
    library = StyleLibrary.for_suite(args.suite if args.suite else Path.cwd() / "suite.yaml")
    if args.styles_command == "list":
        rows = []
        for name in library.names():
            style = library.resolve(name)
            parent = f"extends {style.inherits[0]}" if style.inherits else ""
            rows.append((name, f"v{style.version}", parent, style.description or ""))
        widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
        for row in rows:
            print("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3])
        return 0
    if args.name not in library.files:
        from harness.suite.load import did_you_mean

        raise UsageError(
            f"unknown style '{args.name}'.{did_you_mean(args.name, library.files)}",
            hint=f"available: {', '.join(library.names())}",
        )
    style = library.resolve(args.name)
    out = sys.stdout
    out.write(f"{style.name} v{style.version}  ({style.file})\n")
    if style.description:
        out.write(f"  {style.description}\n")
    if style.inherits:
        out.write(f"  inherits from: {' -> '.join(style.inherits)}\n")
    out.write(f"  prefix: {style.prefix or '-'}\n  suffix: {style.suffix or '-'}\n")
    out.write(f"  negative: {style.negative_phrase or '-'}\n")
    out.write(f"  image: {style.image or '-'}\n")
    out.write(f"  references: {[str(r) for r in style.references] or '-'}\n")
    out.write(f"  vars: {style.vars or '-'}\n")
    out.write(
        "  promises:\n" + "".join(f"    - {p.spec}\n" for p in style.promises)
        if style.promises
        else "  promises: -\n"
    )
    out.write(f"  example: {style.wrap('a ceramic cup on a table')}\n")
    return 0
