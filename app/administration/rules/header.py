"""Header rules: a finding here refuses the whole message before its content is judged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.administration.context import Context
from app.rules.registry import Violation, rule
from app.standard import gemeenten

# The rule texts list WMO325 too: a municipality's declaration answer is judged the same way.
OUTBOUND = ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "WMO325"]
_IDENTIFICATIE = "/Bericht/Header/BerichtIdentificatie/Identificatie"


@rule(
    "TR056",
    OUTBOUND,
    "9056",
    "a sender uses each Identificatie once per message type",
    decision="Counted over schema-valid messages: a message the schema refused never "
    "reached the receiver, so its identification may be used again; so may a declaration's "
    "refused as a whole or on the Declaratie itself, which counts as not sent (IV087). The "
    "same bytes sent again are not a new message: they get the stored answer.",
    scope="administration",
    level="header",
    covers="Header/BerichtIdentificatie/Identificatie, Header/Afzender",
)
def tr056(msg: Any, ctx: Context) -> Iterator[Violation]:
    h = msg.Header
    # The pipeline claims the identification for the first message that uses it.
    if ctx.claim_holder is not None and ctx.claim_holder != ctx.message_id:
        yield (
            _IDENTIFICATIE,
            (
                f"Identificatie {h.BerichtIdentificatie.Identificatie} was used "
                f"before by {h.Afzender} for another {ctx.message_type.name}"
            ),
        )


@rule(
    "TR135",
    OUTBOUND,
    "8848",
    "the Dagtekening is not in the future",
    scope="external",
    level="header",
    covers="Header/BerichtIdentificatie/Dagtekening",
)
def tr135(msg: Any, ctx: Context) -> Iterator[Violation]:
    day = msg.Header.BerichtIdentificatie.Dagtekening
    if day > ctx.today:
        yield (
            "/Bericht/Header/BerichtIdentificatie/Dagtekening",
            (f"Dagtekening {day} lies after today ({ctx.today})"),
        )


@rule(
    "TR378",
    OUTBOUND,
    "S300",
    "the municipality code is in the CBS list",
    decision="Checked against the CBS list of 1 January 2026 (app/standard/gemeenten.py) "
    "plus codes an operator adds for reorganised municipalities.",
    scope="external",
    level="header",
    covers="Header/Afzender or Header/Ontvanger (the municipality)",
)
def tr378(msg: Any, ctx: Context) -> Iterator[Violation]:
    field = "Afzender" if ctx.message_type.sender == "gemeente" else "Ontvanger"
    code = getattr(msg.Header, field)
    if not gemeenten.known(code, ctx.extra_municipalities):
        yield f"/Bericht/Header/{field}", f"{code} is not a CBS municipality code"
