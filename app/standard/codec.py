"""Between XML trees and typed message objects.

``decode`` expects a tree that passed the schema (it does not re-check cardinalities or
facets) and turns it into the message's dataclasses, remembering each object's element path
for findings. ``encode`` writes objects back with the standard's namespace prefixes;
``decode(encode(m)) == m`` and encode(decode(tree)) is XML-equivalent to the tree.
"""

from __future__ import annotations

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


def _decode(el: etree._Element, cls: type, ns: str, path: str) -> Any:
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
            kwargs[attr] = _decode_items(child, spec, ns, f"{path}/{name}")
        else:
            assert spec.cls is not None
            kwargs[attr] = _decode(child, spec.cls, ns, f"{path}/{name}")
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


def _decode_items(container: etree._Element, spec: Spec, ns: str, path: str) -> list[Any]:
    result: list[Any] = []
    index = 0
    for item in container:
        if not isinstance(item.tag, str):
            continue
        index += 1
        if spec.simple is not None:
            result.append(_text(item))
        else:
            assert spec.cls is not None
            result.append(_decode(item, spec.cls, ns, f"{path}/{spec.item}[{index}]"))
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
    return etree.tostring(
        encode(message), xml_declaration=True, encoding="UTF-8", pretty_print=pretty
    )


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
