"""The project's schemas: current, complete, and true to the published definitions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from app.standard import catalogue, codec, codelists, datatypes, xsdgen
from app.standard.schema import PROJECT_SCHEMAS, Schemas
from app.validation import Validator
from tests.conftest import OUTBOUND
from tests.structure import overview_trees, xsd_tree

XS = "{http://www.w3.org/2001/XMLSchema}"


def test_committed_schemas_are_generated_from_the_model() -> None:
    generated = xsdgen.generate()
    assert sorted(generated) == sorted(p.name for p in PROJECT_SCHEMAS.glob("*.xsd"))
    for name, content in generated.items():
        assert (PROJECT_SCHEMAS / name).read_bytes() == content, (
            f"{name} is stale: run make schemas"
        )


def test_there_is_a_schema_for_each_of_the_14_messages() -> None:
    names = {p.stem for p in PROJECT_SCHEMAS.glob("WMO*.xsd")}
    assert names == {mt.name for mt in catalogue.ALL}
    assert len(names) == 14
    for mt in catalogue.ALL:
        doc = etree.parse(str(PROJECT_SCHEMAS / f"{mt.name}.xsd")).getroot()
        assert doc.get("targetNamespace") == mt.namespace
        assert doc.get("elementFormDefault") == "qualified"
        info = {
            etree.QName(e).localname: e.text
            for e in doc.iter("{*}BerichtXsdVersie", "{*}BasisschemaXsdVersie")
        }
        assert info == {"BerichtXsdVersie": "1.0.0", "BasisschemaXsdVersie": "1.0.0"}


@pytest.mark.parametrize("name", OUTBOUND)
def test_published_example_is_valid(
    name: str, examples: dict[str, bytes], schemas: Schemas
) -> None:
    root = etree.fromstring(examples[name])
    assert schemas.validate(root, catalogue.get(name)) == []


def _published_simple_types(reference: Path) -> dict[str, dict[str, object]]:
    doc = etree.parse(str(reference / "xsd" / "basisschema.xsd"))
    found = {}
    for st in doc.getroot().iter(f"{XS}simpleType"):
        type_name, r = st.get("name"), st.find(f"{XS}restriction")
        assert type_name is not None and r is not None, etree.tostring(st)
        base = r.get("base")
        assert base is not None, type_name
        enumeration: list[str | None] = []
        facets: dict[str, object] = {"base": base.split(":")[-1], "enumeration": enumeration}
        for facet in r:
            if not isinstance(facet.tag, str):
                continue
            name = etree.QName(facet).localname
            if name == "enumeration":
                enumeration.append(facet.get("value"))
            else:
                facets[name] = facet.get("value")
        found[type_name] = facets
    return found


def test_datatypes_state_the_same_facts_as_the_published_basisschema(reference: Path) -> None:
    published = _published_simple_types(reference)
    assert set(published) == set(datatypes.TYPES), set(published) ^ set(datatypes.TYPES)
    for name, facts in published.items():
        ours = datatypes.TYPES[name]
        assert ours.base == facts["base"], name
        assert list(ours.enumeration) == facts["enumeration"], name
        for facet, attr in (
            ("minLength", "min_length"),
            ("maxLength", "max_length"),
            ("pattern", "pattern"),
            ("minInclusive", "min_inclusive"),
            ("maxInclusive", "max_inclusive"),
        ):
            value = getattr(ours, attr)
            assert (None if value is None else str(value)) == facts.get(facet), (name, facet)


def test_code_lists_match_the_published_code_list_files(reference: Path) -> None:
    # Code lists published as tables: code | meaning. Ours must hold exactly those codes.
    files = {
        "COD046": "COD046_Geslacht.md",
        "COD170": "COD170_Datumgebruik.md",
        "COD327": "COD327_Code_verwijzer.md",
        "COD467": "COD467_Status_aanlevering.md",
        "COD472": "COD472_Soort_relatie.md",
        "COD700": "COD700_Naamgebruik.md",
        "COD747": "COD747_Communicatievorm.md",
        "COD757": "COD757_Soort_adres.md",
        "WJ003": "WJ003_Wettelijke_vertegenwoordiging.md",
        "WJ232": "WJ232_Juridische_status.md",
        "WJ756": "WJ756_Eenheid.md",
        "WJ758": "WJ758_Reden_verzoek.md",
        "WJ759": "WJ759_Reden_afwijzing_verzoek.md",
        "WJ760": "WJ760_Verzoek_antwoord.md",
        "WMO002": "WMO002_Reden_wijziging_toewijzing.md",
        "WMO020": "WMO020_Productcategorie.md",
        "WMO588": "WMO588_Reden_beeindiging.md",
        "WMO757": "WMO757_Frequentie.md",
        "NUM061": "NUM061_Aanduiding_woonadres.md",
    }
    row = re.compile(r"^\|\s*([0-9A-Z]{1,2})\s*\|", re.M)
    for list_id, file in files.items():
        text = (reference / "codelists" / file).read_text(encoding="utf-8")
        codes = [c for c in row.findall(text) if c != "ID"]
        assert list(codelists.BY_ID[list_id].codes) == codes, list_id


def test_message_codes_match_the_published_code_list(reference: Path) -> None:
    text = (reference / "codelists" / "COD002VEKTIS_Berichtcode.md").read_text(encoding="utf-8")
    published = dict(re.findall(r"^\| (WMO\d{3}) \| (\d{3}) \|", text, re.M))
    assert published == {mt.name: mt.code for mt in catalogue.ALL}


def test_structure_matches_the_published_overview_for_all_14_messages(reference: Path) -> None:
    overview = overview_trees((reference / "message-structures.md").read_text(encoding="utf-8"))
    assert set(overview) == {mt.name for mt in catalogue.ALL}
    for mt in catalogue.ALL:
        ours = xsd_tree(PROJECT_SCHEMAS / f"{mt.name}.xsd")
        theirs = overview[mt.name]
        # Same elements, in the same order, with the same cardinality and simple type.
        assert list(ours) == list(theirs), mt.name
        for path, (card, type_name) in theirs.items():
            our_card, our_type = ours[path]
            assert our_card == card, (mt.name, path)
            if type_name:
                assert our_type == type_name, (mt.name, path)


@pytest.mark.parametrize("name", OUTBOUND)
def test_outbound_structure_matches_the_published_xsd(name: str, reference: Path) -> None:
    theirs = xsd_tree(reference / "xsd" / f"{name}.xsd", descend_basis=True)
    ours = xsd_tree(PROJECT_SCHEMAS / f"{name}.xsd", descend_basis=True)
    assert ours == theirs


# Youth-care elements that iJw has and iWmo does not (the iWmo outbound messages lack them).
IJW_ONLY = ("/Bericht/Client/GezagsdragerBekend", "/Bericht/Antwoord/Woonplaatsbeginsel")


@pytest.mark.parametrize("name", [mt.name for mt in catalogue.RETOUR])
def test_retour_structure_matches_the_ijw_retour_schema(name: str, reference: Path) -> None:
    # iJw retour messages have the same shape as iWmo's, in another namespace.
    ijw = reference / "ijw-retour-xsd" / f"JW{name[3:]}.xsd"
    theirs = {
        path: v
        for path, v in xsd_tree(ijw, descend_basis=True).items()
        if not path.startswith(IJW_ONLY)
    }
    ours = xsd_tree(PROJECT_SCHEMAS / f"{name}.xsd", descend_basis=True)
    assert ours == theirs


@pytest.mark.parametrize("name", [mt.name for mt in catalogue.RETOUR])
def test_a_retour_that_breaks_its_schema_is_explained(name: str, validator: Validator) -> None:
    # RetourCodes are required in the header and optional in every class below it: the
    # explanation of an error must not trip over the two.
    from app import retour
    from tests.rules.helpers import example
    from tests.rules.wmo325 import answer

    if name == "WMO325":
        body = codec.to_bytes(answer())
    else:
        original = example(catalogue.get(name).partner)
        body = codec.to_bytes(retour.build(original, []))
    broken = body.replace(b"<iwmo:Dagtekening>", b"<iwmo:Dagtekening>x", 1)
    report = validator.check(broken)
    assert not report.schema_valid
    assert [f.rule for f in report.findings] == ["XSD"]
    assert "Dagtekening" in report.findings[0].message
