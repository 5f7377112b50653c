"""Element trees of XSDs and of the published structure overview, for comparing them."""

from __future__ import annotations

import re
from pathlib import Path

import xmlschema
from xmlschema.validators import XsdComplexType, XsdElement, XsdGroup

# path -> (cardinality "min..max", type local name or "" for anonymous/complex)
Tree = dict[str, tuple[str, str]]


def _card(min_occurs: int, max_occurs: int | None) -> str:
    return f"{min_occurs}..{'unbounded' if max_occurs is None else max_occurs}"


def xsd_tree(path: Path, descend_basis: bool = False) -> Tree:
    """Element tree of a message XSD, down to the basisschema types."""
    schema = xmlschema.XMLSchema(str(path))
    root = schema.elements["Bericht"]
    tree: Tree = {}

    def walk(el: XsdElement, prefix: str) -> None:
        # Only complex types are walked (the root, and children whose type is complex), and
        # the iWmo schemas give them element content, no simple content or wildcards.
        assert isinstance(el.type, XsdComplexType), el.name
        assert isinstance(el.type.content, XsdGroup), el.name
        for child in el.type.content.iter_elements():
            assert isinstance(child, XsdElement), (el.name, child)
            here = f"{prefix}/{child.local_name}"
            type_name = child.type.local_name if child.type.name else ""
            tree[here] = (_card(child.min_occurs, child.max_occurs), type_name or "")
            basis = (child.type.name or "").startswith(
                "{http://www.istandaarden.nl/i"
            ) and "basisschema" in (child.type.name or "")
            if child.type.is_complex() and (descend_basis or not basis):
                walk(child, here)

    walk(root, "/Bericht")
    return tree


_SECTION = re.compile(r"^## Samenvatting \*\*(WMO\d{3})\.xsd\*\*", re.M)
_TYPE = re.compile(r"^### (\w+)\s*$", re.M)
_ROW = re.compile(r"^\| (\w+) \| ([\w:]+) \| (\d+\.\.(?:\d+|unbounded)) \|\s*$", re.M)


def overview_trees(markdown: str) -> dict[str, Tree]:
    """Element trees per message from the published structure overview (markdown)."""
    result: dict[str, Tree] = {}
    sections = list(_SECTION.finditer(markdown))
    for i, section in enumerate(sections):
        end = sections[i + 1].start() if i + 1 < len(sections) else len(markdown)
        body = markdown[section.end() : end]
        types: dict[str, list[tuple[str, str, str]]] = {}
        headings = list(_TYPE.finditer(body))
        for j, heading in enumerate(headings):
            stop = headings[j + 1].start() if j + 1 < len(headings) else len(body)
            rows = _ROW.findall(body[heading.end() : stop])
            if rows:
                types[heading.group(1)] = rows
        name = section.group(1)
        result[name] = _overview_tree(types, name.lower() + ":")
    return result


def _overview_tree(types: dict[str, list[tuple[str, str, str]]], prefix: str) -> Tree:
    tree: Tree = {}

    def walk(type_name: str, path: str, seen: tuple[str, ...] = ()) -> None:
        for child, child_type, card in types.get(type_name, []):
            here = f"{path}/{child}"
            local = child_type.split(":")[-1]
            own = child_type.startswith(prefix)
            tree[here] = (card, "" if own or child_type == "ref" else local)
            if own and local not in seen:
                walk(local, here, (*seen, local))

    walk("Root", "/Bericht")
    return tree
