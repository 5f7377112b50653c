"""The rule engine on the published examples and on thousands of schema-valid mutants."""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from lxml import etree

from app.findings import CODEC, XSD
from app.rules import REGISTRY, default
from app.standard import catalogue, paths
from app.standard.elements import Spec
from app.standard.schema import element_specs
from app.validation import Validator
from tests.conftest import OUTBOUND
from tests.mutants import mutants

EXPECTED: dict[str, list[tuple[str, str]]] = {name: [] for name in OUTBOUND}
EXPECTED["WMO317"] = [
    ("TR380", "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[1]/GewensteIngangsdatum")
]


@pytest.mark.parametrize("name", OUTBOUND)
def test_published_examples_are_clean_except_wmo317(
    name: str, examples: dict[str, bytes], validator: Validator
) -> None:
    report = validator.check(examples[name])
    assert report.schema_valid
    assert [(f.rule, f.path) for f in report.findings] == EXPECTED[name]


def test_registry_holds_the_58_rules_of_the_published_validation() -> None:
    listed = [
        "CD005",
        "CD007",
        "CD009",
        "CD025",
        "CD034",
        "CD041",
        "CD043",
        "CD060",
        "CD066",
        "CD067",
        "CD068",
        "CD075",
        "CD076",
        "CD077",
        "CD078",
        "CD079",
        "CD080",
        "CD085",
        "CD086",
        "CD087",
        "CD095",
        "CD096",
        "CS002",
        "CS003",
        "CS050",
        "CS058",
        "CS089",
        "CS100",
        "CS139",
        "CS325",
        "CS335",
        "CS336",
        "CS337",
        "CS338",
        "CS339",
        "CS340",
        "CS343",
        "TR002",
        "TR006",
        "TR018",
        "TR061",
        "TR101",
        "TR134",
        "TR137",
        "TR302",
        "TR315",
        "TR316",
        "TR319",
        "TR335",
        "TR342",
        "TR352",
        "TR353",
        "TR358",
        "TR380",
        "TR383",
        "TR386",
        "TR410",
        "TR416",
    ]
    assert len(listed) == 58
    message_rules = {code: r for code, r in REGISTRY.items() if r.scope == "message"}
    # CS318 (the client's NaamGebruik not 6) is in the published condition table but not in
    # the published validation, where CS050 already refuses 6.
    assert set(message_rules) == set(listed)
    for r in message_rules.values():
        assert r.messages and r.summary and len(r.return_code) == 4
        assert r.return_code == ("9319" if r.code == "TR319" else "0001"), r.code


# --- schema-aware mutants: values stay within their datatype, so most stay valid ----------


def _valid_value(spec: Spec, rng: random.Random, old: str) -> str | None:
    simple = spec.simple
    if simple is None:
        return None
    if simple.enumeration:
        return rng.choice(simple.enumeration)
    if simple.base == "date":
        special = [
            "1900-01-01",
            "2020-12-31",
            "2021-01-01",
            "2023-04-01",
            "2023-04-30",
            "2023-04-02",
            "2023-08-13",
            "2025-04-03",
            "1890-06-15",
            "2030-01-31",
        ]
        if rng.random() < 0.5:
            return rng.choice(special)
        return (date(2019, 1, 1) + timedelta(days=rng.randint(0, 3000))).isoformat()
    if simple.base == "integer":
        high = min(simple.max_inclusive or 99, 30000)
        return str(rng.choice([0, 1, 4, 10, 16, 1250, 5000, rng.randint(0, high)]))
    if simple.pattern and "0-9" in simple.pattern and "{" in simple.pattern:
        return None  # fixed-length digit codes (BSN, AGB, municipality): leave them
    if spec.name == "Postcode":
        return rng.choice(["1234AB", "0123AB", "9999XX", "1234 AB"])
    return None


def _semantic_mutants(source: bytes, name: str, seed: int, count: int) -> Iterator[etree._Element]:
    rng = random.Random(seed)
    specs = element_specs(name)
    original = etree.fromstring(source, etree.XMLParser(remove_blank_text=True))
    for _ in range(count):
        root = copy.deepcopy(original)
        for _ in range(rng.choice((1, 2, 3, 4))):
            # Below the header and body elements: dropping those would only test the schema.
            elements = [
                e
                for e in root.iter()
                if isinstance(e.tag, str)
                and e.getparent() is not None
                and e.getparent() is not root
            ]
            if not elements:
                break
            el = rng.choice(elements)
            parent = el.getparent()
            assert parent is not None  # as chosen above
            key = (paths.local(str(parent.tag)), paths.local(str(el.tag)))
            spec = specs.get(key)
            if spec is None:
                continue
            item = spec.kind == "list" and spec.item == key[1]
            action = rng.random()
            if spec.kind == "value" and action < 0.8:
                value = _valid_value(spec, rng, el.text or "")
                if value is not None:
                    el.text = value
            elif item and action < 0.5:
                parent.insert(parent.index(el) + 1, copy.deepcopy(el))
            elif spec.optional or (item and len(parent) > 1) or action < 0.05:
                parent.remove(el)  # optional, or (rarely) required to test the schema path
        yield root


def test_rules_never_crash_and_findings_point_into_the_message(
    examples: dict[str, bytes], validator: Validator
) -> None:
    fired: Counter[str] = Counter()
    schema_valid = 0
    total = 0
    for index, name in enumerate(OUTBOUND):
        sources = [
            _semantic_mutants(examples[name], name, 4242 + index, 700),
            (root for _, root in mutants(examples[name], 777 + index, 300)),
        ]
        for source in sources:
            for root in source:
                total += 1
                report = validator.check(etree.tostring(root))  # never raises
                schema_valid += report.schema_valid
                for f in report.findings:
                    assert f.rule in REGISTRY or f.rule in (XSD, CODEC), f
                    if f.rule in REGISTRY:
                        assert report.message_type is not None
                        assert report.root is not None
                        assert report.message_type.name in REGISTRY[f.rule].messages
                        assert paths.resolves(report.root, f.path), (f.rule, f.path)
                        fired[f.rule] += 1
    assert total == 7 * 1000
    assert schema_valid > total // 3, schema_valid
    # The mutants reach most rules, so "never crashes" means something.
    assert len(fired) >= 40, sorted({r.code for r in default().rules} - set(fired))


def test_rule_set_only_runs_rules_for_the_message_type() -> None:
    rules = default()
    for mt in catalogue.ALL:
        assert all(mt.name in r.messages for r in rules.for_message(mt.name))
    assert {r.code for r in rules.for_message("WMO319")} == {"CD085", "CD086"}
    assert {r.code for r in rules.for_message("WMO325")} == {
        "CD060",
        "CS002",
        "CS325",
        "TR101",
        "TR134",
        "TR137",
        "TR342",
    }
