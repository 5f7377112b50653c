"""Building retour messages: the receiver's verdict on a message, level by level.

The standard checks a received message on four levels (IV032): the schema, the rules
within the message, rules across messages, and external sources. A message that fails the
schema gets no retour at all: the sender gets an error instead (the hub answers over HTTP).
For the other levels:

* nothing wrong: the message is fully approved and the retour is the header alone, without
  return codes (IV028);
* rules within the message (all with return code 0001) and anything wrong in the header
  refuse the message as a whole: the retour holds only the header, with those codes;
* otherwise the retour mirrors what was received and every message class that carries
  RetourCodes (Client, ToegewezenProduct, StartProduct, ...) gets the codes of the
  findings located in it, 0200 when it is fine, and 0233 (not judged) when a class above
  it was refused.

WMO301, 305, 307, 315, 317 and 319 are answered by 302, 306, 308, 316, 318 and 320. A
declaration (WMO323) is answered by WMO325, which lists only the refused performances.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from app.clock import today
from app.findings import TECHNICAL_REJECTION, Finding, enclosing, within
from app.standard import catalogue, codec, elements
from app.standard import messages as m
from app.standard.catalogue import XSD_VERSIE, MessageType

OK = "0200"
NOT_JUDGED = "0233"
FULLY_GRANTED = "8001"

_HEADER = "/Bericht/Header"


def new_identificatie() -> str:
    """A 12-character identification for a retour or answer message."""
    return secrets.token_hex(6)


def refusal_codes(findings: Iterable[Finding]) -> list[str]:
    """Codes that refuse a message as a whole: rules within the message (0001) and
    anything found in the header. Empty when the content is judged class by class."""
    codes: list[str] = []
    for f in findings:
        whole = (
            f.return_code == TECHNICAL_REJECTION
            or within(f.path, _HEADER)
            or f.path in ("", "/", "/Bericht")
        )
        if whole and f.return_code not in codes:
            codes.append(f.return_code)
    return codes


def build(
    original: Any,
    findings: Sequence[Finding] = (),
    *,
    identificatie: str | None = None,
    dagtekening: date | None = None,
) -> Any:
    """The retour of a schema-valid outbound message other than WMO323."""
    mt = catalogue.of(original)
    if mt.name == "WMO323":
        raise ValueError("WMO323 is answered with WMO325: use declaratie_antwoord()")
    if mt.is_retour:
        raise ValueError(f"{mt.name} is itself a retour message")
    retour = mt.retour
    identificatie = identificatie or new_identificatie()
    dagtekening = dagtekening or today()
    refused = refusal_codes(findings)
    if refused or not findings:
        # Fully approved: the header alone, without return codes (IV028).
        return retour.root(
            Header=_retour_header(original.Header, retour, refused, identificatie, dagtekening)
        )
    if not codec.path_of(original):
        codec.locate(original)
    by_level = _assign(original, findings)
    body_field = elements.specs(mt.root)[1].name
    body = copy.deepcopy(getattr(original, body_field))
    for obj in _classes(body):
        path = codec.path_of(obj)
        if path in by_level:
            obj.RetourCodes = by_level[path]
        elif enclosing(path.rpartition("/")[0], by_level) is not None:
            obj.RetourCodes = [NOT_JUDGED]
        else:
            obj.RetourCodes = [OK]
    header = _retour_header(original.Header, retour, [OK], identificatie, dagtekening)
    return retour.root(Header=header, **{body_field: body})


def refusal(
    message_type: MessageType,
    header: Any,
    codes: Sequence[str],
    *,
    identificatie: str | None = None,
    dagtekening: date | None = None,
) -> Any:
    """The answer that refuses an outbound message as a whole: its retour (or, for a
    WMO323, its WMO325) with the header alone, carrying ``codes``. Built from the header
    only, for a message whose content the service could not read into typed objects."""
    if message_type.is_retour:
        raise ValueError(f"{message_type.name} is itself a retour message")
    identificatie = identificatie or new_identificatie()
    dagtekening = dagtekening or today()
    if message_type.name == "WMO323":
        return m.WMO325(Header=_antwoord_header(header, list(codes), identificatie, dagtekening))
    retour = message_type.retour
    return retour.root(
        Header=_retour_header(header, retour, list(codes), identificatie, dagtekening)
    )


def _retour_header(
    original: Any, retour: MessageType, codes: list[str], identificatie: str, dagtekening: date
) -> Any:
    header_cls = elements.specs(retour.root)[0].cls
    assert header_cls is not None
    # The header's parts are scalars and small records of scalars: a copy of each record
    # (not a deep copy of everything) keeps the retour's header apart from the original's.
    fields = {
        f.name: copy.copy(value) if dataclasses.is_dataclass(value) else value
        for f in dataclasses.fields(original)
        for value in (getattr(original, f.name),)
    }
    fields["BerichtCode"] = retour.code
    return header_cls(
        **fields,
        IdentificatieRetour=identificatie,
        DagtekeningRetour=dagtekening,
        XsdVersieRetour=_xsd_versie(),
        RetourCodes=codes,
    )


def _xsd_versie() -> m.XsdVersie:
    return m.XsdVersie(BasisschemaXsdVersie=XSD_VERSIE, BerichtXsdVersie=XSD_VERSIE)


# --- WMO325 ---------------------------------------------------------------------------------


def declaratie_antwoord(
    declaratie: m.WMO323,
    findings: Sequence[Finding] = (),
    *,
    identificatie: str | None = None,
    dagtekening: date | None = None,
) -> m.WMO325:
    """WMO325 for a schema-valid declaration, from the findings on it.

    Refused as a whole (rules within the message, header): header only. Findings on the
    declaration itself (a duplicate DeclaratieNummer): nothing granted, nothing listed.
    Otherwise each performance with a finding is refused with its codes (a client-level
    finding refuses all its performances) and listed; the granted total is the submitted
    total minus the listed lines (TR342); 8001 says everything was granted.
    """
    identificatie = identificatie or new_identificatie()
    dagtekening = dagtekening or today()
    refused = refusal_codes(findings)
    if refused:
        return m.WMO325(
            Header=_antwoord_header(declaratie.Header, refused, identificatie, dagtekening)
        )
    if not codec.path_of(declaratie):
        codec.locate(declaratie)
    d = declaratie.Declaratie
    header = _antwoord_header(declaratie.Header, [OK], identificatie, dagtekening)
    by_level = _assign(declaratie, findings)
    whole = [
        c
        for f in findings
        if not within(f.path, codec.path_of(d) + "/Clienten")
        for c in [f.return_code]
    ]
    if whole:
        antwoord = m.DeclaratieAntwoord(
            DeclaratieNummer=d.DeclaratieNummer,
            TotaalIngediendBedrag=copy.deepcopy(d.TotaalIngediendBedrag),
            TotaalToegekendBedrag=_total(0),
            RetourCodes=list(dict.fromkeys(whole)),
        )
        return m.WMO325(Header=header, DeclaratieAntwoord=antwoord)
    clients: list[m.DeclaratieClient] = []
    refused_total = 0
    for client in d.Clienten:
        client_codes = by_level.get(codec.path_of(client))
        lines = []
        for prestatie in client.Prestaties:
            codes = by_level.get(codec.path_of(prestatie)) or (
                [NOT_JUDGED] if client_codes else None
            )
            if codes is None:
                continue
            # A copy of its own for the codes; what it holds is shared, never changed.
            line = copy.copy(prestatie)
            line.RetourCodes = codes
            lines.append(line)
            refused_total += prestatie.IngediendBedrag.signed
        if lines:
            clients.append(
                m.DeclaratieClient(
                    Bsn=client.Bsn, Prestaties=lines, RetourCodes=client_codes or [OK]
                )
            )
    antwoord = m.DeclaratieAntwoord(
        DeclaratieNummer=d.DeclaratieNummer,
        TotaalIngediendBedrag=copy.deepcopy(d.TotaalIngediendBedrag),
        TotaalToegekendBedrag=_total(d.TotaalIngediendBedrag.signed - refused_total),
        Clienten=clients,
        RetourCodes=[OK] if clients else [FULLY_GRANTED],
    )
    return m.WMO325(Header=header, DeclaratieAntwoord=antwoord)


def _total(signed: int) -> m.TotaalBedragMetDC:
    # A zero amount is written as debit (CS325).
    return m.TotaalBedragMetDC(TotaalBedrag=abs(signed), DebetCredit="C" if signed < 0 else "D")


def _antwoord_header(
    original: Any, codes: list[str], identificatie: str, dagtekening: date
) -> m.DeclaratieAntwoordHeader:
    return m.DeclaratieAntwoordHeader(
        BerichtCode=catalogue.get("WMO325").code,
        BerichtVersie=catalogue.BERICHT_VERSIE,
        BerichtSubversie=catalogue.BERICHT_SUBVERSIE,
        Afzender=original.Ontvanger,
        Ontvanger=original.Afzender,
        BerichtIdentificatie=m.BerichtIdentificatie(
            Identificatie=identificatie, Dagtekening=dagtekening
        ),
        XsdVersie=_xsd_versie(),
        DeclaratieIdentificatie=copy.deepcopy(original.BerichtIdentificatie),
        XsdVersieDeclaratie=copy.deepcopy(original.XsdVersie),
        RetourCodes=codes,
    )


# --- helpers --------------------------------------------------------------------------------


def _classes(obj: Any) -> Iterable[Any]:
    """Every object below ``obj`` (itself included) that carries RetourCodes."""
    if obj is None:
        return
    specs = elements.specs(type(obj))
    if any(s.retour_only for s in specs):
        yield obj
    for spec in specs:
        if spec.cls is None:
            continue
        value = getattr(obj, spec.name)
        for item in value if spec.kind == "list" else [value]:
            yield from _classes(item)


def _assign(original: Any, findings: Sequence[Finding]) -> dict[str, list[str]]:
    """Return codes per message class path: each finding goes to the deepest class whose
    path contains it."""
    if not findings:  # nothing to place: spare the walk over every class of the message
        return {}
    levels = {codec.path_of(o) for o in _classes(original)}
    result: dict[str, list[str]] = {}
    for f in findings:
        level = enclosing(f.path, levels)
        if level is None:
            continue
        codes = result.setdefault(level, [])
        if f.return_code not in codes:
            codes.append(f.return_code)
    return result
