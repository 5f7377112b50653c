"""Running the registered rules on a message."""

from __future__ import annotations

from functools import cache
from typing import Any

from app.findings import Finding
from app.rules import conditions, constraints, technical  # noqa: F401  (they register rules)
from app.rules.registry import REGISTRY, Index, Rule
from app.standard import catalogue
from app.standard.scan import Budget


class RuleSet:
    def __init__(self, rules: list[Rule]) -> None:
        self.rules = sorted(rules, key=lambda r: r.code)
        self._by_message = {
            mt.name: [r for r in self.rules if mt.name in r.messages] for mt in catalogue.ALL
        }

    def for_message(self, name: str) -> list[Rule]:
        return self._by_message[name]

    def check(self, message: Any, budget: Budget | None = None) -> list[Finding]:
        """Findings of every rule that applies to this message type, rule by rule; the
        budget is looked at between rules."""
        rules = self._by_message[catalogue.of(message).name]
        if not rules:
            return []
        index = Index(message)
        findings = []
        for r in rules:
            if budget is not None:
                budget.check()
            for path, text in r.check(message, index):
                findings.append(Finding(r.code, r.return_code, path, text))
        return findings


@cache
def default() -> RuleSet:
    """The message rules: those that need nothing but the message."""
    return RuleSet([r for r in REGISTRY.values() if r.scope == "message"])
