"""Prompt templates: Jinja2 in a sandbox with strict undefined, so a missing variable is an error, not ''."""

from __future__ import annotations

import contextvars
import math
import re
import sysconfig
import time
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from harness.context import input_policy
from harness.errors import SuiteError
from harness.files import outside
from harness.suite.names import did_you_mean

# A template renders a prompt: far under a second and a few kilobytes. These budgets stop one that would
# hang validation (`{{ 9 ** (9 ** 9) }}`, nested loops) or fill memory (`{{ 'x' * 10 ** 9 }}`).
RENDER_SECONDS = 2.0
MAX_RENDER_CHARS = 1_000_000
MAX_POWER_BITS = 4096
MAX_LOOP_ITEMS = 1_000_000  # range() items one render may ask for, all loops together


def _library() -> Path:
    """The checkout's `templates/`, or where a wheel installed it (its data files under share/)."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    installed = Path(sysconfig.get_path("data")) / "share" / "prompt-harness" / "templates"
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


PROJECT_TEMPLATES = _library()
_UNDEFINED = re.compile(r"^'([^']+)' is undefined$")


def search_dirs(suite_path: Path | None, kind: str) -> list[Path]:
    """`<suite dir>/templates/<kind>`, the nearest `templates/<kind>` up to the repo root, the project's."""
    found: list[Path] = []
    if suite_path is not None:
        here = suite_path.resolve().parent
        for folder in (here, *here.parents):
            candidate = folder / "templates" / kind
            if candidate.is_dir():
                found.append(candidate)
                if folder != here:
                    break
            if (folder / ".git").exists():
                break
    found.append(PROJECT_TEMPLATES / kind)
    unique: list[Path] = []
    for folder in found:
        if folder.resolve() not in unique:
            unique.append(folder.resolve())
    return unique


class OutsideProject(jinja2.TemplateError):
    """A template that resolves (through a symlink) outside its template folders."""


class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses, before reading it, a template file resolving outside its search
    folders (and any `--allow-outside` path): a symlink to /etc/passwd is never rendered into a prompt."""

    def __init__(self, dirs: tuple[Path, ...], allowed: tuple[Path, ...]) -> None:
        super().__init__([str(d) for d in dirs])
        self.roots = (*dirs, *allowed)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            candidate = Path(folder, *pieces)
            if candidate.is_file():
                resolved = outside(candidate, self.roots)
                if resolved is not None:
                    raise OutsideProject(f"template {candidate} resolves to {resolved}, outside its folders")
                break
        return super().get_source(environment, template)


class BudgetExceeded(SecurityError):
    """A template went over its time or size budget."""


_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("deadline", default=math.inf)
_loop_items: contextvars.ContextVar[list[int]] = contextvars.ContextVar("loop_items")


def _check_clock() -> None:
    if time.monotonic() > _deadline.get():
        raise BudgetExceeded(f"rendering took longer than {RENDER_SECONDS:g} s")


def _budget_range(*args: int) -> range:
    rng = range(*args)
    counter = _loop_items.get([0])
    counter[0] += len(rng)
    if counter[0] > MAX_LOOP_ITEMS:
        raise BudgetExceeded(f"loops over more than {MAX_LOOP_ITEMS:,} range() items")
    return rng


class BudgetedEnvironment(SandboxedEnvironment):
    """The sandbox, plus a clock checked on every attribute, item, call and intercepted operator, and
    refusals of powers and repetitions whose results alone would be too big to hold."""

    intercepted_binops = frozenset(["**", "*"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_clock()
        power = operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1
        if power and right * math.log2(abs(left)) > MAX_POWER_BITS:
            raise BudgetExceeded(f"{left} ** {right} is a number too large to compute")
        if operator == "*" and isinstance(right, int) and isinstance(left, str | list | tuple):
            left, right = right, left
        repeat = operator == "*" and isinstance(left, int) and isinstance(right, str | list | tuple)
        if repeat and left * len(right) > MAX_RENDER_CHARS:
            raise BudgetExceeded(f"repeating a value {left:,} times exceeds {MAX_RENDER_CHARS:,} items")
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_clock()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _check_clock()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_clock()
        return SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)


def _budgeted(chunks: Iterator[str]) -> str:
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDER_CHARS:
            raise BudgetExceeded(f"the rendered text is longer than {MAX_RENDER_CHARS:,} characters")
        _check_clock()
        out.append(chunk)
    return "".join(out)


def environment(dirs: tuple[Path, ...]) -> SandboxedEnvironment:
    return _environment(dirs, input_policy.get().allow_outside)


@lru_cache(maxsize=32)
def _environment(dirs: tuple[Path, ...], allowed: tuple[Path, ...]) -> SandboxedEnvironment:
    env = BudgetedEnvironment(
        loader=ConfinedLoader(dirs, allowed),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.globals["range"] = _budget_range
    return env


def template_file(name: str) -> str:
    return name if name.endswith(".j2") else f"{name}.j2"


def available(dirs: tuple[Path, ...]) -> list[str]:
    names = environment(dirs).list_templates(extensions=["j2"])
    return sorted({n.removesuffix(".j2") for n in names if not Path(n).name.startswith("_")})


def template_variables(name: str, dirs: tuple[Path, ...]) -> frozenset[str] | None:
    """Every variable template `name` reads, with all it extends, includes or imports, so a var no template
    reads can be flagged; None when that cannot be known (a template named by an expression, or a template
    that is missing or does not parse, which `render` reports)."""
    env = environment(dirs)
    assert env.loader is not None
    found: set[str] = set()
    todo, seen = [template_file(name)], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            tree = env.parse(env.loader.get_source(env, current)[0])
            found |= meta.find_undeclared_variables(tree)  # compiles: an unknown filter raises here
        except jinja2.TemplateError:
            return None
        for ref in meta.find_referenced_templates(tree):
            if ref is None:
                return None
            todo.append(ref)
    return frozenset(found)


def render(
    name: str,
    variables: Mapping[str, Any],
    dirs: tuple[Path, ...],
    *,
    file: Path | None = None,
    line: int | None = None,
    case: str | None = None,
) -> str:
    """Render template `name`; every failure names the template (file:line), the variable and the case."""
    env = environment(dirs)
    wanted = template_file(name)

    def fail(message: str, hint: str) -> SuiteError:
        return SuiteError(message, file=file, line=line, case=case, key="template", hint=hint)

    deadline = _deadline.set(time.monotonic() + RENDER_SECONDS)
    items = _loop_items.set([0])
    try:
        template = env.get_template(wanted)
        text = _budgeted(template.generate(**variables))
    except BudgetExceeded as exc:
        where = _template_frame(exc) or wanted
        raise fail(
            f"template {where} went over its budget: {exc}",
            f"a prompt template renders text (at most {MAX_RENDER_CHARS:,} characters, "
            f"{RENDER_SECONDS:g} s); compute big values outside the template and pass them in vars:",
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise fail(
            f"Jinja syntax error in template {exc.filename or exc.name}:{exc.lineno}: {exc.message}",
            "fix the template at that line",
        ) from exc
    except jinja2.TemplateNotFound as exc:
        names = available(dirs)
        if exc.name == wanted:
            raise fail(
                f"unknown template '{name}'.{did_you_mean(name, names)}",
                f"available: {', '.join(names) or '(none)'}; searched {', '.join(map(str, dirs))}",
            ) from exc
        where = _template_frame(exc)
        raise fail(
            f"template {where} includes '{exc.name}', which is not found",
            f"create it or fix the name; searched {', '.join(map(str, dirs))}",
        ) from exc
    except jinja2.UndefinedError as exc:
        where = _template_frame(exc) or wanted
        match = _UNDEFINED.match(str(exc.message or ""))
        if match:
            var = match.group(1)
            raise fail(
                f"template {where} needs variable '{var}', which is not set",
                f"add '{var}' to the case's vars: (or the variant's or style's), or give it a default "
                f"in the template: {{{{ {var} | default('...') }}}}",
            ) from exc
        raise fail(f"template {where}: {exc.message}", "check the variable's keys in vars:") from exc
    except OutsideProject as exc:
        raise fail(str(exc), "move the template into the project, or allow it: --allow-outside DIR") from exc
    except jinja2.TemplateError as exc:  # SecurityError from the sandbox, filters called wrongly, ...
        where = _template_frame(exc) or wanted
        raise fail(f"template {where}: {type(exc).__name__}: {exc}", "fix the template") from exc
    except RecursionError as exc:
        raise fail(
            f"template {wanted} includes or extends itself (directly or through others)",
            "break the cycle of {% include %} / {% extends %}",
        ) from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        where = _template_frame(exc) or wanted
        raise fail(f"template {where}: {type(exc).__name__}: {exc}", "fix the template or its vars") from exc
    finally:
        _deadline.reset(deadline)
        _loop_items.reset(items)
    return tidy(text)


def _template_frame(exc: BaseException) -> str | None:
    """`path:line` of the innermost template frame: Jinja rewrites tracebacks to template lines."""
    where = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def tidy(text: str) -> str:
    """Templates span lines for people; the model gets one tidy paragraph per blank-line block."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
