"""Which lines clash with an earlier one (TR302, TR361, TR386, TR410): the same answer as
comparing every pair, at a cost that grows with the lines, not with their square."""

from __future__ import annotations

import cProfile
import pstats
import random
from datetime import date, timedelta

from app.rules.overlap import AIDS, Care, Period, clashes

CARES: list[Care] = [
    None,
    ("01", None),
    ("01", "01A01"),
    ("01", "01A02"),
    ("02", None),
    ("02", "02N01"),
    ("11", None),
    ("12", "12A01"),
]


def _pairwise(lines: list[tuple[Period, Care]]) -> set[int]:
    """The lines that clash with an earlier one, by comparing every pair."""

    def overlap(a: Period, b: Period) -> bool:
        return (a[1] is None or b[0] <= a[1]) and (b[1] is None or a[0] <= b[1])

    def same(a: Care, b: Care) -> bool:
        if (a is not None and a[0] in AIDS) or (b is not None and b[0] in AIDS):
            return False
        if a is None or b is None:
            return True
        if a[1] is not None and b[1] is not None:
            return a == b
        return a[0] == b[0]

    return {
        j
        for j in range(len(lines))
        for i in range(j)
        if overlap(lines[i][0], lines[j][0]) and same(lines[i][1], lines[j][1])
    }


def _random_lines(rng: random.Random, count: int) -> list[tuple[Period, Care]]:
    lines = []
    for _ in range(count):
        start = date(2023, 1, 1) + timedelta(days=rng.randrange(60))
        end = None if rng.random() < 0.2 else start + timedelta(days=rng.randrange(0, 40))
        lines.append(((start, end), rng.choice(CARES)))
    return lines


def test_clashes_agree_with_comparing_every_pair() -> None:
    rng = random.Random(302)
    for _ in range(2000):
        lines = _random_lines(rng, rng.randrange(1, 12))
        found = list(clashes(lines))
        assert {later for later, _ in found} == _pairwise(lines), lines
        for later, earlier in found:  # the earlier line named does clash with it
            assert earlier < later
            assert _pairwise([lines[earlier], lines[later]]) == {1}


def _calls(lines: list[tuple[Period, Care]]) -> int:
    profile = cProfile.Profile()
    profile.enable()
    list(clashes(lines))
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def test_the_cost_grows_with_the_lines_not_their_square() -> None:
    """The worst case of comparing pairs: one product in many periods that never meet."""

    def months(count: int) -> list[tuple[Period, Care]]:
        first = date(2000, 1, 1)
        return [
            ((first + timedelta(days=31 * i), first + timedelta(days=31 * i + 30)), ("01", "01A01"))
            for i in range(count)
        ]

    small, large = _calls(months(1000)), _calls(months(4000))
    assert large < 6 * small, (small, large)
