"""No finding repeats personal data: birth dates, names, addresses and BSNs are described by
their form, never echoed — in rule findings, schema findings and findings on values the
service cannot represent. (Findings of the rules across messages are held to the same by
tests/administration/conftest.py, on every message those tests send.)"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from lxml import etree

from app.rules import REGISTRY
from app.standard import catalogue, codec
from app.standard.datatypes import SimpleType
from app.standard.paths import element_path, local
from app.standard.schema import element_specs
from app.validation import Validator
from tests import differential as dt
from tests.mutants import DAYS_OF_BIRTH, PERSONAL, personalise
from tests.personal import personal_values, repeated


def test_rule_findings_never_repeat_personal_values(validator: Validator) -> None:
    cases, _ = dt.mutant_set(dt.SEED)
    fired: set[str] = set()
    seen: set[str] = set()
    leaks = []
    for case in cases[::2]:
        report = validator.check(case.xml)
        assert report.root is not None
        values = personal_values(report.root)
        seen |= values
        for f in report.findings:
            fired.add(f.rule)
            if found := repeated(values, f.message):
                leaks.append(f"{f.rule} at {f.path}: {f.message!r} repeats {found}")
    assert not leaks, "\n".join(sorted(set(leaks))[:20])
    # Every rule within the message found something in messages carrying these values ...
    assert {c for c, r in REGISTRY.items() if r.scope == "message"} <= fired
    # ... and the values were the recognisable ones the mutants carry.
    distinctive = {v for pool in PERSONAL.values() for v in pool} | set(DAYS_OF_BIRTH)
    assert len(seen & distinctive) >= 25, sorted(seen & distinctive)


# --- values the schema refuses, or the service cannot represent -----------------------------


def _breaking(simple: SimpleType) -> str | None:
    """A recognisable value of the wrong form for a personal element's datatype."""
    if simple.base == "date":
        return "1957-02-30"
    if simple.base == "integer":
        return "47Q11"
    if simple.pattern and "0-9" in simple.pattern:
        return "98765432Q"  # a BSN or telephone number with a letter in it
    if simple.name == "LDT_Voorletters":
        return "H.M.Q"
    if simple.max_length:
        return ("Zwaluwstaartje" * 20)[: simple.max_length + 1]
    return None


def _broken_messages() -> Iterator[tuple[str, str, bytes, str]]:
    """(message, element path, XML, value) for every personal value of each personalised
    example made unreadable: of the wrong form, or (a birth date) out of range."""
    for name, message in sorted(dt.bases().items()):
        original = codec.encode(personalise(message))
        specs = element_specs(name)
        for index, el in enumerate(original.iter()):
            parent = el.getparent()
            if not isinstance(el.tag, str) or len(el) or parent is None:
                continue
            spec = specs.get((local(str(parent.tag)), local(el.tag)))
            if spec is None or not spec.personal or spec.simple is None:
                continue
            values = [_breaking(spec.simple)]
            if spec.simple.base == "date":
                values.append("11957-08-13")  # valid for the schema; beyond year 9999
            for value in values:
                if value is None:
                    continue
                root = copy.deepcopy(original)
                target = list(root.iter())[index]
                target.text = value
                yield name, element_path(target), etree.tostring(root), value


def test_schema_and_codec_findings_never_repeat_personal_values(validator: Validator) -> None:
    checked = 0
    for name, path, xml, value in _broken_messages():
        report = validator.check(xml)
        assert report.findings, f"{name} {path}: {value!r} was accepted"
        assert any(f.path == path for f in report.findings), (path, report.findings)
        for f in report.findings:
            # A long value may be quoted in part: no piece of it may show.
            pieces = {value, value[:12]}
            assert not repeated(pieces, f.message), f"{name} {path}: {f.message!r}"
        checked += 1
    assert checked >= 60


@pytest.mark.parametrize("name", sorted(dt.GUIDED))
def test_every_message_type_carries_personal_values_to_check(name: str) -> None:
    message = personalise(dt.bases()[name])
    found = personal_values(codec.encode(message))
    if catalogue.get(name).name == "WMO319":
        assert not found  # an answer to a request names no client
    else:
        assert found & {v for pool in PERSONAL.values() for v in pool}
