"""Differential conformance: the project's schemas and the published XSDs agree on every
mutant of the seven published examples (valid or invalid, nothing in between)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from app.standard.schema import Schemas
from tests.conftest import OUTBOUND
from tests.mutants import mutants

SEED = 20270101
PER_EXAMPLE = 320  # 7 x 320 = 2,240 mutants


@pytest.fixture(scope="module")
def published(reference: Path) -> dict[str, etree.XMLSchema]:
    parser = etree.XMLParser(no_network=True)
    return {
        name: etree.XMLSchema(etree.parse(str(reference / "xsd" / f"{name}.xsd"), parser))
        for name in OUTBOUND
    }


@pytest.mark.parametrize("name", OUTBOUND)
def test_project_schema_agrees_with_published_xsd(
    name: str,
    examples: dict[str, bytes],
    published: dict[str, etree.XMLSchema],
    schemas: Schemas,
) -> None:
    from app.standard import catalogue

    ours = schemas.compiled(catalogue.get(name))
    theirs = published[name]
    verdicts = {True: 0, False: 0}
    disagreements = []
    for index, (what, root) in enumerate(
        mutants(examples[name], SEED + index_of(name), PER_EXAMPLE)
    ):
        expected = theirs.validate(root)
        got = ours.validate(root)
        verdicts[expected] += 1
        if got != expected:
            disagreements.append(f"#{index} {what}: published={expected} project={got}")
    assert not disagreements, "\n".join(disagreements[:20])
    # Both verdicts must be well represented, or the comparison proves little.
    assert verdicts[True] >= PER_EXAMPLE // 20, verdicts
    assert verdicts[False] >= PER_EXAMPLE // 3, verdicts


def index_of(name: str) -> int:
    return OUTBOUND.index(name) * 1000


def test_mutants_are_reproducible(examples: dict[str, bytes]) -> None:
    first = [(w, etree.tostring(r)) for w, r in mutants(examples["WMO301"], 7, 25)]
    again = [(w, etree.tostring(r)) for w, r in mutants(examples["WMO301"], 7, 25)]
    assert first == again
    assert len({blob for _, blob in first}) > 20  # and actually different from each other
