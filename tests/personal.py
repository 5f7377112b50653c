"""Finding personal values in a message, and in text that must not repeat them.

Personal values are the texts of the elements the message model marks personal (BSN,
names, birth dates, address, telephone, e-mail, comments). Values too short to recognise
(codes such as Geslacht, house numbers of one to three digits) are left out, and so are
values that also occur as a value the model does not mark personal: a finding may name
those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from lxml import etree

from app.standard import catalogue
from app.standard.paths import local
from app.standard.schema import element_specs

if TYPE_CHECKING:
    from app.services import Services


def personal_values(root: etree._Element) -> set[str]:
    """The recognisable personal values of one message."""
    mt = catalogue.BY_NAMESPACE.get(etree.QName(root).namespace or "")
    if mt is None:
        return set()
    specs = element_specs(mt.name)
    personal: set[str] = set()
    other: set[str] = set()
    for el in root.iter():
        parent = el.getparent()
        if not isinstance(el.tag, str) or len(el) or parent is None or not el.text:
            continue
        value = el.text.strip()
        spec = specs.get((local(str(parent.tag)), local(el.tag)))
        (personal if spec is not None and spec.personal else other).add(value)
    return {v for v in personal - other if _recognisable(v)}


def _recognisable(value: str) -> bool:
    return len(value) >= (4 if value.isdigit() else 3)


def repeated(values: Iterable[str], text: str) -> list[str]:
    """The values that occur in ``text`` as a whole (not inside a longer word or number)."""
    return finder(values)(text)


def finder(values: Iterable[str]) -> Callable[[str], list[str]]:
    """A search for many values at once, compiled once (a service may store thousands)."""
    # A long value could only be quoted in part: its beginning stands for it.
    ordered = sorted({v[:40] for v in values}, key=len, reverse=True)
    if not ordered:
        return lambda text: []
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(v) for v in ordered) + r")(?![\w-])")
    return lambda text: sorted(set(pattern.findall(text)))


def stored_leaks(services: Services) -> list[str]:
    """Findings the service stored that repeat a personal value of any message it stored."""
    from sqlalchemy import select

    from app.administration import models as db
    from app.administration.crypto import RAW
    from app.standard import parsing

    values: set[str] = set()
    findings: list[dict[str, object]] = []
    with services.database.read() as s:
        for raw, found in s.execute(select(db.Message.raw_encrypted, db.Message.findings)):
            findings.extend(found or [])
            try:
                root = parsing.parse(services.vault.decrypt(bytes(raw), RAW)).root
            except (ValueError, parsing.MessageError):
                continue  # a placeholder row, or not XML: nothing personal to read
            values |= personal_values(root)
    find = finder(values)
    return [
        f"{f.get('rule')} at {f.get('path')}: {f.get('message')!r} repeats {found}"
        for f in findings
        if (found := find(str(f.get("message", ""))))
    ]
