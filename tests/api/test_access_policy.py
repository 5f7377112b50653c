"""One access policy: every endpoint asks ``app.access`` who may see or do what, so that
no two places can answer differently (the matrix in test_authorization.py checks the
answers, endpoint by endpoint and role by role)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

# Asking for a role, or comparing a caller's code with a record's party, is an access
# decision: it belongs in app/access.py.


def _decisions(path: Path) -> list[str]:
    """Where a module asks whether the caller is an operator, or compares its role or code."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_who(node.value) and node.attr == "operator":
            found.append(f"{path.name}:{node.lineno} who.operator")
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if (
                    isinstance(side, ast.Attribute)
                    and _is_who(side.value)
                    and side.attr in ("role", "code")
                ):
                    found.append(f"{path.name}:{node.lineno} who.{side.attr} compared")
    return found


def _is_who(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "who"


def test_endpoints_decide_access_only_through_the_policy() -> None:
    api = ROOT / "app" / "api"
    found = [
        d for path in sorted(api.glob("*.py")) if path.name != "deps.py" for d in _decisions(path)
    ]
    assert found == [], found
