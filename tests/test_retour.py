"""Retour messages built from the published examples validate against the retour schemas."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from app import retour
from app.findings import Finding
from app.standard import catalogue, codec, parsing
from app.standard.schema import Schemas

PAIRS = [
    ("WMO301", "WMO302"),
    ("WMO305", "WMO306"),
    ("WMO307", "WMO308"),
    ("WMO315", "WMO316"),
    ("WMO317", "WMO318"),
    ("WMO319", "WMO320"),
    ("WMO323", "WMO325"),
]


def decoded(examples: dict[str, bytes], name: str):
    return codec.decode(parsing.parse(examples[name]).root)


def codes_at(tree: etree._Element, path: str) -> list[str]:
    steps = "/".join(
        f"*[local-name()='{s.split('[')[0]}']" + (f"[{s.split('[')[1]}" if "[" in s else "")
        for s in path.split("/")[1:]
    )
    [node] = tree.getroottree().xpath("/" + steps)
    return [c.text for c in node.xpath("*[local-name()='RetourCodes']/*")]


@pytest.mark.parametrize("outbound, expected", PAIRS)
def test_retour_of_each_example_is_valid(
    outbound: str, expected: str, examples: dict[str, bytes], schemas: Schemas
) -> None:
    message = decoded(examples, outbound)
    built = retour.declaratie_antwoord(message) if outbound == "WMO323" else retour.build(message)
    mt = catalogue.of(built)
    assert mt.name == expected
    tree = codec.encode(built)
    assert schemas.validate(tree, mt) == []
    header = built.Header
    assert header.BerichtCode == mt.code
    assert header.RetourCodes == ["0200"]


def test_findings_land_on_their_own_level(examples: dict[str, bytes], schemas: Schemas) -> None:
    message = decoded(examples, "WMO305")
    finding = Finding(
        "TR999", "9019", "/Bericht/Client/StartProducten/StartProduct[2]/Begindatum", "x"
    )
    built = retour.build(message, [finding], identificatie="R1", dagtekening=date(2025, 4, 6))
    tree = codec.encode(built)
    assert schemas.validate(tree, catalogue.get("WMO306")) == []
    assert codes_at(tree, "/Bericht/Header") == ["0200"]
    assert codes_at(tree, "/Bericht/Client") == ["0200"]
    assert codes_at(tree, "/Bericht/Client/StartProducten/StartProduct[1]") == ["0200"]
    assert codes_at(tree, "/Bericht/Client/StartProducten/StartProduct[2]") == ["9019"]
    assert built.Header.IdentificatieRetour == "R1"
    assert built.Header.DagtekeningRetour == date(2025, 4, 6)
    # the original header is mirrored
    assert built.Header.BerichtIdentificatie == message.Header.BerichtIdentificatie
    assert built.Header.Afzender == message.Header.Afzender


def test_header_level_rejection_leaves_the_content_unjudged(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    message = decoded(examples, "WMO307")
    built = retour.build(
        message, [Finding("TR056", "9056", "/Bericht/Header", "dup")], judged=False
    )
    tree = codec.encode(built)
    assert schemas.validate(tree, catalogue.get("WMO308")) == []
    assert codes_at(tree, "/Bericht/Header") == ["9056"]
    assert codes_at(tree, "/Bericht/Client") == ["0233"]
    assert codes_at(tree, "/Bericht/Client/StopProducten/StopProduct[2]") == ["0233"]


def test_schema_invalid_message_gets_header_only_retour(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    data = examples["WMO301"].replace(b"<iwmo:Volume>10", b"<iwmo:Volume>ten")
    parsed = parsing.parse(data)
    built = retour.rejected(parsed.root, parsed.message_type)
    assert built is not None and built.Client is None
    assert built.Header.RetourCodes == ["0001"]
    assert schemas.validate(codec.encode(built), catalogue.get("WMO302")) == []


def test_no_retour_when_the_header_itself_is_broken(examples: dict[str, bytes]) -> None:
    data = examples["WMO301"].replace(b"<wmo301:Afzender>0384", b"<wmo301:Afzender>ABCD")
    parsed = parsing.parse(data)
    assert retour.rejected(parsed.root, parsed.message_type) is None


def test_declaration_answer_lists_only_rejected_lines(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    declaratie = decoded(examples, "WMO323")
    answer = retour.declaratie_antwoord(
        declaratie, {"RN002": retour.Decision(("9339",)), "RN003": retour.Decision(("9307",))}
    )
    assert schemas.validate(codec.encode(answer), catalogue.get("WMO325")) == []
    a = answer.DeclaratieAntwoord
    listed = [p.ProductReferentie.ReferentieNummer for c in a.Clienten for p in c.Prestaties]
    assert listed == ["RN002", "RN003"]
    assert a.TotaalIngediendBedrag.TotaalBedrag == 58000
    assert a.TotaalToegekendBedrag.TotaalBedrag == 58000 - 24000 - 5000
    assert a.RetourCodes == ["0200"]
    assert answer.Header.DeclaratieIdentificatie == declaratie.Header.BerichtIdentificatie
    assert (answer.Header.Afzender, answer.Header.Ontvanger) == ("0384", "65656055")


def test_fully_granted_declaration_answer(examples: dict[str, bytes], schemas: Schemas) -> None:
    answer = retour.declaratie_antwoord(decoded(examples, "WMO323"))
    a = answer.DeclaratieAntwoord
    assert a.RetourCodes == ["8001"]
    assert a.Clienten == []
    assert a.TotaalToegekendBedrag == a.TotaalIngediendBedrag
    assert schemas.validate(codec.encode(answer), catalogue.get("WMO325")) == []


def test_declaration_rejected_as_a_whole(examples: dict[str, bytes], schemas: Schemas) -> None:
    answer = retour.declaratie_antwoord(decoded(examples, "WMO323"), rejection=["9333"])
    a = answer.DeclaratieAntwoord
    assert a.RetourCodes == ["9333"] and a.Clienten == []
    assert (a.TotaalToegekendBedrag.TotaalBedrag, a.TotaalToegekendBedrag.DebetCredit) == (0, "D")
    assert schemas.validate(codec.encode(answer), catalogue.get("WMO325")) == []
