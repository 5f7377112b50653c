"""Seeded mutations of iWmo messages, for conformance and robustness tests.

Each mutant applies one to three operations to a copy of a document: delete, duplicate or
move an element, or replace a value with a nearby-but-different one (other dates, codes,
numbers, empty and overlong strings). The pools aim at the edges of the standard's
datatypes: lengths around each maximum, dates that do not exist or carry a time zone,
codes just outside a list.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator

from lxml import etree

DATES = [
    "2023-01-01",
    "2024-02-29",
    "2023-02-29",
    "2023-02-30",
    "2023-13-01",
    "2023-00-10",
    "2023-1-1",
    "20230101",
    "2023-01-01Z",
    "2023-01-01+01:00",
    "2023-01-01T00:00:00",
    "-2023-01-01",
    "12023-01-01",
    " 2023-01-01 ",
    "0000-01-01",
    "1899-12-31",
    "2100-12-31",
    "2020-12-31",
    "2021-01-01",
    "1900-01-01",
]
TIMES = [
    "00:00:00",
    "23:59:59",
    "24:00:00",
    "12:34",
    "12:34:56.789",
    "12:34:56Z",
    "12:34:56+01:00",
    "25:00:00",
    "12:60:00",
    " 12:00:00 ",
    "T12:00:00",
]
CODES = [
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "00",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "07",
    "08",
    "09",
    "10",
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
    "20",
    "21",
    "22",
    "23",
    "24",
    "25",
    "26",
    "31",
    "36",
    "37",
    "38",
    "39",
    "40",
    "45",
    "82",
    "83",
    "84",
    "99",
    "AB",
    "BY",
    "TO",
    "WW",
    "NL",
    "AD",
    "XX",
    "nl",
    "C",
    "D",
    "E",
    "001",
    "1 ",
    " 01",
    "0200",
    "0001",
    "9056",
    "S300",
    "S329",
    "9355",
    "9999",
    "414",
    "415",
]
NUMBERS = [
    "0",
    "1",
    "-1",
    "+5",
    "007",
    "1.5",
    "1e3",
    "99",
    "100",
    "99999",
    "100000",
    "99999999",
    "100000000",
    "999999999",
    "1000000000",
    "999999999999",
    "1000000000000",
    " 42 ",
    "abc",
    "3",
    "03",
    "2",
    "02",
]
STRINGS = [
    "",
    " ",
    "   ",
    "\t",
    "a",
    "É",
    "Ö",
    "ABC",
    "a b",
    ".",
    ". .",
    "J.",
    "ABCDEFG",
    "ÀÁ",
    "\u1ef3",
    "\u1ef4",
    "1.0.0",
    "01.0.0",
    "1.0",
    "1.0.0.0",
    "12345678",
    "1234567",
    "123456789",
    "1234",
    "0384",
    "999900006",
    "0101234567",
    "+31",
    "9999XX",
    "1234 AB",
    "a@b.nl",
    "x y z",
] + [
    "x" * n
    for n in (
        2,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        15,
        16,
        20,
        21,
        24,
        25,
        35,
        36,
        37,
        64,
        65,
        80,
        81,
        200,
        201,
    )
]
POOLS = (DATES, TIMES, CODES, NUMBERS, STRINGS)


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and e is not root]


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [e for e in _elements(root) if len(e) == 0]


def _pool_for(text: str, rng: random.Random) -> list[str]:
    # Mostly values of the same shape as the original, sometimes anything at all.
    if rng.random() < 0.25:
        return rng.choice(POOLS)
    if len(text) == 10 and text[4:5] == "-":
        return DATES
    if ":" in text:
        return TIMES
    if text.isdigit() and len(text) <= 4:
        return rng.choice((CODES, NUMBERS))
    if text.isdigit():
        return NUMBERS
    return STRINGS


def mutate(root: etree._Element, rng: random.Random) -> str:
    """Apply one random operation in place; return a short description."""
    op = rng.choices(("delete", "duplicate", "move", "value", "value", "value"))[0]
    elements = _elements(root)
    if op == "value" or len(elements) < 2:
        el = rng.choice(_leaves(root) or [root])
        old = el.text or ""
        el.text = rng.choice(_pool_for(old, rng))
        return f"value {etree.QName(el).localname} {old!r}->{el.text!r}"
    el = rng.choice(elements)
    parent = el.getparent()
    assert parent is not None
    name = etree.QName(el).localname
    if op == "delete":
        parent.remove(el)
        return f"delete {name}"
    if op == "duplicate":
        parent.insert(parent.index(el) + 1, copy.deepcopy(el))
        return f"duplicate {name}"
    parent.remove(el)
    if rng.random() < 0.7 or len(_elements(root)) == 0:
        target = parent
    else:
        target = rng.choice([e for e in [root, *_elements(root)] if len(e) > 0] or [root])
    target.insert(rng.randint(0, len(target)), el)
    return f"move {name} into {etree.QName(target).localname}"


def mutants(source: bytes, seed: int, count: int) -> Iterator[tuple[str, etree._Element]]:
    """``count`` mutants of ``source``, reproducible for a given seed."""
    rng = random.Random(seed)
    original = etree.fromstring(source, etree.XMLParser(remove_blank_text=True))
    for _ in range(count):
        root = copy.deepcopy(original)
        steps = [mutate(root, rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        yield "; ".join(steps), root
