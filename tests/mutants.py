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
from calendar import monthrange
from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any

from lxml import etree

from app.standard import catalogue, codec, elements
from app.standard import messages as m
from app.standard.datatypes import SimpleType
from app.standard.elements import Spec

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


# --- guided mutants: typed messages changed within their datatypes ---------------------------
#
# Value mutants above mostly break the schema. These change a decoded message field by field,
# always within the field's datatype, so most stay schema-valid and reach the rules. Values
# are drawn from pools aimed at the rules' edges: dates equal to, just before or just after
# the message's other dates and the Dagtekening, the standard's cut-off days (2020-12-31,
# 120 and 5 years back), keys copied from a sibling line (duplicates, credits of lines in the
# same message), codes from the code lists, and personal values that are easy to recognise
# (see PERSONAL) so tests can prove no finding repeats them.

# Distinctive personal values: a finding that quotes one of them is easy to catch.
PERSONAL = {
    "Bsn": ["123456782", "314159265", "271828183", "123456783"],
    "Achternaam": ["Zwaluwstaart", "Kwikstaartje", "Roodborstje"],
    "Voorvoegsel": ["van der", "ter"],
    "Voornamen": ["Hendrikje Maria", "Klaasjan"],
    "Voorletters": ["HMq", "Kj"],
    "Straatnaam": ["Kwartelweg", "Lijsterbeslaan"],
    "Plaatsnaam": ["Vlieland-Oost", "Zwaagdijk-West"],
    "Postcode": ["9876ZX", "9876zx", "0876ZX", "9876 ZX", "B-4711"],
    "Huisnummer": ["4711", "8123"],
    "Huisletter": ["Q"],
    "HuisnummerToevoeging": ["bisX"],
    "Telefoonnummer": ["0612398745"],
    "Emailadres": ["zwaluw@nest.example"],
    # Geboortedatum/Datum: DAYS_OF_BIRTH below, some relative to the Dagtekening.
}
DAYS_OF_BIRTH = ["2099-08-13", "1957-08-13", "1944-01-01", "1968-05-01", "1900-01-01"]

_SKIP = {
    "BerichtCode",
    "BerichtVersie",
    "BerichtSubversie",
    "Afzender",
    "Ontvanger",
    "Identificatie",
    "XsdVersie",
    "XsdVersieDeclaratie",
    "BasisschemaXsdVersie",
    "BerichtXsdVersie",
    "XsltVersie",
}
_KEYS = {
    "ReferentieNummer",
    "VorigReferentieNummer",
    "ReferentieAanbieder",
    "ToewijzingNummer",
    "Nummer",
    "Bsn",
    "DeclaratieNummer",
    "ProductCode",
    "Code",
    "Categorie",
    "ProductCategorie",
    "Soort",
}
_RETOUR_CODES = ["0200", "8001", "0233", "9339", "9321", "8187", "0001"]
# Codes the rules single out, chosen more often than the rest of their (long) code list.
_FAVOURITES = {
    "LandCode": ["NL"],
    "RedenWijziging": ["01", "13"],
    "Soort": ["04"],
    "DebetCredit": ["C"],
    "Type": ["01", "02", "06"],
    "Categorie": ["11", "02"],
}


class _Slot:
    """One field of one object in a typed message: where a mutation may act."""

    def __init__(self, owner: Any, spec: Spec, personal: bool) -> None:
        self.owner, self.spec, self.personal = owner, spec, personal

    @property
    def value(self) -> Any:
        return getattr(self.owner, self.spec.name)

    def set(self, value: Any) -> None:
        setattr(self.owner, self.spec.name, value)


def _slots(obj: Any, retour: bool, personal: bool = False) -> list[_Slot]:
    found = []
    for spec in elements.specs(type(obj)):
        if spec.name in _SKIP or (spec.retour_only and not retour):
            continue
        inner = personal or spec.personal
        found.append(_Slot(obj, spec, inner))
        value = getattr(obj, spec.name)
        if spec.cls is None or value is None:
            continue
        for item in value if spec.kind == "list" else [value]:
            found.extend(_slots(item, retour, inner))
    return found


def _values(slots: list[_Slot], base: str) -> list[Any]:
    return [
        s.value
        for s in slots
        if s.spec.kind == "value"
        and s.spec.simple is not None
        and s.spec.simple.base == base
        and s.value is not None
        and not s.personal
    ]


def _shift_years(day: Any, years: int) -> Any:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _date(slot: _Slot, msg: Any, slots: list[_Slot], rng: random.Random) -> Any:
    today = msg.Header.BerichtIdentificatie.Dagtekening
    if slot.spec.name == "Datum" and slot.personal:  # a birth date
        pool = [date.fromisoformat(d) for d in DAYS_OF_BIRTH]
        pool += [_shift_years(today, -120) + timedelta(days=k) for k in (-1, 0, 1)]
        pool += [today, today + timedelta(days=1)]
        return rng.choice(pool)
    known = _values(slots, "date") or [today]
    pick = rng.random()
    if pick < 0.45:
        return rng.choice(known) + timedelta(days=rng.choice((-1, 0, 0, 1)))
    if pick < 0.6:
        return today + timedelta(days=rng.choice((-1, 0, 1, 2, -40, 35)))
    if pick < 0.8:
        day = rng.choice(known)
        first = day.replace(day=1)
        last = day.replace(day=monthrange(day.year, day.month)[1])
        return rng.choice(
            [
                first,
                last,
                last + timedelta(days=1),
                first - timedelta(days=1),
                _shift_years(day, -5),
                _shift_years(day, -5) - timedelta(days=1),
                _shift_years(day, 1),
            ]
        )
    return rng.choice(
        [
            date(2020, 12, 31),
            date(2021, 1, 1),
            date(1900, 1, 1),
            date(2019, 6, 15),
            date(2024, 2, 29),
            date(2100, 2, 28),
            date(2018, 1, 1) + timedelta(days=rng.randint(0, 4000)),
        ]
    )


def _string(slot: _Slot, slots: list[_Slot], rng: random.Random) -> str | None:
    spec, simple = slot.spec, _simple(slot)
    name = spec.name
    if slot.personal and name in PERSONAL:
        return rng.choice(PERSONAL[name])
    if name == "RetourCode" or (spec.kind == "list" and spec.item == "RetourCode"):
        return rng.choice(_RETOUR_CODES)
    if simple.enumeration:
        favourite = _FAVOURITES.get(name)
        if favourite and rng.random() < 0.5:
            return rng.choice(favourite)
        return rng.choice(simple.enumeration)
    same = [s.value for s in slots if s.spec.name in (name, *_related(name)) and s.value]
    same = [v for v in same if isinstance(v, str)]
    if name in _KEYS and same and rng.random() < 0.7:
        return rng.choice(same)
    if name == "ZorgverlenerCode":
        return rng.choice(["12345678", "00000000"])
    if name in ("Postcode",):
        return rng.choice(["1234AB", "1234ab", "0123AB", "1234 AB", "12345"])
    if simple.pattern and "[0-9]" in simple.pattern:
        return None  # digit codes of fixed length: not worth the schema's refusal
    limit = simple.max_length or 20
    pool = ["A", f"RN{rng.randint(1, 9)}", "x" * min(limit, 5), "01A01", "02N01", *same]
    # Spaces around or instead of a value: the schema allows them in some types, and the
    # rules must read them as the published validation does.
    pool += [f" {v}" for v in same[:2]] + [f"{v} " for v in same[:2]]
    if simple.pattern is None:
        pool.append("  ")
    return rng.choice(pool)[:limit]


def _related(name: str) -> tuple[str, ...]:
    # Values of these elements are compared with each other by the rules.
    pairs = {
        "ReferentieNummer": ("VorigReferentieNummer",),
        "VorigReferentieNummer": ("ReferentieNummer",),
        "Code": ("ProductCode",),
        "ProductCode": ("Code",),
    }
    return pairs.get(name, ())


def _integer(slot: _Slot, slots: list[_Slot], rng: random.Random) -> int:
    simple = _simple(slot)
    high = min(simple.max_inclusive if simple.max_inclusive is not None else 99, 10**9)
    if slot.personal and slot.spec.name in PERSONAL:
        return int(rng.choice(PERSONAL[slot.spec.name]))
    same = [s.value for s in slots if s.spec.name == slot.spec.name and s.value is not None]
    if slot.spec.name in ("Bedrag", "TotaalBedrag") and rng.random() < 0.25:
        return 0
    amounts = _values(slots, "integer")
    pool = [0, 0, 1, 2, 4, 10, 60, rng.randint(0, min(high, 100000))]
    pool += same * 2 + [v + rng.choice((-1, 1)) for v in same] + amounts
    value = rng.choice(pool)
    return max(0, min(high, value))


def _simple(slot: _Slot) -> SimpleType:
    assert slot.spec.simple is not None, slot.spec.name
    return slot.spec.simple


def _value(slot: _Slot, msg: Any, slots: list[_Slot], rng: random.Random) -> Any:
    base = _simple(slot).base
    if base == "date":
        return _date(slot, msg, slots, rng)
    if base == "integer":
        return _integer(slot, slots, rng)
    if base == "time":
        return time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
    return _string(slot, slots, rng)


def _build(
    cls: type, msg: Any, slots: list[_Slot], rng: random.Random, personal: bool, retour: bool
) -> Any:
    """A new object of a message class with its required fields filled."""
    values: dict[str, Any] = {}
    for spec in elements.specs(cls):
        if spec.retour_only and retour:
            values[spec.name] = ["0200"]
        if spec.optional or spec.retour_only:
            continue
        slot = _Slot(None, spec, personal or spec.personal)  # no owner yet: values only
        if spec.kind == "value":
            values[spec.name] = _value(slot, msg, slots, rng)
        elif spec.cls is not None and spec.kind == "child":
            values[spec.name] = _build(spec.cls, msg, slots, rng, slot.personal, retour)
        elif spec.cls is not None:
            values[spec.name] = [_build(spec.cls, msg, slots, rng, slot.personal, retour)]
        else:
            values[spec.name] = [_value(slot, msg, slots, rng)]
    return cls(**values)


# Elements no rule within a message reads: changed less often.
_UNREAD = {
    "Achternaam",
    "Voorvoegsel",
    "Voornamen",
    "Voorletters",
    "Telefoon01",
    "Telefoon02",
    "Telefoonnummer",
    "Landnummer",
    "Emailadres",
    "Commentaar",
    "Geslacht",
    "Straatnaam",
    "Plaatsnaam",
    "Organisatie",
    "JuridischeStatus",
    "WettelijkeVertegenwoordiging",
    "Huisletter",
    "HuisnummerToevoeging",
    "AanduidingWoonadres",
    "Raamcontract",
    "Volgorde",
    "Toewijzingstijd",
    "RedenVerzoek",
    "Geslachtsnaam",
}


def _weight(slot: _Slot) -> float:
    # Lines and their keys are what most rules compare.
    if slot.spec.kind == "list":
        return 4.0
    return 0.2 if slot.spec.name in _UNREAD else 1.0


def _guided_step(msg: Any, rng: random.Random, retour: bool) -> str:
    slots = _slots(msg, retour)
    slot = rng.choices(slots, weights=[_weight(s) for s in slots])[0]
    spec, name = slot.spec, slot.spec.name
    value = slot.value
    op = rng.random()
    if spec.kind == "value":
        if spec.optional and value is not None and op < 0.2:
            slot.set(None)
            return f"drop {name}"
        new = _value(slot, msg, slots, rng)
        if new is None:
            return f"keep {name}"
        slot.set(new)
        return f"set {name}"
    if spec.kind == "child" and spec.cls is not None:
        if value is None:
            slot.set(_build(spec.cls, msg, slots, rng, slot.personal, retour))
            return f"add {name}"
        if spec.optional and op < 0.4:
            slot.set(None)
            return f"drop {name}"
        return _copy_from_sibling(value, slots, rng) or f"keep {name}"
    # A list: items are objects of a class, or codes (RetourCodes).
    if spec.cls is None:
        if len(value) > 1 and op < 0.3:
            value.pop(rng.randrange(len(value)))
        else:
            value.append(_value(slot, msg, slots, rng))
        return f"codes {name}"
    if value and op < 0.45:
        item = rng.choice(value)
        twin = copy.deepcopy(item)
        value.insert(value.index(item) + 1 if rng.random() < 0.7 else len(value), twin)
        if rng.random() < 0.6:
            _copy_from_sibling(twin, _slots(twin, retour), rng, change_only=True, msg=msg)
        return f"duplicate {spec.item}"
    if value and spec.optional and op < 0.55:
        value.clear()
        return f"clear {name}"
    if value and (len(value) > 1 or spec.optional) and op < 0.65:
        value.pop(rng.randrange(len(value)))
        return f"remove {spec.item}"
    if value and op < 0.85:
        return _copy_from_sibling(rng.choice(value), slots, rng) or f"keep {spec.item}"
    value.append(_build(spec.cls, msg, slots, rng, slot.personal, retour))
    return f"append {spec.item}"


def _copy_from_sibling(
    obj: Any,
    slots: list[_Slot],
    rng: random.Random,
    *,
    change_only: bool = False,
    msg: Any = None,
) -> str | None:
    """Make one value field of ``obj`` equal to that field of another object of its class,
    or (``change_only``) give it a new value: keys and periods then meet or collide."""
    own = [s for s in _slots(obj, True) if s.owner is obj and s.spec.kind == "value"]
    if not own:
        return None
    slot = rng.choice(own)
    if change_only:
        new = _value(slot, msg, _slots(msg, True), rng)
        if new is not None:
            slot.set(new)
        return f"change {slot.spec.name}"
    others = [
        s
        for s in slots
        if s.spec.name == slot.spec.name and type(s.owner) is type(obj) and s.owner is not obj
    ]
    if not others:
        return None
    slot.set(copy.deepcopy(rng.choice(others).value))
    return f"match {slot.spec.name}"


def guided_mutants(message: Any, seed: int, count: int) -> Iterator[tuple[str, Any]]:
    """``count`` changed copies of a typed message, reproducible for a given seed."""
    retour = catalogue.of(message).is_retour
    rng = random.Random(seed)
    for _ in range(count):
        msg = copy.deepcopy(message)
        steps = [_guided_step(msg, rng, retour) for _ in range(rng.choice((1, 2, 2, 3, 4, 5)))]
        yield "; ".join(steps), msg


def personalise(message: Any, seed: int = 0) -> Any:
    """A copy of a typed message whose personal values are all taken from PERSONAL (and
    DAYS_OF_BIRTH), so that a test can look for them in whatever comes out."""
    rng = random.Random(seed)
    msg = copy.deepcopy(message)
    for slot in _slots(msg, catalogue.of(msg).is_retour):
        if not slot.personal or slot.spec.kind != "value" or slot.value is None:
            continue
        if slot.spec.name == "Datum":
            slot.set(date.fromisoformat(rng.choice(DAYS_OF_BIRTH[1:4])))
        elif slot.spec.name in PERSONAL:
            value = rng.choice(PERSONAL[slot.spec.name][:2])
            slot.set(int(value) if _simple(slot).base == "integer" else value)
    return msg


def starting_points(message: Any) -> list[tuple[str, Any]]:
    """The message and variants of it that put rarely met conditions one change away:
    Dutch addresses, weekly volumes, budgets, deleted allocations, credits, amounts in
    euros or of zero, a change request with one kind of product, an answer refused whole.
    Each applies only where the message has what it changes."""
    retour = catalogue.of(message).is_retour

    def objects(msg: Any, cls: type | tuple[type, ...]) -> list[Any]:
        return [
            s.value
            for s in _slots(msg, retour)
            if s.spec.kind != "list" and isinstance(s.value, cls)
        ] + [
            item
            for s in _slots(msg, retour)
            if s.spec.kind == "list"
            for item in s.value
            if isinstance(item, cls)
        ]

    def dutch(msg: Any) -> None:
        for adres in objects(msg, m.Adres):
            adres.LandCode, adres.Postcode = "NL", PERSONAL["Postcode"][0]

    def weekly(msg: Any) -> None:
        for omvang in objects(msg, m.Omvang):
            omvang.Eenheid, omvang.Frequentie = "14", "2"

    def budgets(msg: Any) -> None:
        for p in objects(
            msg, (m.ToegewezenProduct, m.AangevraagdProduct, m.NieuwProduct, m.TeWijzigenProduct)
        ):
            p.Omvang, p.Budget = None, 120000
            if getattr(p, "Product", None) is not None:
                p.Product.Code = None

    def deleted(msg: Any) -> None:
        for p in objects(msg, m.ToegewezenProduct):
            p.RedenWijziging, p.Einddatum = "13", p.Ingangsdatum

    def credits(msg: Any) -> None:
        for i, p in enumerate(objects(msg, m.Prestatie)):
            if i % 2:
                p.ProductReferentie.VorigReferentieNummer = (
                    "V" + p.ProductReferentie.ReferentieNummer
                )
                p.IngediendBedrag.DebetCredit = "C"

    def euros(msg: Any) -> None:
        for p in objects(msg, m.Prestatie):
            p.Eenheid, p.ProductTarief = "83", None
            p.GeleverdVolume = p.IngediendBedrag.Bedrag

    def zero(msg: Any) -> None:
        for amount in objects(msg, (m.BedragMetDC, m.TotaalBedragMetDC)):
            if isinstance(amount, m.BedragMetDC):
                amount.Bedrag = 0
            else:
                amount.TotaalBedrag = 0
            amount.DebetCredit = "D"

    def one_contact(msg: Any) -> None:
        client = getattr(msg, "Client", None)
        if isinstance(client, m.ToewijzingClient):
            contact = client.Contactgegevens[0]
            contact.Soort, contact.Adres = "02", None
            client.Contactgegevens = [contact]

    def only(kind: str) -> Any:
        def change(msg: Any) -> None:
            for v in objects(msg, m.Verzoek):
                for name in ("OngewijzigdeProducten", "TeWijzigenProducten", "NieuweProducten"):
                    if name != kind:
                        setattr(v, name, [])

        return change

    def refused_whole(msg: Any) -> None:
        a = getattr(msg, "DeclaratieAntwoord", None)
        if a is not None:
            a.RetourCodes, a.Clienten = ["9333"], []
            a.TotaalToegekendBedrag = m.TotaalBedragMetDC(TotaalBedrag=0, DebetCredit="D")

    def houseless(msg: Any) -> None:
        for adres in objects(msg, m.Adres):
            adres.LandCode, adres.Huis = "NL", None

    def referrer_code(msg: Any) -> None:
        for v in objects(msg, m.Verwijzer):
            v.Type, v.Naam, v.ZorgverlenerCode = "03", None, "12345678"

    variants = [
        ("Dutch addresses", dutch),
        ("addresses without a house", houseless),
        ("referrers with a code", referrer_code),
        ("weekly volumes", weekly),
        ("budgets", budgets),
        ("deleted allocations", deleted),
        ("credits", credits),
        ("euros", euros),
        ("zero amounts", zero),
        ("one contact", one_contact),
        ("only unchanged", only("OngewijzigdeProducten")),
        ("only changed", only("TeWijzigenProducten")),
        ("only new", only("NieuweProducten")),
        ("refused whole", refused_whole),
    ]
    points = [("as published", message)]
    for label, change in variants:
        variant = copy.deepcopy(message)
        change(variant)
        if _differs(variant, message):
            points.append((label, variant))
    return points


def _differs(a: Any, b: Any) -> bool:
    return codec.to_bytes(a) != codec.to_bytes(b)
