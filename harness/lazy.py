"""Names a package re-exports, imported on first use (a PEP 562 module `__getattr__`): importing the
package, or any module inside it, then costs nothing until one of those names is asked for."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str | tuple[str, str]]) -> Callable[[str], Any]:
    """The `__getattr__` of `package`: `exports` maps each public name to the module defining it, or to
    (module, attribute) where it has another name there. A name, once loaded, is kept in the package."""

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = (target, name) if isinstance(target, str) else target
        value = getattr(importlib.import_module(module), attribute)
        vars(sys.modules[package])[name] = value
        return value

    return __getattr__
