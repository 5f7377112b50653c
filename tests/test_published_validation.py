"""Differential conformance of the message rules: on the published examples and on more than
10,000 schema-valid mutants, ``iwmo validate`` reports exactly the rules, at exactly the
elements, that the validation published with iWmo 3.2 reports (tests/differential.py says
how the sets are made and how its locations map to our paths)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
from lxml import etree

from app.rules import REGISTRY
from app.validation import Validator
from tests import differential as dt

LEAST = 50  # messages every rule of the published validation must fire on


@pytest.fixture(scope="module")
def mutant_set() -> tuple[list[dt.Case], int]:
    return dt.mutant_set(dt.SEED)


def _published_rules(xslt_path: str) -> set[str]:
    """The rules the published validation runs: the modes its check template applies."""
    xsl = "{http://www.w3.org/1999/XSL/Transform}"
    tree = etree.parse(xslt_path)
    found = set()
    for template in tree.iter(xsl + "template"):
        if template.get("match") == "*" and template.get("mode") == "check":
            found = {a.get("mode") or "" for a in template.iter(xsl + "apply-templates")}
    return found


def test_the_published_validation_runs_the_58_message_rules() -> None:
    ours = {code for code, r in REGISTRY.items() if r.scope == "message"}
    published = _published_rules(str(dt.xslt_path()))
    assert len(published) == 58
    assert ours == published


def test_rules_agree_with_the_published_validation(
    mutant_set: tuple[list[dt.Case], int],
    validator: Validator,
    request: pytest.FixtureRequest,
) -> None:
    cases, made = mutant_set
    started = time.perf_counter()
    published = dt.published_reports(dt.SEED, cases)
    oracle = time.perf_counter() - started
    fired: Counter[str] = Counter()
    agree = 0
    disagreements: list[str] = []
    for case, reported in zip(cases, published, strict=True):
        report = validator.check(case.xml)
        assert report.schema_valid and report.root is not None, case.origin
        theirs = {(rule, dt.our_path(report.root, rule, locs)) for rule, locs in reported}
        ours = {(f.rule, f.path) for f in report.findings}
        fired.update({rule for rule, _ in theirs})
        if theirs == ours:
            agree += 1
        elif len(disagreements) < 25:
            disagreements.append(
                f"{case.message} ({case.origin}): only published {sorted(theirs - ours)}, "
                f"only ours {sorted(ours - theirs)}"
            )
    mutants = sum(1 for c in cases if c.origin != "example")
    seconds = time.perf_counter() - started
    request.config.stash[dt.SUMMARY] = list(
        _summary(made, len(cases), mutants, agree, fired, seconds, oracle)
    )
    assert not disagreements, "\n".join(disagreements)
    assert mutants >= 10_000
    assert {c.message for c in cases} == {*dt.GUIDED}  # WMO325 included
    rules = {code for code, r in REGISTRY.items() if r.scope == "message"}
    short = {code: fired[code] for code in rules if fired[code] < LEAST}
    assert not short, f"rules that fired on fewer than {LEAST} messages: {short}"


def _summary(
    made: int,
    valid: int,
    mutants: int,
    agree: int,
    fired: Counter[str],
    seconds: float,
    oracle: float,
) -> Iterator[str]:
    yield (
        f"{made} messages made, {valid} schema-valid ({mutants} mutants and the examples); "
        f"{agree} agree with the published validation ({agree / max(valid, 1):.2%})"
    )
    yield (
        f"compared in {seconds:.1f} s, of which {oracle:.1f} s for the published validation's "
        "reports (kept in .cache/ for the next run)"
    )
    counts = sorted(fired.items())
    if counts:
        low, high = min(n for _, n in counts), max(n for _, n in counts)
        yield f"messages per rule: min {low}, max {high}"
    line = ""
    for code, n in counts:
        cell = f"{code} {n:>5}"
        if len(line) + len(cell) > 96:
            yield line.rstrip()
            line = ""
        line += cell + "   "
    if line:
        yield line.rstrip()
