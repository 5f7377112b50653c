"""Building retour messages: the receiver's verdict on a message, level by level.

For 301, 305, 307, 315, 317 and 319 the retour (302, 306, ...) mirrors what was received
and adds RetourCodes to the header and to every message class (Client, ToegewezenProduct,
...): the codes of the findings located in that class, 0200 where the class is fine, 0233
where it was not judged. A message that is not schema-valid is answered with the header
only and 0001. WMO325, the answer to a declaration, is built by ``declaratie_antwoord``
from a decision per performance (Prestatie).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from lxml import etree

from app.findings import TECHNICAL_REJECTION, Finding
from app.standard import catalogue, codec, datatypes, elements
from app.standard import messages as m
from app.standard.catalogue import BASIS_NAMESPACE, XSD_VERSIE, MessageType

OK = "0200"
NOT_JUDGED = "0233"
FULLY_GRANTED = "8001"

_HEADER = "/Bericht/Header"


def new_identificatie() -> str:
    """A 12-character identification for a retour or answer message."""
    return secrets.token_hex(6)


def _xsd_versie() -> m.XsdVersie:
    return m.XsdVersie(BasisschemaXsdVersie=XSD_VERSIE, BerichtXsdVersie=XSD_VERSIE)


def _retour_header(
    original: Any, retour: MessageType, codes: list[str], identificatie: str, dagtekening: date
) -> Any:
    header_cls = elements.specs(retour.root)[0].cls
    assert header_cls is not None
    fields = {
        f.name: copy.deepcopy(getattr(original, f.name)) for f in dataclasses.fields(original)
    }
    fields["BerichtCode"] = retour.code
    return header_cls(
        **fields,
        IdentificatieRetour=identificatie,
        DagtekeningRetour=dagtekening,
        XsdVersieRetour=_xsd_versie(),
        RetourCodes=codes,
    )


def build(
    original: Any,
    findings: Sequence[Finding] = (),
    *,
    judged: bool = True,
    identificatie: str | None = None,
    dagtekening: date | None = None,
) -> Any:
    """The retour of a decoded (or built) outbound message other than WMO323.

    ``judged=False`` marks a message refused before its content was looked at (a header
    level rejection such as a duplicate identification): every class below the header then
    carries 0233.
    """
    mt = catalogue.of(original)
    if mt.name == "WMO323":
        raise ValueError("WMO323 is answered with WMO325: use declaratie_antwoord()")
    retour = mt.retour
    if not codec.path_of(original):
        codec.locate(original)
    by_level = _assign(original, findings)
    header_codes = by_level.pop(_HEADER, None) or [OK]
    body_field = elements.specs(mt.root)[1].name
    body = copy.deepcopy(getattr(original, body_field))
    for obj in _classes(body):
        path = codec.path_of(obj)
        obj.RetourCodes = by_level.get(path) or ([OK] if judged else [NOT_JUDGED])
    header = _retour_header(
        original.Header,
        retour,
        header_codes,
        identificatie or new_identificatie(),
        dagtekening or date.today(),
    )
    return retour.root(Header=header, **{body_field: body})


def rejected(
    root: etree._Element,
    mt: MessageType,
    *,
    code: str = TECHNICAL_REJECTION,
    identificatie: str | None = None,
    dagtekening: date | None = None,
) -> Any | None:
    """Header-only retour for a message refused as a whole (not schema-valid).

    The header is read leniently from the tree; when it is too broken to mirror (a retour
    must itself be schema-valid) there is no retour and the caller answers otherwise.
    """
    if mt.is_retour:
        return None
    header = _lenient_header(root, mt)
    if header is None:
        return None
    identificatie = identificatie or new_identificatie()
    dagtekening = dagtekening or date.today()
    if mt.name == "WMO323":
        return m.WMO325(Header=_antwoord_header(header, [code], identificatie, dagtekening))
    return mt.retour.root(
        Header=_retour_header(header, mt.retour, [code], identificatie, dagtekening)
    )


# --- WMO325 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The municipality's verdict on one Prestatie: granted, or rejected with codes."""

    codes: tuple[str, ...] = ()

    @property
    def granted(self) -> bool:
        return not self.codes


GRANTED = Decision()


def declaratie_antwoord(
    declaratie: m.WMO323,
    decisions: Mapping[str, Decision] | None = None,
    *,
    rejection: Sequence[str] = (),
    identificatie: str | None = None,
    dagtekening: date | None = None,
) -> m.WMO325:
    """WMO325 for a declaration, given a decision per ProductReferentie.ReferentieNummer.

    Performances without a decision are granted. Only rejected performances are listed
    (TR342); the granted total is the submitted total minus the rejected lines. A
    ``rejection`` refuses the declaration as a whole: nothing is listed, nothing granted.
    """
    decisions = decisions or {}
    d = declaratie.Declaratie
    identificatie = identificatie or new_identificatie()
    dagtekening = dagtekening or date.today()
    header = _antwoord_header(declaratie.Header, [OK], identificatie, dagtekening)
    if rejection:
        antwoord = m.DeclaratieAntwoord(
            DeclaratieNummer=d.DeclaratieNummer,
            TotaalIngediendBedrag=copy.deepcopy(d.TotaalIngediendBedrag),
            TotaalToegekendBedrag=m.TotaalBedragMetDC(TotaalBedrag=0, DebetCredit="D"),
            RetourCodes=list(rejection),
        )
        return m.WMO325(Header=header, DeclaratieAntwoord=antwoord)
    clients: list[m.DeclaratieClient] = []
    rejected_total = 0
    for client in d.Clienten:
        refused = []
        for prestatie in client.Prestaties:
            decision = decisions.get(prestatie.ProductReferentie.ReferentieNummer, GRANTED)
            if decision.granted:
                continue
            line = copy.deepcopy(prestatie)
            line.RetourCodes = list(decision.codes)
            refused.append(line)
            rejected_total += prestatie.IngediendBedrag.signed
        if refused:
            clients.append(m.DeclaratieClient(Bsn=client.Bsn, Prestaties=refused, RetourCodes=[OK]))
    granted = d.TotaalIngediendBedrag.signed - rejected_total
    antwoord = m.DeclaratieAntwoord(
        DeclaratieNummer=d.DeclaratieNummer,
        TotaalIngediendBedrag=copy.deepcopy(d.TotaalIngediendBedrag),
        TotaalToegekendBedrag=_total(granted),
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
    path contains it; findings elsewhere (root, header) go to the header."""
    levels = sorted((codec.path_of(o) for o in _classes(original)), key=len, reverse=True)
    result: dict[str, list[str]] = {}
    for f in findings:
        level = next((p for p in levels if f.path == p or f.path.startswith(p + "/")), _HEADER)
        codes = result.setdefault(level, [])
        if f.return_code not in codes:
            codes.append(f.return_code)
    return result


def _lenient_header(root: etree._Element, mt: MessageType) -> Any | None:
    """The header of a possibly invalid message, if every field is usable."""
    header_cls = elements.specs(mt.root)[0].cls
    assert header_cls is not None
    ns = mt.namespace
    header_el = root.find(f"{{{ns}}}Header")
    if header_el is None:
        return None
    values: dict[str, Any] = {}
    for spec in elements.specs(header_cls):
        el = header_el.find(f"{{{ns}}}{spec.name}")
        if el is None:
            return None
        try:
            if spec.cls is not None:
                values[spec.name] = _lenient_basis(el, spec.cls)
            else:
                assert spec.simple is not None
                values[spec.name] = _checked(el.text or "", spec.simple)
        except ValueError:
            return None
    values["BerichtCode"] = mt.code
    values["BerichtVersie"] = catalogue.BERICHT_VERSIE
    values["BerichtSubversie"] = catalogue.BERICHT_SUBVERSIE
    return header_cls(**values)


def _lenient_basis(el: etree._Element, cls: type) -> Any:
    values = {}
    for spec in elements.specs(cls):
        child = el.find(f"{{{BASIS_NAMESPACE}}}{spec.name}")
        if child is None:
            raise ValueError(spec.name)
        assert spec.simple is not None
        values[spec.name] = _checked(child.text or "", spec.simple)
    return cls(**values)


def _checked(text: str, simple: datatypes.SimpleType) -> Any:
    """Convert a header value, refusing what would make the retour schema-invalid."""
    value = codec._CONVERTERS[simple.base](text)
    if simple.base == "string":
        if simple.max_length is not None and len(text) > simple.max_length:
            raise ValueError(text)
        if not text or (simple.pattern and not re.fullmatch(simple.pattern, text)):
            raise ValueError(text)
    return value
