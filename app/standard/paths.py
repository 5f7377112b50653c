"""Element paths in the form findings use: local names from the root, with a 1-based
index on items of repeatable elements, e.g.
``/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]/Einddatum``."""

from __future__ import annotations

import re
from functools import cache

from lxml import etree

from app.standard import catalogue, elements


@cache
def repeatable() -> frozenset[tuple[str, str]]:
    """(container, item) element-name pairs whose items may repeat, from the model."""
    pairs: set[tuple[str, str]] = set()
    seen: set[type] = set()

    def walk(cls: type) -> None:
        if cls in seen:
            return
        seen.add(cls)
        for spec in elements.specs(cls):
            if spec.kind == "list" and spec.item:
                pairs.add((spec.name, spec.item))
            if spec.cls is not None:
                walk(spec.cls)

    for message in catalogue.ALL:
        walk(message.root)
    return frozenset(pairs)


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def element_path(el: etree._Element) -> str:
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        name = local(str(node.tag))
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            if len(same) > 1 or (local(str(parent.tag)), name) in repeatable():
                name = f"{name}[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


_PREFIX = re.compile(r"(?<=/)[A-Za-z_][\w.-]*:")


def namespaces(doc: etree._Element) -> dict[str, str]:
    """Every prefix declared in a document (the first declaration of each), for XPath."""
    found = {k: v for k, v in doc.nsmap.items() if k}
    for el in doc.iter():
        for k, v in el.nsmap.items():
            if k and k not in found:
                found[k] = v
    return found


def resolve(
    doc: etree._Element, libxml_path: str | None, prefixes: dict[str, str] | None = None
) -> tuple[etree._Element | None, str]:
    """Turn a path as libxml2 reports it into our form, with the element when found.
    ``prefixes`` (from ``namespaces``) saves walking the document once per path."""
    if not libxml_path:
        return None, ""
    namespaces_ = prefixes if prefixes is not None else namespaces(doc)
    try:
        found = doc.getroottree().xpath(libxml_path, namespaces=namespaces_)
    except etree.XPathError:
        found = None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0], element_path(found[0])
    return None, _PREFIX.sub("", libxml_path)


def resolves(doc: etree._Element, path: str) -> bool:
    """Whether a path in our form points at an element of the document."""
    steps = [s for s in path.split("/") if s]
    if not steps:
        return False
    xpath = "/" + "/".join(_step(s) for s in steps)
    return bool(doc.getroottree().xpath(xpath))


def _step(step: str) -> str:
    name, _, index = step.partition("[")
    test = f"*[local-name()='{name}']"
    return f"{test}[{index}" if index else test
