"""Every message rule costs time in proportion to the message: a message with four times as
many lines costs about four times the work to check, never sixteen. Counted in function
calls (no time is asserted), for every repeated element of every published example."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Iterator

import pytest
from lxml import etree

from app.standard import paths
from app.validation import Validator
from tests.conftest import OUTBOUND


def _lists(root: etree._Element) -> Iterator[tuple[str, str]]:
    """(container, item) local names of the repeated elements in a message."""
    seen = set()
    for el in root.iter():
        parent = el.getparent()
        if parent is None or not isinstance(el.tag, str):
            continue
        pair = (paths.local(str(parent.tag)), paths.local(el.tag))
        if pair in paths.repeatable() and pair not in seen:
            seen.add(pair)
            yield pair


def _grown(data: bytes, container: str, item: str, count: int) -> bytes:
    root = etree.fromstring(data)
    holder = next(e for e in root.iter() if paths.local(str(e.tag)) == container)
    first = next(e for e in holder if paths.local(str(e.tag)) == item)
    for _ in range(count - 1):
        holder.append(etree.fromstring(etree.tostring(first)))
    return etree.tostring(root)


def _calls(validator: Validator, data: bytes) -> int:
    profile = cProfile.Profile()
    profile.enable()
    validator.check(data)
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", OUTBOUND)
def test_every_rule_is_linear_in_each_list(
    name: str, examples: dict[str, bytes], validator: Validator
) -> None:
    roomy = Validator(validator.settings.replace(max_message_bytes=1 << 30), validator.schemas)
    data = examples[name]
    for container, item in _lists(etree.fromstring(data)):
        small = _calls(roomy, _grown(data, container, item, 150))
        large = _calls(roomy, _grown(data, container, item, 600))
        assert large < 6 * small, (container, item, small, large)
