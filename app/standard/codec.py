"""Between XML trees and typed message objects.

``decode`` expects a tree that passed the schema (it does not re-check cardinalities or
facets) and turns it into the message's dataclasses, remembering each object's element path
for findings. ``encode`` writes objects back with the standard's namespace prefixes;
``decode(encode(m)) == m`` and encode(decode(tree)) is XML-equivalent to the tree.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, time
from functools import cache
from typing import Any

from lxml import etree

from app.standard import catalogue, elements
from app.standard.catalogue import BASIS_NAMESPACE, BASIS_PREFIX, MessageType
from app.standard.elements import Spec

_PATH = "_xpath"


class CodecError(ValueError):
    """A schema-valid tree holds something the typed model cannot represent."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


# --- values -------------------------------------------------------------------------------

_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?")


def _to_str(text: str) -> str:
    return text


def _to_int(text: str) -> int:
    return int(text.strip())


def _to_date(text: str) -> date:
    text = text.strip()
    if len(text) != 10 or text[4] != "-":  # years beyond 9999 or before year 1
        raise ValueError(f"date {text!r} is outside the years 0001-9999")
    return date.fromisoformat(text)


def _to_time(text: str) -> time:
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise ValueError(f"time {text!r} is not hh:mm:ss")
    hour, minute, second = int(m[1]), int(m[2]), int(m[3])
    micro = int((m[4] or "0")[:6].ljust(6, "0"))
    if hour == 24:  # XSD 1.0 allows 24:00:00, the same instant as 00:00:00
        hour = 0
    return time(hour, minute, second, micro)


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "string": _to_str,
    "integer": _to_int,
    "date": _to_date,
    "time": _to_time,
}


def format_value(value: object) -> str:
    if isinstance(value, time):
        text = f"{value.hour:02}:{value.minute:02}:{value.second:02}"
        if value.microsecond:
            text += f".{value.microsecond:06}".rstrip("0")
        return text
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text(el: etree._Element) -> str:
    if len(el) == 0:
        return el.text or ""
    # Comments or processing instructions inside a value: keep only the text around them.
    return (el.text or "") + "".join(c.tail or "" for c in el)


# --- decoding -----------------------------------------------------------------------------

# What to do with one child element: attribute name, spec, converter for values (None for a
# class or a list), and the element's local name.
_Step = tuple[str, Spec, Callable[[str], Any] | None, str]


@cache
def _plan(cls: type, message_ns: str) -> dict[str, _Step]:
    ns = BASIS_NAMESPACE if elements.namespace_of(cls) == "basis" else message_ns
    plan: dict[str, _Step] = {}
    for spec in elements.specs(cls):
        conv = _CONVERTERS[spec.simple.base] if spec.simple is not None else None
        if spec.kind == "list":
            conv = None  # items are read by _decode_items
        plan[f"{{{ns}}}{spec.name}"] = (spec.name, spec, conv, spec.name)
    return plan


def decode(root: etree._Element, message_type: MessageType | None = None) -> Any:
    """Typed message object for a schema-valid tree."""
    if message_type is None:
        qname = etree.QName(root)
        found = catalogue.BY_NAMESPACE.get(qname.namespace or "")
        if found is None or qname.localname != "Bericht":
            raise CodecError(f"root element {qname.text} is not an iWmo 3.2 message", "/")
        message_type = found
    return _decode(root, message_type.root, message_type.namespace, "/Bericht")


def decode_header(root: etree._Element, message_type: MessageType) -> Any:
    """The typed header of a schema-valid tree, read on its own: for a message whose body
    holds a value the model cannot represent."""
    header_cls = elements.specs(message_type.root)[0].cls
    assert header_cls is not None
    for child in root:
        if isinstance(child.tag, str):
            return _decode(child, header_cls, message_type.namespace, "/Bericht/Header")
    raise CodecError("the message has no Header", "/Bericht")


class Unread(ValueError):
    """Reading with a schema stopped: the bytes are not well-formed, or the parser found
    them not to satisfy the schema. Which and where is for a careful pass to say."""


def decode_while_reading(
    data: bytes,
    message_type: MessageType,
    *,
    schema: etree.XMLSchema | None = None,
    halt: Callable[[], bool] | None = None,
) -> Any:
    """Typed message object for the bytes of a schema-valid message, decoded while read.

    Every item of a repeated element (a Client, a Prestatie, ...) is decoded as soon as it
    has been read and taken out of the tree: the whole tree is never in memory at once,
    which for a large message takes several times its size. The result equals
    ``decode(tree)``.

    With ``schema`` the parser validates as it reads, so that a valid message is read once;
    ``halt`` is asked after every item (the caller's watch on schema errors) and ``Unread``
    raised when it says so, when the parser ends on an error, or when the bytes are not
    well-formed."""
    items, tags, containers = _items(message_type)
    ns = message_type.namespace
    collected: dict[etree._Element, list[Any]] = {}  # container -> its items so far
    paths: dict[etree._Element, str] = {}
    repeatable = _repeatable_names(message_type)

    def path(el: etree._Element) -> str:
        found = paths.get(el)
        if found is not None:
            return found
        parent = el.getparent()
        name = str(el.tag).rpartition("}")[2]
        if parent is None:
            found = f"/{name}"
        else:
            above = path(parent)
            if (str(parent.tag).rpartition("}")[2], name) in repeatable:
                found = f"{above}/{name}[{len(collected.get(parent, ())) + 1}]"
            else:
                found = f"{above}/{name}"
        paths[el] = found
        return found

    events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=tags,
        schema=schema,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=True,
        collect_ids=False,
    )
    try:
        for _, el in events:
            container = el.getparent()
            if container is None:
                continue
            cls = items.get((str(container.tag), str(el.tag)))
            if cls is None:  # an element of the same name that is not a list's item
                continue
            got = collected.get(container)
            if got is None:
                got = collected[container] = []
            name = str(el.tag).rpartition("}")[2]
            got.append(_decode(el, cls, ns, f"{path(container)}/{name}[{len(got) + 1}]", collected))
            # The item is decoded: what it was read from goes, with the paths and lists
            # kept for the lists inside it.
            for inner in el.iter(*containers):
                paths.pop(inner, None)
                collected.pop(inner, None)
            container.remove(el)
            if halt is not None and halt():
                raise Unread("reading stopped on a schema error")
        root = events.root
    except etree.XMLSyntaxError as exc:
        if schema is None:
            raise
        raise Unread(str(exc)) from None
    if halt is not None and halt():
        raise Unread("the message does not satisfy its schema")
    if root is None or not collected:
        return decode(etree.fromstring(data, _compact_parser()), message_type)
    return _decode(root, message_type.root, ns, "/Bericht", collected)


@cache
def _items(
    mt: MessageType,
) -> tuple[dict[tuple[str, str], type], tuple[str, ...], tuple[str, ...]]:
    """The items of repeated elements with content, by the Clark names of their container
    and themselves, with their class; the items' names; the containers' names."""
    found: dict[tuple[str, str], type] = {}
    holders: set[str] = set()
    seen: set[type] = set()

    def walk(cls: type) -> None:
        if cls in seen:
            return
        seen.add(cls)
        # An element is in its parent class's namespace (the basisschema's or the message's).
        ns = BASIS_NAMESPACE if elements.namespace_of(cls) == "basis" else mt.namespace
        for spec in elements.specs(cls):
            if spec.kind == "list" and spec.cls is not None and spec.item:
                found[(f"{{{ns}}}{spec.name}", f"{{{ns}}}{spec.item}")] = spec.cls
                holders.add(f"{{{ns}}}{spec.name}")
            if spec.cls is not None:
                walk(spec.cls)

    walk(mt.root)
    return found, tuple(sorted({item for _, item in found})), tuple(sorted(holders))


@cache
def _repeatable_names(mt: MessageType) -> frozenset[tuple[str, str]]:
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

    walk(mt.root)
    return frozenset(pairs)


def _compact_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def _decode(
    el: etree._Element,
    cls: type,
    ns: str,
    path: str,
    collected: dict[etree._Element, list[Any]] | None = None,
) -> Any:
    # On the hot path of every message: a child's path is only built where it is kept (a
    # nested object) or reported (an error).
    plan = _plan(cls, ns)
    kwargs: dict[str, Any] = {}
    for child in el:
        tag = child.tag
        step = plan.get(tag)
        if step is None:
            if not isinstance(tag, str):
                continue  # comment or processing instruction
            name = tag.rpartition("}")[2]
            raise CodecError(f"unexpected element {name}", f"{path}/{name}")
        attr, spec, conv, name = step
        if conv is not None:
            text = (child.text or "") if len(child) == 0 else _text(child)
            try:
                kwargs[attr] = conv(text)
            except ValueError as exc:
                raise CodecError(_unrepresentable(spec, str(exc)), f"{path}/{name}") from None
        elif spec.kind == "list":
            kwargs[attr] = _decode_items(child, spec, ns, f"{path}/{name}", collected)
        else:
            assert spec.cls is not None
            kwargs[attr] = _decode(child, spec.cls, ns, f"{path}/{name}", collected)
    try:
        obj = cls(**kwargs)
    except TypeError as exc:
        raise CodecError(f"{cls.__name__}: {exc}", path) from None
    obj.__dict__[_PATH] = path
    return obj


def _unrepresentable(spec: Spec, reason: str) -> str:
    # A personal value (a birth date) is described by its form, never repeated.
    if not spec.personal:
        return reason
    kind = spec.simple.base if spec.simple is not None else "value"
    years = " (a year outside 0001-9999)" if kind == "date" else ""
    return f"{spec.name}: a {kind} the service cannot represent{years}"


def _decode_items(
    container: etree._Element,
    spec: Spec,
    ns: str,
    path: str,
    collected: dict[etree._Element, list[Any]] | None = None,
) -> list[Any]:
    # Items decoded while reading come first (they left the tree); any still in it follow.
    result: list[Any] = []
    if collected is not None:
        result = collected.pop(container, result)
    index = len(result)
    for item in container:
        if not isinstance(item.tag, str):
            continue
        index += 1
        if spec.simple is not None:
            result.append(_text(item))
        else:
            assert spec.cls is not None
            result.append(_decode(item, spec.cls, ns, f"{path}/{spec.item}[{index}]", collected))
    return result


def path_of(obj: object) -> str:
    """The element path an object was decoded from (or placed at by ``locate``)."""
    return str(obj.__dict__.get(_PATH, ""))


# --- encoding -----------------------------------------------------------------------------


def encode(message: Any) -> etree._Element:
    """XML tree for a typed message, with the standard's prefixes (iwmo, wmo301, ...)."""
    mt = catalogue.of(message)
    root = etree.Element(
        f"{{{mt.namespace}}}Bericht", nsmap={BASIS_PREFIX: BASIS_NAMESPACE, mt.prefix: mt.namespace}
    )
    _encode(root, message, mt, "/Bericht")
    return root


def to_bytes(message: Any, *, pretty: bool = True) -> bytes:
    """The message as UTF-8 XML with a declaration, indented two spaces per level (as lxml
    pretty-prints), or without whitespace between elements.

    Written element by element (``etree.xmlfile``), never as a tree: a WMO325 that lists
    50,000 refused lines would take several times its size as a tree first."""
    if not pretty:
        return etree.tostring(encode(message), xml_declaration=True, encoding="UTF-8")
    mt = catalogue.of(message)
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        nsmap = {BASIS_PREFIX: BASIS_NAMESPACE, mt.prefix: mt.namespace}
        with xf.element(f"{{{mt.namespace}}}Bericht", nsmap=nsmap):
            _write(xf, message, mt, 1)
            xf.write("\n")
    out.write(b"\n")
    return out.getvalue()


def _write(xf: Any, obj: Any, mt: MessageType, depth: int) -> None:
    """Write ``obj``'s elements into the open element of ``xf``, indented at ``depth``.
    (Unlike ``encode`` it leaves the objects' paths alone: writing changes nothing.)"""
    cls = type(obj)
    ns = BASIS_NAMESPACE if elements.namespace_of(cls) == "basis" else mt.namespace
    pad = "\n" + "  " * depth
    for spec in elements.specs(cls):
        if spec.retour_only and not mt.is_retour:
            continue
        value = getattr(obj, spec.name)
        if value is None or (spec.kind == "list" and not value):
            continue
        xf.write(pad)
        with xf.element(f"{{{ns}}}{spec.name}"):
            if spec.kind == "list":
                for item in value:
                    xf.write(pad + "  ")
                    with xf.element(f"{{{ns}}}{spec.item}"):
                        if spec.simple is not None:
                            xf.write(format_value(item))
                        else:
                            _write(xf, item, mt, depth + 2)
                            xf.write(pad + "  ")
                xf.write(pad)
            elif spec.kind == "value":
                xf.write(format_value(value))
            else:
                _write(xf, value, mt, depth + 1)
                xf.write(pad)


def locate(message: Any) -> Any:
    """Give a built (not decoded) message's objects their element paths; returns it."""
    _encode(None, message, catalogue.of(message), "/Bericht")
    return message


def _encode(parent: etree._Element | None, obj: Any, mt: MessageType, path: str) -> None:
    obj.__dict__[_PATH] = path
    cls = type(obj)
    ns = BASIS_NAMESPACE if elements.namespace_of(cls) == "basis" else mt.namespace
    for spec in elements.specs(cls):
        if spec.retour_only and not mt.is_retour:
            continue
        value = getattr(obj, spec.name)
        if value is None or (spec.kind == "list" and not value):
            continue
        tag = f"{{{ns}}}{spec.name}"
        child_path = f"{path}/{spec.name}"
        el = etree.SubElement(parent, tag) if parent is not None else None
        if spec.kind == "list":
            for index, item in enumerate(value, 1):
                item_el = etree.SubElement(el, f"{{{ns}}}{spec.item}") if el is not None else None
                if spec.simple is not None:
                    if item_el is not None:
                        item_el.text = format_value(item)
                else:
                    _encode(item_el, item, mt, f"{child_path}/{spec.item}[{index}]")
        elif spec.kind == "value":
            if el is not None:
                el.text = format_value(value)
        else:
            _encode(el, value, mt, child_path)
