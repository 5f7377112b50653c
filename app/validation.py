"""Checking one message on its own: safe parsing, schema, then the message rules.

This is what ``iwmo validate`` and the intake share. Rules run only on schema-valid
messages: the standard judges content only once the form is right.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.config import Settings
from app.findings import CODEC, TECHNICAL_REJECTION, TIME, XML, Finding
from app.rules import RuleSet
from app.rules import default as default_rules
from app.standard import codec, parsing
from app.standard.catalogue import MessageType
from app.standard.scan import Budget, BudgetExceeded, TooCrowded, watching
from app.standard.schema import Schemas, not_a_message

# Messages up to this size are parsed into a tree and validated there, which is fastest;
# larger ones are read once, validated and decoded item by item together, and when that
# read meets an error, validated again while read (``app.standard.scan``) to name every
# finding: a long list of wrong items costs time in proportion to its length, not its
# square, and a valid one is read once.
STREAM_ABOVE = 16 * 1024
# Stop reading a message once this many times the listed findings were found.
_CEILING_FACTOR = 100


@dataclass
class Report:
    message_type: MessageType | None = None
    schema_valid: bool = False
    findings: list[Finding] = field(default_factory=list)
    # The tree as read, or for a large message its start only (root and Header).
    root: etree._Element | None = None
    message: Any = None  # the typed message, when the schema passed
    # The typed header alone, when the schema passed but the body holds a value the
    # service cannot represent (a CODEC finding); None when the header is the problem.
    header: Any = None
    problem: str | None = None  # parsing problem kind (empty, too_large, encoding, ...)
    # Schema findings not in ``findings`` (only the first ones are kept); when checking
    # stopped early (``complete`` False) there were at least this many.
    omitted: int = 0
    complete: bool = True

    @property
    def clean(self) -> bool:
        return self.schema_valid and not self.findings

    def listed(self, limit: int) -> tuple[list[dict[str, object]], int]:
        """The findings as JSON, at most ``limit`` of them, and how many were left out."""
        return listed(self.findings, limit, self.omitted)

    def as_json(self, file: str | None = None, *, limit: int | None = None) -> dict[str, object]:
        data: dict[str, object] = {}
        if file is not None:
            data["file"] = file
        shown, omitted = self.listed(limit if limit is not None else len(self.findings))
        data.update(
            message=self.message_type.name if self.message_type else None,
            schema_valid=self.schema_valid,
            findings=shown,
        )
        if omitted:
            data["findings_omitted"] = omitted
            data["findings_complete"] = self.complete
        return data


class Validator:
    def __init__(
        self,
        settings: Settings | None = None,
        schemas: Schemas | None = None,
        rules: RuleSet | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.schemas = schemas or Schemas(self.settings.xsd_dir)
        self.rules = rules if rules is not None else default_rules()

    def budget(self) -> Budget:
        return Budget(self.settings.judge_seconds)

    def check(self, data: bytes, budget: Budget | None = None) -> Report:
        """Safe parsing, the schema, then the message rules; within ``budget`` (by
        default the service's time for one message), past which the report holds one
        finding ``TIME`` and the problem ``timeout``."""
        budget = budget or self.budget()
        try:
            return self._check(data, budget)
        except BudgetExceeded as exc:
            report = Report(problem="timeout")
            report.findings.append(Finding(TIME, TECHNICAL_REJECTION, "/", str(exc)))
            return report

    def _check(self, data: bytes, budget: Budget) -> Report:
        report = Report()
        small = len(data) <= STREAM_ABOVE
        limit = self.settings.max_findings
        try:
            if small:
                parsed = parsing.parse(data, max_bytes=self.settings.max_message_bytes)
            else:
                parsing.precheck(data, max_bytes=self.settings.max_message_bytes)
                parsed = parsing.sniff(data)
        except parsing.MessageError as exc:
            return _unreadable(report, exc)
        report.root = parsed.root
        report.message_type = mt = parsed.message_type
        if mt is None:
            report.problem = "unknown_root"
            report.findings.append(not_a_message(parsed.root))
            return report
        if not small and not parsing.may_be_crowded(data):
            message = self._read_once(data, mt, budget)
            if message is not None:
                report.schema_valid = True
                report.message = message
                budget.check()
                report.findings.extend(self.rules.check(message, budget))
                return report
        if small:
            found = self.schemas.check_tree(parsed.root, mt, limit=limit)
        else:
            try:
                found = self.schemas.check_stream(
                    data,
                    mt,
                    limit=limit,
                    ceiling=max(limit * _CEILING_FACTOR, 1000),
                    budget=budget,
                    max_attributes=parsing.MAX_ATTRIBUTES,
                    max_namespaces=parsing.MAX_NAMESPACES,
                )
            except etree.XMLSyntaxError as exc:
                return _unreadable(report, parsing.syntax_error(exc, data))
            except TooCrowded as exc:
                return _unreadable(report, parsing.MessageError("not_well_formed", exc.message))
        report.findings = found.findings
        report.omitted = found.omitted
        report.complete = found.complete
        report.schema_valid = found.errors == 0
        if not report.schema_valid:
            return report
        budget.check()
        try:
            if small:
                report.message = codec.decode(parsed.root, mt)
            else:
                # Known to be valid now: read again, decoding item by item, so that the
                # whole tree is never in memory (the start read before stays for reports).
                report.message = codec.decode_while_reading(data, mt)
        except codec.CodecError as exc:
            report.findings.append(Finding(CODEC, TECHNICAL_REJECTION, exc.path, exc.message))
            # The header alone may still be readable: enough to answer with a refusal.
            with contextlib.suppress(codec.CodecError):
                report.header = codec.decode_header(parsed.root, mt)
            return report
        budget.check()
        report.findings.extend(self.rules.check(report.message, budget))
        return report

    def _read_once(self, data: bytes, mt: MessageType, budget: Budget) -> Any:
        """A large message validated and decoded in one read, or None when it is not
        plainly valid: the careful passes then say what is wrong, at their own pace."""

        with watching() as watch:

            def halt() -> bool:
                budget.check()
                return watch.seen

            try:
                return codec.decode_while_reading(
                    data, mt, schema=self.schemas.compiled(mt), halt=halt
                )
            except (codec.Unread, codec.CodecError):
                return None


def listed(
    findings: list[Finding], limit: int, omitted: int = 0
) -> tuple[list[dict[str, object]], int]:
    """At most ``limit`` findings as JSON, and how many were left out (``omitted`` of them
    already before)."""
    shown = [f.as_json() for f in findings[:limit]]
    return shown, omitted + max(0, len(findings) - limit)


def _unreadable(report: Report, exc: parsing.MessageError) -> Report:
    report.problem = exc.problem
    report.findings.append(Finding(XML, TECHNICAL_REJECTION, "/", exc.message, exc.line))
    return report
