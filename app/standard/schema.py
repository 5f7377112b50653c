"""Schema validation with findings a person can act on.

Validates against the project's generated XSDs in ``schemas/``, or against an official
iWmo 3.2 XSD release when ``IWMO_XSD_DIR`` points at one. lxml does the checking (fast);
this module turns libxml2's messages into findings with our element paths and plain
reasons, without echoing personal data.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from lxml import etree

from app.findings import TECHNICAL_REJECTION, XSD, Finding
from app.standard import catalogue, datatypes, elements, scan, xsdgen
from app.standard.catalogue import MessageType
from app.standard.elements import Spec
from app.standard.paths import local, resolve
from app.standard.paths import namespaces as _namespaces
from app.standard.scan import Budget, Scan

log = logging.getLogger(__name__)

PROJECT_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _project_dir() -> Path:
    if (PROJECT_SCHEMAS / xsdgen.BASIS_FILE).is_file():
        return PROJECT_SCHEMAS
    # Installed without the source tree: write the generated schemas somewhere private.
    target = Path(tempfile.mkdtemp(prefix="iwmo-schemas-"))
    xsdgen.write(target)
    return target


@dataclass(frozen=True)
class SchemaSource:
    message: str
    path: Path
    official: bool


class Schemas:
    """The XSD for each of the 14 messages, compiled lazily, one copy per thread."""

    def __init__(self, official_dir: Path | None = None) -> None:
        project = _project_dir()
        self.sources: dict[str, SchemaSource] = {}
        official = _index(official_dir) if official_dir else {}
        if official_dir and not official:
            raise FileNotFoundError(f"IWMO_XSD_DIR {official_dir} holds no iWmo message XSDs")
        for mt in catalogue.ALL:
            found = official.get(mt.name.lower())
            if found:
                self.sources[mt.name] = SchemaSource(mt.name, found, True)
            else:
                if official_dir:
                    log.warning("IWMO_XSD_DIR has no XSD for %s; using the project schema", mt.name)
                self.sources[mt.name] = SchemaSource(mt.name, project / f"{mt.name}.xsd", False)
        self._local = threading.local()

    def compiled(self, mt: MessageType) -> etree.XMLSchema:
        cache_: dict[str, etree.XMLSchema] | None = getattr(self._local, "schemas", None)
        if cache_ is None:
            cache_ = self._local.schemas = {}
        schema = cache_.get(mt.name)
        if schema is None:
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            doc = etree.parse(str(self.sources[mt.name].path), parser)
            schema = cache_[mt.name] = etree.XMLSchema(doc)
        return schema

    def validate(self, root: etree._Element, mt: MessageType) -> list[Finding]:
        """Every schema finding of a tree (for messages the service trusts the size of)."""
        return self.check_tree(root, mt, limit=sys.maxsize).findings

    def check_tree(self, root: etree._Element, mt: MessageType, *, limit: int) -> Scan:
        """Validate a parsed tree; keep the first ``limit`` findings and count the rest.

        libxml2 names every error's element by a path it builds itself, at a cost that
        grows with the element's preceding siblings: keep trees small (``scan`` is for
        large messages). Only the findings kept are turned into our paths and reasons."""
        schema = self.compiled(mt)
        if schema.validate(root):
            return Scan([], 0, True, 0)
        findings: list[Finding] = []
        seen: set[str] = set()
        namespaces = _namespaces(root)
        for error in cast(Iterable[Any], schema.error_log):
            if error.path in seen:
                continue  # libxml2 often reports one bad value twice (facet and type)
            seen.add(error.path)
            if len(findings) >= limit:
                continue
            el, path = resolve(root, error.path, namespaces)
            findings.append(
                Finding(
                    XSD,
                    TECHNICAL_REJECTION,
                    path or "/",
                    explain(error.message, _names(el), mt),
                    error.line or None,
                )
            )
        return Scan(findings, len(seen), True, 0)

    def check_stream(
        self,
        data: bytes,
        mt: MessageType,
        *,
        limit: int,
        ceiling: int,
        budget: Budget,
        max_attributes: int,
        max_namespaces: int,
    ) -> Scan:
        """Validate bytes while reading them, without a tree (see ``scan``)."""
        return scan.validate(
            data,
            mt,
            self.compiled(mt),
            limit=limit,
            ceiling=ceiling,
            budget=budget,
            explain=explain,
            max_attributes=max_attributes,
            max_namespaces=max_namespaces,
        )


def _index(directory: Path) -> dict[str, Path]:
    found = {}
    for path in directory.glob("*.xsd"):
        stem = path.stem.lower()
        if stem.startswith("wmo") and stem.upper() in catalogue.BY_NAME:
            found[stem] = path
    return found


def not_a_message(root: etree._Element) -> Finding:
    return Finding(
        XSD,
        TECHNICAL_REJECTION,
        "/" + local(str(root.tag)),
        f"root element {etree.QName(root).text} is not an iWmo 3.2 message",
        cast(int | None, root.sourceline),
    )


# --- turning libxml2 messages into reasons -----------------------------------------------

_QNAME = re.compile(r"\{[^}]*\}")
_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)': ")
_ATOMIC = re.compile(
    r"^'(.*)' is not a valid value of the atomic type '(?:\{[^}]*\})?([^']+)'", re.S
)
_PATTERN = re.compile(r"^\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern", re.S)
_ENUM = re.compile(r"^\[facet 'enumeration'\] The value '(.*)' is not an element of the set", re.S)
_MAXLEN = re.compile(r"^\[facet 'maxLength'\] The value has a length of '(\d+)'.*length of '(\d+)'")
_MINLEN = re.compile(r"^\[facet 'minLength'\] The value has a length of '(\d+)'.*length of '(\d+)'")
_MAXINC = re.compile(r"^\[facet 'maxInclusive'\] The value '(.*)' is greater than .*\('(.*)'\)")
_MININC = re.compile(r"^\[facet 'minInclusive'\] The value '(.*)' is less than .*\('(.*)'\)")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( (.*) \)")

_HEADER_FIXED = frozenset({"BerichtCode", "BerichtVersie", "BerichtSubversie"})
_KINDS = {
    "date": "date (YYYY-MM-DD, without time zone)",
    "time": "time (hh:mm:ss)",
    "integer": "whole number",
    "string": "value",
}


def explain(raw: str, names: tuple[str, str] | None, mt: MessageType) -> str:
    """A reason a person understands, from a libxml2 validation message about the element
    ``names`` (its parent's local name and its own), when known."""
    m = _ELEMENT.match(raw)
    name = m.group(1) if m else (names[1] if names is not None else "")
    body = raw[m.end() :] if m else raw
    spec = _spec_for(names, mt)
    personal = spec is not None and spec.personal
    simple = spec.simple if spec is not None else None

    def shown(value: str) -> str:
        if personal:
            return f"the value ({len(value)} character{'s' if len(value) != 1 else ''})"
        return f"'{value}'" if len(value) <= 40 else f"'{value[:37]}...'"

    if a := _ATOMIC.match(body):
        t = datatypes.TYPES.get(a.group(2))
        kind = _KINDS.get(t.base, "value") if t else "value"
        return f"{name}: {shown(a.group(1))} is not a valid {kind}"
    if p := _PATTERN.match(body):
        fixed = dict(spec.facets).get("pattern") if spec is not None else None
        if fixed and name in _HEADER_FIXED:
            return (
                f"{name}: {shown(p.group(1))} must be {fixed.format(berichtcode=mt.code)} "
                f"in {mt.name}"
            )
        what = simple.description if simple is not None and simple.description else "the form"
        if p.group(1).strip() == "":
            return f"{name}: must not be empty or only spaces"
        return f"{name}: {shown(p.group(1))} does not have the required form ({what})"
    if e := _ENUM.match(body):
        if simple is not None and simple.codelist is not None:
            codes = simple.enumeration
            listed = f"; allowed: {', '.join(codes)}" if len(codes) <= 25 else ""
            return (
                f"{name}: {shown(e.group(1))} is not a code of {simple.codelist.id} "
                f"{simple.codelist.name}{listed}"
            )
        return f"{name}: {shown(e.group(1))} is not an allowed code"
    if x := _MAXLEN.match(body):
        return f"{name}: {x.group(1)} characters is too long (at most {x.group(2)})"
    if x := _MINLEN.match(body):
        if x.group(1) == "0":
            return f"{name}: must not be empty"
        return f"{name}: {x.group(1)} characters is too short (at least {x.group(2)})"
    if x := _MAXINC.match(body):
        return f"{name}: {shown(x.group(1))} is more than the maximum {x.group(2)}"
    if x := _MININC.match(body):
        return f"{name}: {shown(x.group(1))} is less than the minimum {x.group(2)}"
    expected = _EXPECTED.search(body)
    wanted = (
        ", ".join(_QNAME.sub("", part).strip() for part in expected.group(1).split(","))
        if expected
        else ""
    )
    if body.startswith("Missing child element"):
        return (
            f"{name}: required element {wanted} is missing"
            if wanted
            else f"{name}: a required element is missing"
        )
    if "This element is not expected" in body:
        if wanted:
            return f"{name}: not expected here; expected {wanted} (missing, or out of order)"
        return f"{name}: element not allowed here; nothing more may follow"
    if "Character content other than whitespace" in body:
        return f"{name}: text is not allowed here, only elements"
    if "content type is a simple type" in body or "Element content is not allowed" in body:
        return f"{name}: must hold a value, not elements"
    if "No matching global declaration" in body:
        return f"{name}: root element is not the Bericht of this message"
    return f"{name}: {_QNAME.sub('', body).strip()}" if name else _QNAME.sub("", raw).strip()


def _names(el: etree._Element | None) -> tuple[str, str] | None:
    """(parent's local name, local name) of an element, for explaining its errors."""
    if el is None or not isinstance(el.tag, str):
        return None
    parent = el.getparent()
    if parent is None:
        return None
    return local(str(parent.tag)), local(el.tag)


def _spec_for(names: tuple[str, str] | None, mt: MessageType) -> Spec | None:
    """The spec of a value element (or value list item), for explaining its errors."""
    if names is None:
        return None
    spec = element_specs(mt.name).get(names)
    if spec is None or spec.simple is None or (spec.kind == "list" and spec.item != names[1]):
        return None
    return spec


@cache
def element_specs(message: str) -> dict[tuple[str, str], Spec]:
    """(parent element name, element name) -> spec, for every element of one message.

    A list's container and its items both map to the list's spec. One (parent, element)
    pair may occur in several places of a message, required in one and optional in another;
    its value must be written the same way in each. The first place found (the header
    comes first) gives the spec.
    """
    found: dict[tuple[str, str], Spec] = {}

    def add(key: tuple[str, str], spec: Spec) -> None:
        # RetourCodes occur in the header and in every message class; they differ only in
        # whether they are optional, which explaining a value does not need.
        if _shape(found.setdefault(key, spec)) != _shape(spec):
            raise ValueError(f"{message}: {key} has two different specs")

    def walk(cls: type, element_name: str) -> None:
        for spec in elements.specs(cls):
            add((element_name, spec.name), spec)
            if spec.kind == "list" and spec.item:
                add((spec.name, spec.item), spec)
                if spec.cls is not None:
                    walk(spec.cls, spec.item)
            elif spec.cls is not None:
                walk(spec.cls, spec.name)

    walk(catalogue.get(message).root, "Bericht")
    return found


def _shape(spec: Spec) -> tuple[object, ...]:
    return (spec.kind, spec.simple, spec.item, spec.cls, spec.personal, spec.facets)
