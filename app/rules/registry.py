"""The rule registry: each rule is data (code, messages, return code, summary, decision)
plus one small pure function, registered with its code like a linter's rule."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.standard import catalogue, codec, elements

# What a rule function yields: the element path and what is wrong there.
Violation = tuple[str, str]


class Index:
    """Every object of a message by class, found in one walk, in document order."""

    def __init__(self, message: Any) -> None:
        self.message = message
        self._by_class: dict[type, list[Any]] = {}
        self._order: list[Any] = []  # every object, in document order
        self._mixed: dict[tuple[type, ...], list[Any]] = {}
        self._walk(message)

    def _walk(self, obj: Any) -> None:
        self._by_class.setdefault(type(obj), []).append(obj)
        self._order.append(obj)
        for name, is_list in _children(type(obj)):
            value = getattr(obj, name)
            if is_list:
                for item in value:
                    self._walk(item)
            elif value is not None:
                self._walk(value)

    def all(self, *classes: type) -> list[Any]:
        if len(classes) == 1:
            return self._by_class.get(classes[0], [])
        # Objects of several classes, in document order: the walk's order, filtered; several
        # rules ask for the same classes, so each answer is kept.
        found = self._mixed.get(classes)
        if found is None:
            present = [c for c in classes if c in self._by_class]
            if len(present) <= 1:
                found = self._by_class[present[0]] if present else []
            else:
                found = [o for o in self._order if type(o) in classes]
            self._mixed[classes] = found
        return found


_CHILDREN: dict[type, tuple[tuple[str, bool], ...]] = {}


def _children(cls: type) -> tuple[tuple[str, bool], ...]:
    """The attributes of a message class that hold objects, and whether each is a list."""
    found = _CHILDREN.get(cls)
    if found is None:
        found = _CHILDREN[cls] = tuple(
            (spec.name, spec.kind == "list") for spec in elements.specs(cls) if spec.cls is not None
        )
    return found


# Message rules take (message, Index); administration rules take (message, Context) or,
# per client or line, (message, client or line, Context). The registry does not care which.
Check = Callable[..., Iterable[Violation]]

# Where a rule looks: at the message alone, at the administration too, or at an external
# source (the CBS municipality list, the product code list, the clock).
SCOPES = ("message", "administration", "external")
# When an administration rule runs: before anything else (header: a finding refuses the
# whole message unjudged), once before the lines (message), once per client before any line
# (client: a finding on the client leaves its lines unjudged, 0233; one on a line of it
# refuses that line), or per line in order (line), seeing what earlier lines of the same
# message did.
LEVELS = ("header", "message", "client", "line")


@dataclass(frozen=True)
class Rule:
    code: str  # as the standard names it: CD041, CS002, TR380
    messages: tuple[str, ...]  # message types it applies to
    return_code: str  # WJ001 code reported in the retour message
    summary: str  # one line, our words
    check: Check
    decision: str = ""  # how we read the rule where its text leaves room
    scope: str = "message"
    level: str = "message"
    covers: str = ""  # the elements it reads, as the published validation names them

    @property
    def kind(self) -> str:
        return {"CD": "condition", "CS": "constraint", "TR": "technical rule"}[self.code[:2]]


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    messages: Iterable[str],
    return_code: str,
    summary: str,
    decision: str = "",
    *,
    scope: str = "message",
    level: str = "message",
    covers: str,
) -> Callable[[Check], Check]:
    """Register a rule function under its code."""
    names = tuple(messages)
    for name in names:
        catalogue.get(name)  # fail at import on a typo
    if scope not in SCOPES or level not in LEVELS:
        raise ValueError(f"rule {code}: scope {scope!r} or level {level!r} unknown")

    def register(check: Check) -> Check:
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = Rule(
            code, names, return_code, summary, check, decision, scope, level, covers
        )
        return check

    return register


# --- small helpers the rule modules share ---------------------------------------------------


def at(obj: Any, *children: str) -> str:
    """Path of ``obj``, or of its named child element (which must be present)."""
    base = codec.path_of(obj)
    return "/".join((base, *children)) if children else base


def dagtekening(message: Any) -> Any:
    return message.Header.BerichtIdentificatie.Dagtekening


_XML_SPACE = re.compile(r"[ \t\r\n]+")


def collapsed(text: str | None) -> str:
    """A value as the published validation compares it (XPath normalize-space): runs of
    XML whitespace made one space, both ends trimmed; nothing at all for an absent value."""
    return _XML_SPACE.sub(" ", text).strip(" ") if text else ""
