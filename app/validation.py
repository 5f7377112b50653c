"""Checking one message on its own: safe parsing, schema, then the message rules.

This is what ``iwmo validate`` and the ingest API share. Rules run only on schema-valid
messages: the standard judges content only once the form is right.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.config import Settings
from app.findings import CODEC, TECHNICAL_REJECTION, XML, Finding
from app.rules import RuleSet
from app.rules import default as default_rules
from app.standard import codec, parsing
from app.standard.catalogue import MessageType
from app.standard.schema import Schemas, not_a_message


@dataclass
class Report:
    message_type: MessageType | None = None
    schema_valid: bool = False
    findings: list[Finding] = field(default_factory=list)
    root: etree._Element | None = None
    message: Any = None  # the typed message, when the schema passed
    # The typed header alone, when the schema passed but the body holds a value the
    # service cannot represent (a CODEC finding); None when the header is the problem.
    header: Any = None
    problem: str | None = None  # parsing problem kind (empty, too_large, encoding, ...)

    @property
    def clean(self) -> bool:
        return self.schema_valid and not self.findings

    def as_json(self, file: str | None = None) -> dict[str, object]:
        data: dict[str, object] = {}
        if file is not None:
            data["file"] = file
        data.update(
            message=self.message_type.name if self.message_type else None,
            schema_valid=self.schema_valid,
            findings=[f.as_json() for f in self.findings],
        )
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

    def check(self, data: bytes) -> Report:
        report = Report()
        try:
            parsed = parsing.parse(data, max_bytes=self.settings.max_message_bytes)
        except parsing.MessageError as exc:
            report.problem = exc.problem
            report.findings.append(Finding(XML, TECHNICAL_REJECTION, "/", exc.message, exc.line))
            return report
        report.root = parsed.root
        report.message_type = parsed.message_type
        if parsed.message_type is None:
            report.problem = "unknown_root"
            report.findings.append(not_a_message(parsed.root))
            return report
        report.findings = self.schemas.validate(parsed.root, parsed.message_type)
        report.schema_valid = not report.findings
        if not report.schema_valid:
            return report
        try:
            report.message = codec.decode(parsed.root, parsed.message_type)
        except codec.CodecError as exc:
            report.findings.append(Finding(CODEC, TECHNICAL_REJECTION, exc.path, exc.message))
            # The header alone may still be readable: enough to answer with a refusal.
            with contextlib.suppress(codec.CodecError):
                report.header = codec.decode_header(parsed.root, parsed.message_type)
            return report
        report.findings.extend(self.rules.check(report.message))
        return report
