"""Checking a large message against its schema in one pass, without building its tree.

Validating a tree costs the square of a list's length when many of its items are wrong:
libxml2 names the element of every schema error by a path it builds by walking all the
element's preceding siblings, and it keeps every error. A declaration of 50,000 lines with
one mistake each would hold a worker for minutes. Here the parser validates while it
reads; the service keeps its own path to the current element (a stack with counters),
keeps the first findings, counts the rest, and stops reading once the count passes a
ceiling or the time budget runs out. Time is linear in the input; memory is bounded by the
nesting depth and the findings kept.

The parser reports a schema error right after the event it concerns: after the end of an
element whose value is wrong, after the start of an element that is not expected there,
after the end of an element that misses a child. The error names the element, so it is
placed on the element of that event, or else on the nearest open element of that name.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from lxml import etree

from app.findings import TECHNICAL_REJECTION, XSD, Finding
from app.standard import paths
from app.standard.catalogue import MessageType

__all__ = ["Budget", "BudgetExceeded", "Scan", "TooCrowded", "Watch", "validate", "watching"]

# After how many elements the clock is looked at: often enough to stop within a few
# milliseconds of the budget, rarely enough to cost nothing.
_CLOCK_EVERY = 2048
# Distinct child names counted per element; more only happens in a message that is wrong
# already, and counting them all would let one element hold unbounded memory.
_MAX_NAMES = 256
# libxml2 refuses a longer text when it builds a tree (without XML_PARSE_HUGE) but not when
# it only reports events; its pattern matching then fails on it. Refused the same way here.
_MAX_TEXT = 10_000_000
_NAMED = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'")


class BudgetExceeded(Exception):
    """Judging one message took longer than the service allows."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"judging took longer than the {seconds:g} s allowed for one message")
        self.seconds = seconds


@dataclass
class Budget:
    """The time one message may take to judge, from when judging started."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise BudgetExceeded(self.seconds)

    @classmethod
    def unlimited(cls) -> Budget:
        return cls(float("inf"))


class TooCrowded(Exception):
    """An element carries more attributes or namespace declarations than allowed, or a
    text longer than the parser allows when it builds a tree."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Scan:
    """What one pass found: the first findings, how many distinct errors there were
    (``complete`` False when reading stopped at the ceiling, so there were at least that
    many), and how many elements were read."""

    findings: list[Finding]
    errors: int
    complete: bool
    elements: int

    @property
    def omitted(self) -> int:
        return max(0, self.errors - len(self.findings))


class _Frame:
    __slots__ = ("counts", "index", "name", "parent", "tag")

    def __init__(self, tag: str, parent: _Frame | None, index: int) -> None:
        self.tag = tag
        self.name = paths.local(tag)
        self.parent = parent
        self.index = index
        self.counts: dict[str, int] = {}

    def path(self) -> str:
        parts: list[str] = []
        frame: _Frame | None = self
        repeatable = paths.repeatable()
        while frame is not None:
            parent = frame.parent
            name = frame.name
            if parent is not None and (
                parent.counts.get(frame.tag, 0) > 1 or (parent.name, name) in repeatable
            ):
                name = f"{name}[{frame.index}]"
            parts.append(name)
            frame = parent
        return "/" + "/".join(reversed(parts))


class _Stop(Exception):
    """Raised from a parser callback to stop reading."""


Explain = Any  # (raw message, (parent name, name), message type) -> reason


class _Pass:
    """The parser target of one pass: tracks where the parser is, and receives the
    schema errors the parser reports meanwhile."""

    def __init__(
        self,
        mt: MessageType,
        limit: int,
        ceiling: int,
        budget: Budget,
        explain: Explain,
        max_attributes: int,
        max_namespaces: int,
    ) -> None:
        self.mt = mt
        self.limit = limit
        self.ceiling = ceiling
        self.budget = budget
        self.explain = explain
        self.max_attributes = max_attributes
        self.max_namespaces = max_namespaces
        self.stack: list[_Frame] = []
        self.declared: list[int] = []
        self.in_scope = 0
        self.last: _Frame | None = None  # the element of the latest event
        self.elements = 0
        self.errors = 0
        self.kept: list[tuple[_Frame | None, str, int | None]] = []
        self.last_error: _Frame | None = None
        self.stopped = False
        self.failure: BaseException | None = None
        self.text = 0  # characters of the current text so far

    # --- parser target ---------------------------------------------------------------------

    def start(self, tag: str, attrib: Any, nsmap: Any = None) -> None:
        if self.stopped:
            raise _Stop
        self.elements += 1
        if self.elements % _CLOCK_EVERY == 0:
            self._tick()
        parent = self.stack[-1] if self.stack else None
        index = 1
        if parent is not None:
            counts = parent.counts
            index = counts.get(tag, 0) + 1
            if index > 1 or len(counts) < _MAX_NAMES:
                counts[tag] = index
        frame = _Frame(tag, parent, index)
        self.stack.append(frame)
        self.last = frame
        self.text = 0
        if len(attrib) > self.max_attributes:
            self._fail(
                TooCrowded(
                    f"element {frame.name} has {len(attrib):,} attributes; "
                    f"at most {self.max_attributes} are allowed on one element"
                )
            )
        new = len(nsmap) if nsmap else 0
        self.declared.append(new)
        self.in_scope += new
        if self.in_scope > self.max_namespaces:
            self._fail(
                TooCrowded(
                    f"element {frame.name} has {self.in_scope:,} namespace declarations in "
                    f"scope; at most {self.max_namespaces} are allowed"
                )
            )

    def end(self, tag: str) -> None:
        if self.stopped:
            raise _Stop
        self.last = self.stack.pop()
        self.in_scope -= self.declared.pop()
        self.text = 0

    def data(self, text: str) -> None:
        self.text += len(text)
        if self.text > _MAX_TEXT:
            where = self.stack[-1].name if self.stack else "the message"
            self._fail(
                TooCrowded(
                    f"a text in {where} is longer than the parser allows "
                    f"(more than {_MAX_TEXT:,} characters)"
                )
            )

    def close(self) -> None:
        return None

    # --- errors -----------------------------------------------------------------------------

    def receive(self, entry: Any) -> None:
        if entry.domain != _SCHEMAS_VALIDITY:
            return  # well-formedness errors end the parse and are reported from there
        frame = self._element_of(str(entry.message))
        if frame is not None and frame is self.last_error:
            return  # libxml2 often reports one bad value twice (facet and type)
        self.last_error = frame
        self.errors += 1
        if len(self.kept) < self.limit:
            self.kept.append((frame, str(entry.message), entry.line or None))
        if self.errors >= self.ceiling:
            self.stopped = True  # the next callback stops the parser

    def _element_of(self, message: str) -> _Frame | None:
        named = _NAMED.match(message)
        if named is None:
            return self.last
        name = named.group(1)
        if self.last is not None and self.last.name == name:
            return self.last
        for frame in reversed(self.stack):
            if frame.name == name:
                return frame
        return self.last

    def _tick(self) -> None:
        try:
            self.budget.check()
        except BudgetExceeded as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.failure = exc
        self.stopped = True
        raise _Stop

    def findings(self) -> list[Finding]:
        found = []
        for frame, message, line in self.kept:
            names = (frame.parent.name if frame.parent else "", frame.name) if frame else None
            found.append(
                Finding(
                    XSD,
                    TECHNICAL_REJECTION,
                    frame.path() if frame is not None else "/",
                    self.explain(message, names, self.mt),
                    line,
                )
            )
        return found


_SCHEMAS_VALIDITY = etree.ErrorDomains.SCHEMASV


class Watch:
    """Whether the parser reported a schema error in this thread while watched: a reader
    that validates as it goes asks, to stop at the first error instead of reading on."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen = False

    def __call__(self) -> bool:
        return self.seen

    def receive(self, entry: Any) -> None:
        if entry.domain == _SCHEMAS_VALIDITY:
            self.seen = True


@contextlib.contextmanager
def watching() -> Iterator[Watch]:
    """Watch for schema errors the parser reports in this thread meanwhile."""
    watch = Watch()
    receiver = _receiver()
    receiver.current = watch
    try:
        yield watch
    finally:
        receiver.current = None


class _Receiver(etree.PyErrorLog):  # type: ignore[misc]
    """This thread's global lxml error log: hands errors to the pass or watch running in
    it, and drops everything else (lxml keeps its own log per parser and schema as well)."""

    def __init__(self) -> None:
        super().__init__()
        self.current: _Pass | Watch | None = None

    def receive(self, log_entry: Any) -> None:
        current = self.current
        if current is not None:
            current.receive(log_entry)


_local = threading.local()


def _receiver() -> _Receiver:
    found: _Receiver | None = getattr(_local, "receiver", None)
    if found is None:
        found = _local.receiver = _Receiver()
        etree.use_global_python_log(found)
    return found


def validate(
    data: bytes,
    mt: MessageType,
    schema: etree.XMLSchema,
    *,
    limit: int,
    ceiling: int,
    budget: Budget,
    explain: Explain,
    max_attributes: int,
    max_namespaces: int,
) -> Scan:
    """Read ``data`` once, validating it against ``schema`` as it goes.

    Keeps the first ``limit`` findings and stops reading once ``ceiling`` distinct errors
    were seen. Raises ``etree.XMLSyntaxError`` for XML that is not well-formed,
    ``TooCrowded`` for an element with too many attributes or namespaces, and
    ``BudgetExceeded`` when the budget runs out."""
    target = _Pass(mt, limit, ceiling, budget, explain, max_attributes, max_namespaces)
    parser = etree.XMLParser(
        schema=schema,
        target=cast(Any, target),  # lxml calls only the methods a target has
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        collect_ids=False,
    )
    receiver = _receiver()
    receiver.current = target
    try:
        etree.fromstring(data, parser)
    except _Stop:
        pass
    finally:
        receiver.current = None
    if target.failure is not None:
        raise target.failure
    complete = not target.stopped
    return Scan(target.findings(), target.errors, complete, target.elements)
