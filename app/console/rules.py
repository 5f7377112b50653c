"""Each finding explained: the rule's own text (the project's words, from the rule
registry and the service's own checks) and what its return code means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import app.administration.rules  # noqa: F401  (registers the rules across messages)
from app.routing.router import HUB_CHECKS
from app.rules.registry import REGISTRY
from app.standard.codelists import RETOURCODE

SCHEMA_TEXT = (
    "the message must be valid against the XSD of its message type",
    "het bericht moet voldoen aan de XSD van zijn berichttype",
)


@dataclass(frozen=True)
class Explained:
    rule: str
    return_code: str
    return_meaning: str
    rule_text: str
    path: str
    reason: str


def rule_text(code: str, lang: str) -> str:
    if code == "XSD":
        return SCHEMA_TEXT[0 if lang == "en" else 1]
    found = REGISTRY.get(code)
    if found is not None:
        return found.summary + (f" ({found.decision})" if found.decision else "")
    if code in HUB_CHECKS:
        return HUB_CHECKS[code][1]
    return ""


def explain(findings: list[Any], lang: str) -> list[Explained]:
    out = []
    for f in findings:
        if not isinstance(f, dict):
            continue
        code = str(f.get("rule") or "")
        rc = str(f.get("return_code") or "")
        out.append(
            Explained(
                rule=code,
                return_code=rc,
                return_meaning=RETOURCODE.codes.get(rc, "") if rc else "",
                rule_text=rule_text(code, lang),
                path=str(f.get("path") or ""),
                reason=str(f.get("message") or ""),
            )
        )
    return out
