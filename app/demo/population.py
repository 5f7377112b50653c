"""The demo's synthetic clients, spread over the region as its 2024 figures say.

The figures (MISSION.md) do not add up to one number, and the demo reads them as follows:

* **2,212 unique clients.** The municipalities' counts (Amersfoort 1,202, Baarn 212,
  Bunschoten 134, Leusden 232, Soest 345, Woudenberg 60: 2,185) are taken as they are: the
  region's budgets are shared out by them. "Outside the region, 55" brings the list to
  2,240, 28 more than the unique count, so 28 of those 55 are also counted in a
  municipality (they moved during the year). The demo keeps the other **27** as clients
  **living outside the region** for whom a region municipality stays responsible: they
  get their decision from one of the six (drawn in proportion to their size) and an
  address outside the region.
* **Intervention levels IN1..IN4: 64, 191, 1,226, 1,046** add up to 2,527: 315 clients
  were at two levels during the year. The demo starts every client at one level and moves
  315 of them to a neighbouring one during 2027 (``LEVEL_CHANGES``), so the clients per
  level over the year match the figures exactly.

A smaller population (``--clients``) keeps every proportion. Every BSN passes the eleven
test and starts with 9999, a range that is never issued to a person; names and addresses
are random combinations of common words, not people.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

K = TypeVar("K")

UNIQUE_CLIENTS = 2_212

# CBS code: (name, 2024 clients in ambulant support).
MUNICIPALITIES: dict[str, tuple[str, int]] = {
    "0307": ("Amersfoort", 1_202),
    "0308": ("Baarn", 212),
    "0313": ("Bunschoten", 134),
    "0327": ("Leusden", 232),
    "0342": ("Soest", 345),
    "0351": ("Woudenberg", 60),
}
OUTSIDE = "outside"  # the share of the clients living outside the region
OUTSIDE_REGION_2024 = 55  # as the figures say; see the module docstring for the 27 kept

# Clients per intervention level over the year (product codes 02N01..02N04).
LEVELS: dict[int, int] = {1: 64, 2: 191, 3: 1_226, 4: 1_046}
# (from, to): clients moving to another level during the year; 315 = 2,527 - 2,212.
LEVEL_CHANGES: dict[tuple[int, int], int] = {
    (1, 2): 10,
    (2, 3): 40,
    (3, 4): 150,
    (4, 3): 85,
    (3, 2): 30,
}

BSN_PREFIX = 9999_00000  # 9999xxxxx: never issued to a person


@dataclass(frozen=True)
class Client:
    index: int
    bsn: str
    municipality: str  # the CBS code of the municipality responsible
    outside_region: bool
    birth_date: date
    gender: str  # COD046: 1 man, 2 woman
    surname: str
    prefix: str | None
    first_name: str
    street: str
    house_number: int
    postcode: str
    place: str
    level: int  # intervention level at the start of care, 1..4
    next_level: int | None  # the level it moves to during the year, if any

    @property
    def initials(self) -> str:
        return self.first_name[0]


# --- the numbers ---------------------------------------------------------------------------


def apportion(weights: Mapping[K, int], total: int) -> dict[K, int]:
    """``total`` shared out in proportion to ``weights`` (largest remainder, ties in order)."""
    whole = sum(weights.values())
    if whole == 0:
        return dict.fromkeys(weights, 0)
    exact = {k: w * total / whole for k, w in weights.items()}
    result = {k: int(v) for k, v in exact.items()}
    rest = total - sum(result.values())
    by_remainder = sorted(weights, key=lambda k: exact[k] - result[k], reverse=True)
    for k in by_remainder[:rest]:
        result[k] += 1
    return result


def municipality_counts(total: int) -> dict[str, int]:
    """Clients per municipality (and ``OUTSIDE``) for a population of ``total``."""
    weights: dict[str, int] = {code: n for code, (_, n) in MUNICIPALITIES.items()}
    weights[OUTSIDE] = UNIQUE_CLIENTS - sum(weights.values())
    return apportion(weights, total)


def level_plan(total: int) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """(clients starting at each level, clients moving between levels) for ``total``."""
    arriving = dict.fromkeys(LEVELS, 0)
    for (_, to), n in LEVEL_CHANGES.items():
        arriving[to] += n
    starting = {level: n - arriving[level] for level, n in LEVELS.items()}
    start_counts = apportion(starting, total)
    changers = round(sum(LEVEL_CHANGES.values()) * total / UNIQUE_CLIENTS)
    changes = apportion(LEVEL_CHANGES, changers)
    # A small population cannot move more clients off a level than start there.
    for (frm, to), n in changes.items():
        leaving = sum(m for (f, _), m in changes.items() if f == frm)
        if leaving > start_counts[frm]:
            changes[(frm, to)] = max(0, n - (leaving - start_counts[frm]))
    return start_counts, changes


# --- BSNs ----------------------------------------------------------------------------------


def _elfproef(number: int) -> bool:
    digits = f"{number:09d}"
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def bsns(skip: int = 0) -> Iterator[str]:
    """Synthetic BSNs in 9999xxxxx passing the eleven test, in order, after the first
    ``skip`` (numbers an earlier demo run on the same database used)."""
    seen = 0
    for number in range(BSN_PREFIX + 1, BSN_PREFIX + 100_000):
        if _elfproef(number):
            if seen >= skip:
                yield f"{number:09d}"
            seen += 1


# --- names and addresses -------------------------------------------------------------------

_MEN = (
    "Jan", "Pieter", "Kees", "Henk", "Willem", "Gerrit", "Bram", "Daan", "Sem", "Luuk",
    "Thijs", "Ruben", "Mohamed", "Ahmet", "Joost", "Bas", "Rik", "Stefan", "Tom", "Wouter",
)  # fmt: skip
_WOMEN = (
    "Anna", "Maria", "Johanna", "Els", "Ingrid", "Sanne", "Lotte", "Fleur", "Emma", "Noor",
    "Fatima", "Yasmin", "Linda", "Marieke", "Anouk", "Iris", "Eva", "Petra", "Sophie", "Lisa",
)  # fmt: skip
_SURNAMES = (
    ("de", "Vries"), (None, "Jansen"), (None, "Bakker"), ("van", "Dijk"), (None, "Visser"),
    (None, "Smit"), ("de", "Boer"), (None, "Mulder"), ("de", "Groot"), (None, "Bos"),
    ("van den", "Berg"), (None, "Vos"), (None, "Peters"), (None, "Hendriks"), ("van", "Leeuwen"),
    (None, "Dekker"), (None, "Brouwer"), ("de", "Wit"), (None, "Dijkstra"), (None, "Kok"),
    ("van der", "Meer"), (None, "Yilmaz"), (None, "El Amrani"), (None, "Willems"), ("van", "Beek"),
)  # fmt: skip
_STREETS = (
    "Lindelaan", "Kerkstraat", "Stationsweg", "Molenweg", "Beukenlaan", "Dorpsstraat",
    "Schoolstraat", "Eikenlaan", "Parkweg", "Julianastraat", "Prins Hendriklaan", "Veldweg",
)  # fmt: skip
# Municipality (or OUTSIDE): places and their four-digit postcode ranges.
_PLACES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "0307": (("Amersfoort", 3811, 3829),),
    "0308": (("Baarn", 3741, 3744),),
    "0313": (("Bunschoten-Spakenburg", 3751, 3752),),
    "0327": (("Leusden", 3831, 3833), ("Achterveld", 3791, 3791)),
    "0342": (("Soest", 3760, 3769), ("Soesterberg", 3769, 3769)),
    "0351": (("Woudenberg", 3931, 3931),),
    OUTSIDE: (("Utrecht", 3511, 3585), ("Zeist", 3701, 3709), ("Barneveld", 3771, 3774)),
}
_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"


def generate(total: int, seed: int, *, bsn_offset: int = 0) -> list[Client]:
    """``total`` clients, reproducible from ``seed``."""
    if total < 1:
        raise ValueError("the population needs at least one client")
    rng = random.Random(seed)
    homes = [code for code, n in municipality_counts(total).items() for _ in range(n)]
    rng.shuffle(homes)
    starts, changes = level_plan(total)
    levels = [level for level, n in starts.items() for _ in range(n)]
    rng.shuffle(levels)
    moving: dict[int, int] = {}
    for (frm, to), n in changes.items():
        candidates = [i for i, lv in enumerate(levels) if lv == frm and i not in moving]
        for i in rng.sample(candidates, n):
            moving[i] = to
    weights = {code: n for code, (_, n) in MUNICIPALITIES.items()}
    numbers = bsns(bsn_offset)
    clients = []
    for i, (home, level) in enumerate(zip(homes, levels, strict=True)):
        outside = home == OUTSIDE
        municipality = home
        if outside:
            municipality = rng.choices(list(weights), weights=list(weights.values()))[0]
        gender = rng.choice("12")
        place, low, high = rng.choice(_PLACES[home])
        prefix, surname = rng.choice(_SURNAMES)
        age_days = rng.randint(18 * 365, 92 * 365)
        bsn = next(numbers, None)
        if bsn is None:
            raise ValueError(
                f"the synthetic BSN range (9999xxxxx) has no room for {total} more clients "
                f"after the {bsn_offset} already in the database"
            )
        clients.append(
            Client(
                index=i,
                bsn=bsn,
                municipality=municipality,
                outside_region=outside,
                birth_date=date(2027, 1, 1) - timedelta(days=age_days),
                gender=gender,
                surname=surname,
                prefix=prefix,
                first_name=rng.choice(_MEN if gender == "1" else _WOMEN),
                street=rng.choice(_STREETS),
                house_number=rng.randint(1, 180),
                postcode=f"{rng.randint(low, high)}{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}",
                place=place,
                level=level,
                next_level=moving.get(i),
            )
        )
    return clients
