"""The import rules of maild's layers, read from the source (docs/architecture.md draws them)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# The kernel less the clock: time reaches the layers as `now`, from the clock that wiring holds.
KERNEL = ("maild.config", "maild.errors")
CLOCK = "maild.clock"
WIRING = ("maild.cli", "maild.formats", "maild.progress", "maild.app", "maild.daemon", "maild.workers", "maild.logs", "maild.web",
          "maild.__main__")

# What each layer may import of maild. A name covers the module and everything under it.
ALLOWED: dict[str, tuple[str, ...]] = {
    "kernel": KERNEL,
    "parsing": (*KERNEL, "maild.parsing"),
    "store": (*KERNEL, "maild.store"),
    "adapters": (*KERNEL, "maild.adapters"),
    "rules": (*KERNEL, "maild.parsing", "maild.rules"),
    "outgoing": (*KERNEL, "maild.parsing", "maild.rules", "maild.outgoing"),
    "steps": (*KERNEL, "maild.parsing", "maild.rules", "maild.outgoing", "maild.store", "maild.adapters",
              "maild.steps"),
    # Wiring builds the parts and runs the steps; it decides nothing and writes through steps only.
    "wiring": (*KERNEL, CLOCK, *WIRING, "maild.steps", "maild.adapters", "maild.outgoing.templates",
               "maild.store.db", "maild.store.queries", "maild.store.attachments"),
}

# Only clock.py reads the wall clock; intervals (time.monotonic) are no reading of it. Any use
# counts, called or passed on (`default=datetime.now`), under any name it was imported as.
WALL_CLOCK = {"datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
              "datetime.date.today", "time.time", "time.time_ns", "time.localtime", "time.gmtime", "time.ctime",
              "time.asctime", "time.strftime", "email.utils.formatdate", "email.utils.make_msgid",
              "email.utils.localtime"}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the maild module imported, absolute


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    """None for the test-support package, which no layer may import; "unplaced" for a module that
    belongs to no layer yet."""
    if module == "maild" or module in (*KERNEL, CLOCK):
        return "kernel"
    if module in WIRING:
        return "wiring"
    second = module.split(".")[1]
    if second == "testing":
        return None
    return second if second in ALLOWED else "unplaced"


def maild_imports(root: Path, path: Path) -> list[Import]:
    """Every import of a maild module in the file, at any depth (a deferred import counts).
    `from package import name` imports the module package.name where there is one."""
    here = module_name(root, path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.module, node.level)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append(Import(path, node.lineno, submodule if _is_module(root, submodule) else base))
    return [i for i in found if i.module == "maild" or i.module.startswith("maild.")]


def _is_module(root: Path, name: str) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _absolute(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    base = package.split(".")
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _covers(allowed: str, module: str) -> bool:
    return module == allowed or module.startswith(allowed + ".")


def violations(root: Path) -> list[str]:
    """One line per import that breaks a layer rule, naming file, line and import."""
    problems = []
    for path in sorted((root / "maild").rglob("*.py")):
        here = module_name(root, path)
        layer = layer_of(here)
        if layer is None:
            continue
        if layer == "unplaced":
            problems.append(f"{path.relative_to(root)}: in no layer (docs/architecture.md lists them)")
            continue
        for imp in maild_imports(root, path):
            if imp.module == "maild":  # the package itself: its version, nothing else
                continue
            where = f"{path.relative_to(root)}:{imp.line} imports {imp.module}"
            if layer_of(imp.module) is None:
                problems.append(f"{where}: nothing outside tests imports maild.testing")
            elif not any(_covers(allowed, imp.module) for allowed in ALLOWED[layer]):
                problems.append(f"{where}: {layer} may import only {', '.join(ALLOWED[layer])}")
            elif layer == "steps" and not _may_import_step(here, imp.module):
                problems.append(f"{where}: a step never imports another step")
    return problems


def _may_import_step(here: str, module: str) -> bool:
    """A step imports no other step; a step's views for the command line (steps/STEP_views.py)
    import their own step."""
    if not _covers("maild.steps", module) or module in ("maild.steps", here):
        return True
    return here.endswith("_views") and module == here.removesuffix("_views")


def wall_clock_reads(root: Path) -> list[str]:
    problems = []
    for path in sorted((root / "maild").rglob("*.py")):
        if module_name(root, path) == CLOCK or "testing" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _imported_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node, names) in WALL_CLOCK:
                problems.append(f"{path.relative_to(root)}:{node.lineno} reads the wall clock: {_dotted(node, names)}")
    return problems


def _imported_names(tree: ast.AST) -> dict[str, str]:
    """Local name → the dotted name it stands for (`import datetime as dt`, `from time import time`)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update({alias.asname or alias.name.split(".")[0]: alias.name if alias.asname else
                          alias.name.split(".")[0] for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.update({alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names})
    return names


def _dotted(node: ast.AST, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, names)
        return f"{base}.{node.attr}" if base else None
    return None
