"""The mutant set the rules are compared on with the published validation, and reading the
published validation's report.

The set is a function of its seed and of the code that makes it; making it takes a while,
so it is kept in ``.cache/`` under a key of both and made again when either changes.

* The seven published examples and a WMO325 written for the tests (tests/rules/wmo325.py).
* Guided mutants (tests/mutants.py) of each, with personal values replaced by recognisable
  ones, from several starting points, in numbers per message type that follow how many
  rules the type has.
* Value, delete, duplicate and move mutants of the examples' XML, for what the typed
  messages cannot say: spaces around dates and numbers, leading zeros.
* A top-up, guided by which rules fire: further guided mutants, kept only when they make a
  rule fire that has fired on fewer than TARGET messages so far.

Only schema-valid messages are kept: the published validation is for those alone.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
import pickle
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.config import Settings
from app.rules import REGISTRY
from app.standard import codec, parsing
from app.standard.paths import element_path
from app.validation import Validator
from tests import mutants as mt
from tests.conftest import ROOT, reference_dir
from tests.rules import wmo325

REPORT = "{http://www.istandaarden.nl/validatie/1_1/rapport/schema}"
# Lines tests/conftest.py prints at the end of the run: the counts show in CI output.
SUMMARY = pytest.StashKey[list[str]]()
XSLT = Path("validation") / "TR-CD-CS regels WMO 3.2.xsl"
SEED = 20261128  # of the set the tests share (and cache)

# Guided mutants per message type, roughly in proportion to the rules that apply to it.
GUIDED = {
    "WMO301": 2600,
    "WMO305": 650,
    "WMO307": 650,
    "WMO315": 1500,
    "WMO317": 1300,
    "WMO319": 300,
    "WMO323": 2200,
    "WMO325": 900,
}
RAW = 120  # XML mutants per published example
TARGET = 60  # messages each rule should fire on (the test asks 50 of the published one)
TOP_UP_TRIES = 60_000

# What makes the set: a change to any of these makes it again.
_SOURCES = (
    "tests/mutants.py",
    "tests/differential.py",
    "tests/rules/wmo325.py",
    "app/standard/codec.py",
    "app/standard/messages",
    "app/standard/datatypes.py",
    "app/standard/codelists.py",
    "app/rules",
    "schemas",
)


@dataclass(frozen=True)
class Case:
    message: str  # WMO301 ...
    origin: str  # how it was made: "example", or the mutations
    xml: bytes


def bases() -> dict[str, Any]:
    """The typed messages the mutants start from."""
    found = {}
    for path in sorted((reference_dir() / "examples").glob("WMO*.xml")):
        found[path.stem] = codec.decode(parsing.parse(path.read_bytes()).root)
    found["WMO325"] = wmo325.answer()
    return found


def _key(seed: int) -> str:
    digest = hashlib.sha256(f"{seed} {GUIDED} {RAW} {TARGET} {TOP_UP_TRIES}".encode())
    for name in _SOURCES:
        path = ROOT / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and file.suffix in (".py", ".xsd"):
                digest.update(file.read_bytes())
    for path in sorted((reference_dir() / "examples").glob("WMO*.xml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CACHE = ROOT / ".cache" / "differential"


def mutant_set(seed: int) -> tuple[list[Case], int]:
    """The schema-valid cases for a seed, and how many candidates were made for them."""
    found: tuple[list[Case], int] = _cached(f"set-{seed}", _key(seed), lambda: _make(seed))
    return found


def published_reports(seed: int, cases: list[Case]) -> list[list[tuple[str, list[str]]]]:
    """The published validation's findings on each case, as (rule, Locaties). They depend
    on nothing but the validation and the cases, so they are kept with the set: the suite's
    second run (CI runs it on SQLite and on PostgreSQL) reads them instead of waiting
    half a minute for them again."""
    xslt_bytes = xslt_path().read_bytes()
    key = hashlib.sha256(xslt_bytes + _key(seed).encode()).hexdigest()[:16]

    def run() -> list[list[tuple[str, list[str]]]]:
        # About 2 ms a message: spread over the machine's cores, in fresh processes (a fork
        # of the test process would inherit its threads and locks).
        chunks = [[c.xml for c in cases[i : i + 500]] for i in range(0, len(cases), 500)]
        workers = max(1, min(4, os.cpu_count() or 1))
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return [found for part in pool.map(_reports, chunks) for found in part]

    found: list[list[tuple[str, list[str]]]] = _cached(f"reports-{seed}", key, run)
    return found


def _reports(messages: list[bytes]) -> list[list[tuple[str, list[str]]]]:
    validate = published_validation()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return [report_findings(validate(etree.fromstring(xml, parser))) for xml in messages]


def _cached(name: str, key: str, make: Callable[[], Any]) -> Any:
    path = CACHE / f"{name}-{key}.pickle.gz"
    if path.is_file():
        with gzip.open(path, "rb") as f:
            return pickle.load(f)
    value = make()
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(f"{name}-*.pickle.gz"):
        old.unlink()
    partial = path.with_suffix(".part")
    with gzip.open(partial, "wb", compresslevel=3) as f:
        pickle.dump(value, f)
    partial.replace(path)  # a run killed while writing leaves no half-written cache
    return value


def _make(seed: int) -> tuple[list[Case], int]:
    validator = Validator(Settings())
    fired: Counter[str] = Counter()
    cases: list[Case] = []
    made = 0

    def keep(name: str, origin: str, xml: bytes, only_if_rare: bool = False) -> None:
        nonlocal made
        made += 1
        report = validator.check(xml)
        if not report.schema_valid or report.message is None:
            return
        rules = {f.rule for f in report.findings}
        if only_if_rare and not any(fired[r] < TARGET for r in rules):
            return
        fired.update(rules)
        cases.append(Case(name, origin, xml))

    messages = bases()
    for name, data in _examples():
        keep(name, "example", data)
    for index, (name, base) in enumerate(sorted(messages.items())):
        for origin, msg in _guided(base, seed + 1000 * index, GUIDED[name]):
            keep(name, origin, codec.to_bytes(msg))
    for index, (name, data) in enumerate(_examples()):
        for origin, root in mt.mutants(data, seed + 500 * index, RAW):
            keep(name, origin, etree.tostring(root))
    # Top-up: rules still short of TARGET, from the message types they apply to.
    tries = 0
    round_ = 1
    while tries < TOP_UP_TRIES:
        short = [
            code for code, r in REGISTRY.items() if r.scope == "message" and fired[code] < TARGET
        ]
        if not short:
            break
        names = sorted({n for code in short for n in REGISTRY[code].messages})
        for index, name in enumerate(names):
            extra = _guided(messages[name], seed + 77_777 * round_ + index, 500)
            for origin, msg in extra:
                keep(name, f"top-up: {origin}", codec.to_bytes(msg), only_if_rare=True)
        tries += 500 * len(names)
        round_ += 1
    return cases, made


def _examples() -> Iterator[tuple[str, bytes]]:
    for path in sorted((reference_dir() / "examples").glob("WMO*.xml")):
        yield path.stem, path.read_bytes()


def _guided(message: Any, seed: int, count: int) -> Iterator[tuple[str, Any]]:
    """``count`` guided mutants spread over the starting points of a personalised message."""
    points = mt.starting_points(mt.personalise(message, seed))
    per = -(-count // len(points))
    for index, (label, start) in enumerate(points):
        for origin, msg in mt.guided_mutants(start, seed + index, per):
            yield f"{label}: {origin}", msg


# --- the published validation's report -------------------------------------------------------


def xslt_path() -> Path:
    """Where the published validation is; the tests fail, never skip, without it."""
    path = reference_dir() / XSLT
    if not path.is_file():
        pytest.fail(f"the published validation is missing at {path}")
    return path


@cache
def published_validation() -> etree.XSLT:
    return etree.XSLT(etree.parse(str(xslt_path())))


def report_findings(report: etree._XSLTResultTree) -> list[tuple[str, list[str]]]:
    """(rule, [Locatie, ...]) for every Fout of a report."""
    return [
        (
            fout.findtext(REPORT + "Code") or "",
            [loc.text or "" for loc in fout.iter(REPORT + "Locatie")],
        )
        for fout in report.getroot().iter(REPORT + "Fout")
    ]


def element_at(root: etree._Element, locatie: str) -> etree._Element:
    """The element a Locatie names: local names from the root, an index only where an
    element has siblings of the same name."""
    steps = [s for s in locatie.split("/") if s]
    assert steps and steps[0] == etree.QName(root).localname, locatie
    el = root
    for step in steps[1:]:
        name, _, index = step.partition("[")
        same = [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name]
        el = same[int(index[:-1]) - 1 if index else 0]
    return el


# How a Fout's Locaties (document order) map to the one path our finding names. The
# published validation names every element a rule compares (a date and the Dagtekening it
# is compared with, both lines of a duplicate); our finding names the one to correct.
FIRST, LAST, PARENT = "first", "last", "parent"
LOCATION: dict[str, str | tuple[str, ...]] = {
    # the element the rule is about comes first (or alone)
    **dict.fromkeys(
        [
            "CD005",
            "CD025",
            "CD034",
            "CD041",
            "CD043",
            "CD060",
            "CD067",
            "CD075",
            "CD076",
            "CD077",
            "CD079",
            "CD085",
            "CS002",
            "CS058",
            "CS089",
            "CS100",
            "CS139",
            "CS336",
            "TR006",
            "TR352",
            "TR353",
            "TR358",
            "TR383",
        ],
        FIRST,
    ),
    # it comes after what it is compared with: a start, the Dagtekening, an earlier line
    **dict.fromkeys(
        [
            "CD007",
            "CD009",
            "CD068",
            "CD078",
            "CD080",
            "CD086",
            "CD087",
            "CD095",
            "CD096",
            "CS003",
            "CS050",
            "CS325",
            "CS335",
            "CS337",
            "CS338",
            "CS339",
            "CS340",
            "CS343",
            "TR002",
            "TR018",
            "TR101",
            "TR134",
            "TR137",
            "TR302",
            "TR315",
            "TR319",
            "TR335",
            "TR342",
            "TR380",
            "TR386",
            "TR410",
            "TR416",
        ],
        LAST,
    ),
    "TR061": PARENT,  # every Contact of the client is named; we name their Contactgegevens
    "CD066": ("Naam",),  # Type and ZorgverlenerCode are named too; Naam must go
    # the credit's VorigReferentieNummer, wherever the credited line is
    "TR316": ("VorigReferentieNummer", "ReferentieNummer"),
}


def our_path(root: etree._Element, rule: str, locaties: list[str]) -> str:
    """The path our finding for this Fout names, in our form (every item of a repeatable
    element indexed, [1] included)."""
    how = LOCATION[rule]
    if how == FIRST:
        chosen = locaties[0]
    elif how == LAST:
        chosen = locaties[-1]
    elif how == PARENT:
        parent = element_at(root, locaties[0]).getparent()
        assert parent is not None
        return element_path(parent)
    else:
        chosen = next(
            loc
            for name in how
            for loc in locaties
            if loc.rsplit("/", 1)[-1].partition("[")[0] == name
        )
    return element_path(element_at(root, chosen))
