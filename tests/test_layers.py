"""Data flows one way: each layer of the service uses only the layers below it.

    foundation (config, clock, findings)
      -> standard -> rules -> administration -> routing -> intake
      -> api / console / cli / demo

Every import of the service's own modules is read from the source (also those made only
for type checking) and checked against that order."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

APP = ROOT / "app"

# The layer of each module, by the first matching prefix of its dotted name.
LAYERS: list[tuple[str, int]] = [
    ("app.config", 0),
    ("app.settings", 0),
    ("app.clock", 0),
    ("app.findings", 0),
    ("app.standard", 1),
    ("app.rules", 2),
    ("app.validation", 2),
    ("app.retour", 2),
    ("app.jsonfields", 2),
    ("app.administration", 3),
    ("app.routing", 4),
    ("app.intake", 5),
    ("app.access", 5),
    ("app.tables", 5),
    ("app.services", 5),
    ("app.api", 6),
    ("app.console", 6),
    ("app.observability", 6),
    ("app.server", 6),
    ("app.cli", 6),
    ("app.demo", 6),
]
PACKAGE = "app"  # app/__init__.py: the version; foundation
NAMES = ["foundation", "standard", "rules", "administration", "routing", "intake", "top"]


def layer(module: str) -> int:
    if module == PACKAGE:
        return 0
    for prefix, level in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return level
    raise AssertionError(f"{module} has no layer: add it to LAYERS")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found += [(node.lineno, n) for n in names if n.startswith("app")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("app")]
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative).is_dir()


def test_every_import_goes_down_the_layers() -> None:
    wrong = []
    for path in sorted(APP.rglob("*.py")):
        here = _module(path)
        for line, name in _imports(path):
            if not _is_module(name):
                continue  # a name imported from a module, not a module
            if layer(name) > layer(here):
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line} {here} ({NAMES[layer(here)]}) imports "
                    f"{name} ({NAMES[layer(name)]})"
                )
    assert wrong == [], "\n".join(wrong)


def test_the_layers_hold_every_module() -> None:
    for path in APP.rglob("*.py"):
        layer(_module(path))


def test_the_console_leaves_visibility_to_the_access_policy() -> None:
    """The console sits beside the API and, like it, asks ``app.access`` what a party may
    see: no console module compares roles or party codes itself."""
    deciding = re.compile(r"\.role\s*(==|!=|\bin\b|\bnot in\b)|\b(MUNICIPALITY|OPERATOR|"
                          r"MAIN_CONTRACTOR|SUBCONTRACTOR)\b|\.code\s*(==|!=)")  # fmt: skip
    found = []
    for path in sorted((APP / "console").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if deciding.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "\n".join(found)
