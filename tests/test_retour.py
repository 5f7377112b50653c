"""Retour messages built from the published examples validate against the retour schemas."""

from __future__ import annotations

from datetime import date
from typing import Any

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


def decoded(examples: dict[str, bytes], name: str) -> Any:
    return codec.decode(parsing.parse(examples[name]).root)


def node_at(tree: etree._Element, path: str) -> etree._Element:
    steps = "/".join(
        f"*[local-name()='{s.split('[')[0]}']" + (f"[{s.split('[')[1]}" if "[" in s else "")
        for s in path.split("/")[1:]
    )
    return _one(tree.getroottree().xpath("/" + steps))


def _one(found: object) -> etree._Element:
    """The single element an element-selecting XPath found."""
    assert isinstance(found, list)
    [node] = found
    assert isinstance(node, etree._Element)
    return node


def codes_at(tree: etree._Element, path: str) -> list[str]:
    found = node_at(tree, path).xpath("*[local-name()='RetourCodes']/*")
    assert isinstance(found, list)
    codes = []
    for c in found:
        assert isinstance(c, etree._Element) and c.text is not None
        codes.append(c.text)
    return codes


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
    if outbound == "WMO323":
        assert header.RetourCodes == ["0200"]  # the answer itself says what was granted
    else:
        # Fully approved: the header alone, without return codes (IV028).
        assert header.RetourCodes == []
        assert [etree.QName(e).localname for e in tree] == ["Header"]


@pytest.mark.parametrize("outbound, expected", PAIRS[:-1])
def test_retour_judged_class_by_class_is_valid(
    outbound: str, expected: str, examples: dict[str, bytes], schemas: Schemas
) -> None:
    message = decoded(examples, outbound)
    codec.locate(message)
    body = getattr(message, "Antwoord" if outbound == "WMO319" else "Client")
    built = retour.build(message, [Finding("TR000", "9326", codec.path_of(body), "refused")])
    tree = codec.encode(built)
    assert schemas.validate(tree, catalogue.get(expected)) == []
    assert built.Header.RetourCodes == ["0200"]
    assert codes_at(tree, codec.path_of(body)) == ["9326"]


def test_findings_land_on_their_own_level(examples: dict[str, bytes], schemas: Schemas) -> None:
    message = decoded(examples, "WMO305")
    finding = Finding("TR019", "9019", "/Bericht/Client/StartProducten/StartProduct[2]", "x")
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


def test_a_finding_in_a_simple_element_goes_to_its_class(examples: dict[str, bytes]) -> None:
    message = decoded(examples, "WMO301")
    path = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang/Frequentie"
    built = retour.build(message, [Finding("TR321", "9321", path, "x")])
    assert built.Client.ToegewezenProducten[0].RetourCodes == ["9321"]
    assert built.Client.RetourCodes == ["0200"]
    assert all(r.RetourCodes == ["0200"] for r in built.Client.Relaties)


def test_classes_below_a_refused_class_are_not_judged(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    message = decoded(examples, "WMO317")
    built = retour.build(message, [Finding("TR349", "9349", "/Bericht/Client/Verzoek", "x")])
    assert schemas.validate(codec.encode(built), catalogue.get("WMO318")) == []
    assert built.Client.RetourCodes == ["0200"]
    assert built.Client.Verzoek.RetourCodes == ["9349"]
    v = built.Client.Verzoek
    for product in (*v.OngewijzigdeProducten, *v.TeWijzigenProducten, *v.NieuweProducten):
        assert product.RetourCodes == ["0233"]


def test_rules_within_the_message_refuse_it_whole(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    # WMO317.xml breaks TR380 (0001): the retour is the header only, with 0001.
    message = decoded(examples, "WMO317")
    finding = Finding(
        "TR380",
        "0001",
        "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[1]/GewensteIngangsdatum",
        "x",
    )
    built = retour.build(message, [finding])
    assert built.Client is None
    assert built.Header.RetourCodes == ["0001"]
    assert schemas.validate(codec.encode(built), catalogue.get("WMO318")) == []


def test_header_findings_refuse_the_message_whole(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    message = decoded(examples, "WMO307")
    built = retour.build(
        message,
        [
            Finding(
                "TR056", "9056", "/Bericht/Header/BerichtIdentificatie/Identificatie", "duplicate"
            )
        ],
    )
    assert built.Client is None
    assert built.Header.RetourCodes == ["9056"]
    assert schemas.validate(codec.encode(built), catalogue.get("WMO308")) == []


def test_declaration_answer_lists_only_refused_lines(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    declaratie = decoded(examples, "WMO323")
    client1 = "/Bericht/Declaratie/Clienten/Client[1]"
    client2 = "/Bericht/Declaratie/Clienten/Client[2]"
    findings = [
        Finding("TR339", "9339", f"{client1}/Prestaties/Prestatie[2]/ProductCategorie", "x"),
        Finding("TR307", "9307", f"{client2}/Prestaties/Prestatie[1]/ProductPeriode", "x"),
    ]
    answer = retour.declaratie_antwoord(declaratie, findings)
    assert schemas.validate(codec.encode(answer), catalogue.get("WMO325")) == []
    a = answer.DeclaratieAntwoord
    assert a is not None
    listed = [
        (p.ProductReferentie.ReferentieNummer, p.RetourCodes)
        for c in a.Clienten
        for p in c.Prestaties
    ]
    assert listed == [("RN002", ["9339"]), ("RN003", ["9307"])]
    assert a.TotaalIngediendBedrag.TotaalBedrag == 58000
    assert a.TotaalToegekendBedrag.TotaalBedrag == 58000 - 24000 - 5000
    assert a.RetourCodes == ["0200"]
    assert answer.Header.DeclaratieIdentificatie == declaratie.Header.BerichtIdentificatie
    assert (answer.Header.Afzender, answer.Header.Ontvanger) == ("0384", "65656055")


def test_fully_granted_declaration_answer(examples: dict[str, bytes], schemas: Schemas) -> None:
    answer = retour.declaratie_antwoord(decoded(examples, "WMO323"))
    a = answer.DeclaratieAntwoord
    assert a is not None
    assert a.RetourCodes == ["8001"]
    assert a.Clienten == []
    assert a.TotaalToegekendBedrag == a.TotaalIngediendBedrag
    assert schemas.validate(codec.encode(answer), catalogue.get("WMO325")) == []


def test_declaration_refused_on_its_own_level(examples: dict[str, bytes], schemas: Schemas) -> None:
    finding = Finding("TR333", "9333", "/Bericht/Declaratie/DeclaratieNummer", "x")
    answer = retour.declaratie_antwoord(decoded(examples, "WMO323"), [finding])
    a = answer.DeclaratieAntwoord
    assert a is not None
    assert a.RetourCodes == ["9333"] and a.Clienten == []
    assert (a.TotaalToegekendBedrag.TotaalBedrag, a.TotaalToegekendBedrag.DebetCredit) == (0, "D")
    assert answer.Header.RetourCodes == ["0200"]
    assert schemas.validate(codec.encode(answer), catalogue.get("WMO325")) == []


def test_declaration_with_a_technical_error_gets_header_only(
    examples: dict[str, bytes], schemas: Schemas
) -> None:
    finding = Finding("CS340", "0001", "/Bericht/Declaratie/DeclaratiePeriode", "x")
    answer = retour.declaratie_antwoord(decoded(examples, "WMO323"), [finding])
    assert answer.DeclaratieAntwoord is None
    assert answer.Header.RetourCodes == ["0001"]
    assert schemas.validate(codec.encode(answer), catalogue.get("WMO325")) == []


def test_client_level_finding_refuses_all_its_lines(examples: dict[str, bytes]) -> None:
    finding = Finding("TR999", "8187", "/Bericht/Declaratie/Clienten/Client[2]", "x")
    answer = retour.declaratie_antwoord(decoded(examples, "WMO323"), [finding])
    a = answer.DeclaratieAntwoord
    assert a is not None
    [client] = a.Clienten
    assert client.RetourCodes == ["8187"]
    assert [p.RetourCodes for p in client.Prestaties] == [["0233"], ["0233"]]
    assert a.TotaalToegekendBedrag.TotaalBedrag == 58000 - 29000


# --- schema errors in RetourCodes ---------------------------------------------------------------

_BAD_CODE = "12345"  # too long for LDT_RetourCode, and no WJ001 code


def _judged_retour(examples: dict[str, bytes], outbound: str) -> tuple[etree._Element, str]:
    """A retour of an example, judged class by class (so classes carry RetourCodes), and
    the path of one class that carries them."""
    message = decoded(examples, outbound)
    codec.locate(message)
    if outbound == "WMO323":
        line = "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]"
        built = retour.declaratie_antwoord(message, [Finding("TR339", "9339", line, "x")])
        judged = "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[1]"
    else:
        body = getattr(message, "Antwoord" if outbound == "WMO319" else "Client")
        judged = codec.path_of(body)
        built = retour.build(message, [Finding("TR000", "9326", judged, "refused")])
    return codec.encode(built), judged


@pytest.mark.parametrize("outbound, expected", PAIRS)
@pytest.mark.parametrize("where", ["header", "class"])
def test_a_bad_return_code_is_a_schema_finding(
    outbound: str, expected: str, where: str, examples: dict[str, bytes], schemas: Schemas
) -> None:
    """Every retour type holds RetourCodes in its header and in its classes; a bad code in
    either is explained as a schema finding (explaining it once failed for every retour)."""
    tree, judged = _judged_retour(examples, outbound)
    mt = catalogue.get(expected)
    assert schemas.validate(tree, mt) == []
    path = "/Bericht/Header" if where == "header" else judged
    code = _one(node_at(tree, path).xpath("*[local-name()='RetourCodes']/*[1]"))
    code.text = _BAD_CODE
    findings = schemas.validate(tree, mt)
    assert findings, (expected, where)
    assert {f.rule for f in findings} == {"XSD"}
    assert {f.path for f in findings} == {f"{path}/RetourCodes/RetourCode[1]"}
    assert all(f.message.startswith("RetourCode: ") for f in findings)
