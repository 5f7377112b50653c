"""Stage 2: read the message and check it on its own (safe parsing, schema, message rules),
and say whether it can be judged at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.administration.kinds import MessageStatus
from app.intake.verdicts import Refusal
from app.validation import Report, listed

__all__ = ["UNREADABLE", "Unjudgeable", "findings_of", "unjudgeable"]

# What each way of being unreadable is called, and the transport error code it has.
UNREADABLE: dict[str, tuple[str, str | None]] = {
    "empty": ("the message is empty", None),
    "too_large": ("the message is too large", "IB012"),
    "encoding": ("the message is not UTF-8", None),
    "doctype": ("the message declares a DOCTYPE", None),
    "not_well_formed": ("the message is not well-formed XML", None),
    "unknown_root": ("not an iWmo 3.2 message", "IB004"),
}


@dataclass(frozen=True)
class Unjudgeable:
    """A message that cannot be judged: the status to record, and the refusal."""

    status: str
    refusal: Refusal


def findings_of(report: Report, limit: int) -> tuple[list[dict[str, Any]], int]:
    return listed(report.findings, limit, report.omitted)


def unjudgeable(report: Report, limit: int) -> Unjudgeable | None:
    """Why a checked message cannot be judged, or None when it can (its header read)."""
    findings, omitted = findings_of(report, limit)
    if report.problem == "timeout":
        return Unjudgeable(
            MessageStatus.REJECTED,
            Refusal(
                "timeout",
                "judging the message took too long",
                f"{report.findings[0].message}; it was not processed",
                findings=findings,
                omitted=omitted,
            ),
        )
    if report.problem is not None:
        title, code = UNREADABLE[report.problem]
        return Unjudgeable(
            MessageStatus.UNREADABLE,
            Refusal(
                report.problem,
                title,
                report.findings[0].message,
                code,
                findings=findings,
                omitted=omitted,
            ),
        )
    mt = report.message_type
    assert mt is not None
    if not report.schema_valid:
        count = len(report.findings) + report.omitted
        return Unjudgeable(
            MessageStatus.REJECTED,
            Refusal(
                "schema",
                f"the {mt.name} does not match its schema",
                f"{'at least ' if not report.complete else ''}{count:,} schema finding(s); "
                "the message was not processed",
                "IB014",
                findings=findings,
                omitted=omitted,
            ),
        )
    header = report.message.Header if report.message is not None else report.header
    if header is None or (report.message is None and mt.is_retour):
        # Schema-valid, but holding a value the service cannot represent (a year after
        # 9999) where no retour can be built from the header alone.
        return Unjudgeable(
            MessageStatus.REJECTED,
            Refusal(
                "unrepresentable",
                f"the {mt.name} holds a value the service cannot process",
                report.findings[0].message,
                findings=findings,
                omitted=omitted,
            ),
        )
    return None
