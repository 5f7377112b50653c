"""Building rule test cases from the published examples.

A case starts from a published example decoded into typed objects, changes it in Python,
and runs the *whole* check (schema first, then every rule) on the re-encoded XML, so a
case only counts when the changed message is still schema-valid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from app.config import Settings
from app.findings import Finding
from app.standard import codec, parsing
from app.validation import Validator
from tests.conftest import reference_dir

Change = Callable[[Any], None]


@cache
def _example(name: str) -> Any:
    data = (reference_dir() / "examples" / f"{name}.xml").read_bytes()
    return codec.decode(parsing.parse(data).root)


def example(name: str) -> Any:
    """A fresh, mutable typed copy of a published example (WMO301 ... WMO323)."""
    return copy.deepcopy(_example(name))


@cache
def _validator() -> Validator:
    return Validator(Settings())


def check(message: Any) -> list[Finding]:
    """All findings for a typed message; fails the test if it is not schema-valid."""
    report = _validator().check(codec.to_bytes(message))
    assert report.schema_valid, [f.message for f in report.findings]
    return report.findings


def findings_of(rule: str, message: Any) -> list[Finding]:
    return [f for f in check(message) if f.rule == rule]


def changed(name: str, change: Change) -> Any:
    message = example(name)
    change(message)
    return message


def d(text: str) -> date:
    return date.fromisoformat(text)
