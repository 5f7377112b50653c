"""Reading untrusted bytes into an XML tree, safely.

No DTDs, no entity expansion, no network; DOCTYPE is refused outright; a size limit
applies before parsing starts; only UTF-8 is read (also UTF-16 and UTF-32 without a byte
order mark are refused). libxml2's own limits stay on (no ``huge_tree``): at most 256
levels of nesting, no text, attribute value, comment or name beyond its maximum size; on
top of that no element may carry more than ``MAX_ATTRIBUTES`` attributes or have more than
``MAX_NAMESPACES`` namespace declarations in scope. Every refusal is a ``MessageError``
that names the problem and, where known, the line.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from typing import Any, Literal, cast

from lxml import etree

from app.config import DEFAULT_MAX_MESSAGE_BYTES
from app.standard import catalogue
from app.standard.catalogue import MessageType

Problem = Literal["empty", "too_large", "encoding", "doctype", "not_well_formed", "unknown_root"]

_UTF16_32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
# Without a byte order mark, libxml2 recognises UTF-16 and UTF-32 by the NUL bytes around
# the first '<' (XML 1.0, appendix F) and would read them.
_WIDE = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")

# iWmo elements carry no attributes and a message declares two or three namespaces; these
# bounds keep a flood of either from costing the schema findings time (one finding each).
MAX_ATTRIBUTES = 100  # on one element
MAX_NAMESPACES = 100  # declared on one element and its ancestors together
_DECLARED_ENCODING = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']"
)


class MessageError(ValueError):
    """The input cannot be read as an iWmo message at all."""

    def __init__(self, problem: Problem, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Parsed:
    root: etree._Element
    message_type: MessageType | None  # None when the root is not an iWmo 3.2 message


_local = threading.local()

_SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "collect_ids": False,
}


def _parser(*, compact: bool = False) -> etree.XMLParser:
    # lxml parsers keep per-parse state; one per thread keeps concurrent requests apart.
    name = "compact" if compact else "parser"
    parser: etree.XMLParser | None = getattr(_local, name, None)
    if parser is None:
        # A compact tree leaves out the whitespace between elements: in a large message
        # those text nodes take more memory than the elements themselves.
        parser = etree.XMLParser(**_SAFE, remove_pis=False, remove_blank_text=compact)
        setattr(_local, name, parser)
    return parser


def precheck(data: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
    """What can be refused from the bytes alone: size, emptiness, encoding, DOCTYPE."""
    if len(data) > max_bytes:
        raise MessageError(
            "too_large", f"message is {len(data):,} bytes; the limit is {max_bytes:,} bytes"
        )
    if not data.strip():
        raise MessageError("empty", "message is empty")
    _check_encoding(data)
    if _has_doctype(data):
        raise MessageError(
            "doctype",
            "DOCTYPE declarations are not allowed in iWmo messages",
            line=data.count(b"\n", 0, data.find(b"<!DOCTYPE")) + 1,
        )


def parse(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, compact: bool = False
) -> Parsed:
    """Parse bytes into an element tree and detect the iWmo message type. ``compact``
    leaves out whitespace between elements (for large messages already validated)."""
    precheck(data, max_bytes=max_bytes)
    try:
        root = etree.fromstring(data, _parser(compact=compact))
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, data) from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise MessageError(
            "doctype", "DOCTYPE declarations are not allowed in iWmo messages", line=1
        )
    _check_breadth(root, data)
    return Parsed(root, detect(root))


_SNIFF_CHUNK = 8 * 1024
_SNIFF_LIMIT = 256 * 1024


def sniff(data: bytes) -> Parsed:
    """The root and the Header of a message, read from its start only: enough to know the
    message type and, for a message refused later, who it claims to be from. Past the root's
    start tag at most ``_SNIFF_LIMIT`` bytes are read (``precheck`` comes first)."""
    parser = etree.XMLPullParser(events=("start", "end"), **_SAFE)
    root: etree._Element | None = None
    depth = 0
    offset = 0
    try:
        while offset < len(data) and (root is None or offset < _SNIFF_LIMIT):
            parser.feed(data[offset : offset + _SNIFF_CHUNK])
            offset += _SNIFF_CHUNK
            for event, item in parser.read_events():
                element = cast(etree._Element, item)
                if event == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if detect(root) is None:
                            return Parsed(root, None)
                else:
                    depth -= 1
                    if depth <= 1:  # the root's first child (the Header) is complete
                        assert root is not None
                        return Parsed(root, detect(root))
        if root is None:
            parser.close()  # raises for what the input lacks
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, data) from None
    if root is None:
        raise MessageError("not_well_formed", "no element found", 1)
    return Parsed(root, detect(root))


def detect(root: etree._Element) -> MessageType | None:
    tag = etree.QName(root)
    if tag.localname != "Bericht":
        return None
    return catalogue.BY_NAMESPACE.get(tag.namespace or "")


_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def _has_doctype(data: bytes) -> bool:
    """Whether a DOCTYPE follows the prolog (declaration, comments, PIs, whitespace)."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while m := _PROLOG_ITEM.match(data, pos):
        pos = m.end()
    return data.startswith(b"<!DOCTYPE", pos)


def _check_encoding(data: bytes) -> None:
    if data.startswith(_UTF16_32_BOMS):
        raise MessageError(
            "encoding",
            "iWmo messages must be UTF-8; this one starts with a UTF-16 or UTF-32 byte order mark",
            line=1,
        )
    wide = _wide_encoding(data)
    if wide:
        raise MessageError(
            "encoding",
            f"iWmo messages must be UTF-8; this one looks like {wide} (NUL bytes around the "
            "first '<')",
            line=1,
        )
    declared = _DECLARED_ENCODING.match(data[:512])
    if declared:
        name = declared.group(1).decode("ascii", "replace")
        if name.strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise MessageError(
                "encoding",
                f"iWmo messages must be UTF-8; the XML declaration says {name!r}",
                line=1,
            )


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 (without byte order mark) when the message starts like XML in it."""
    if b"\x00" not in data[:4]:
        return None
    for name in _WIDE:
        if data[:64].decode(name, "replace").lstrip(" \t\r\n").startswith("<"):
            return name[:6].upper()
    return None


def may_be_crowded(data: bytes) -> bool:
    """Whether some element may carry too many attributes or namespace declarations: only
    a message with that many '=' or 'xmlns' in all can, and only it needs a close look."""
    return data.count(b"=") > MAX_ATTRIBUTES or data.count(b"xmlns") > MAX_NAMESPACES


def _check_breadth(root: etree._Element, data: bytes) -> None:
    """Refuse an element with too many attributes or namespace declarations. Cheap for
    ordinary messages: only a message with that many '=' or 'xmlns' is looked at closely."""
    if data.count(b"=") > MAX_ATTRIBUTES:
        crowded: Any = root.xpath(f"//*[count(@*) > {MAX_ATTRIBUTES}]")
        if crowded:
            el = crowded[0]
            raise MessageError(
                "not_well_formed",
                f"element {etree.QName(el).localname} has {len(el.attrib):,} attributes; "
                f"at most {MAX_ATTRIBUTES} are allowed on one element",
                el.sourceline,
            )
    if data.count(b"xmlns") > MAX_NAMESPACES:
        _check_namespaces(data)


def _check_namespaces(data: bytes) -> None:
    # lxml does not say which namespaces an element declares itself, and building every
    # element's nsmap costs as much as the flood; the parser's events do say it.
    in_scope = 0
    declared: list[int] = []
    pending = 0
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start-ns", "start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    for event, item in events:
        if event == "start-ns":
            pending += 1
        elif event == "start":
            declared.append(pending)
            in_scope += pending
            pending = 0
            if in_scope > MAX_NAMESPACES:
                raise MessageError(
                    "not_well_formed",
                    f"element {etree.QName(item).localname} has {in_scope:,} namespace "
                    f"declarations in scope; at most {MAX_NAMESPACES} are allowed",
                    item.sourceline,
                )
        else:
            in_scope -= declared.pop()


def syntax_error(exc: etree.XMLSyntaxError, data: bytes) -> MessageError:
    """The refusal for XML libxml2 could not read."""
    line = exc.lineno or None
    text = (exc.msg or str(exc)).strip()
    text = re.sub(r", line \d+, column \d+$", "", text).strip()
    if "not proper UTF-8" in text or "Invalid bytes in character encoding" in text:
        return MessageError("encoding", f"invalid UTF-8 at line {line}", line)
    if "Unsupported encoding" in text:
        return MessageError("encoding", f"iWmo messages must be UTF-8 ({text})", line)
    nul = data.find(b"\x00")
    if nul >= 0 and (line is None or data.count(b"\n", 0, nul) < line):
        line = data.count(b"\n", 0, nul) + 1
        return MessageError(
            "not_well_formed",
            f"not well-formed XML at line {line}: a NUL byte (0x00), which XML does not allow",
            line,
        )
    if "Excessive depth" in text:
        return MessageError(
            "not_well_formed",
            f"elements nested too deeply (line {line}); at most 256 levels are allowed",
            line,
        )
    if "XML_PARSE_HUGE" in text or "too big found" in text or "too long" in text.lower():
        return MessageError(
            "not_well_formed",
            f"not well-formed XML at line {line}: a text, attribute value, comment or name "
            f"is longer than the parser allows ({text.split(', try')[0]})",
            line,
        )
    if (
        "DOCTYPE" in text
        or "failed to load" in text
        or ("Entity" in text and "not defined" in text)
    ):
        return MessageError("doctype", f"DOCTYPE or entities are not allowed (line {line})", line)
    if _at_end(exc, data) and "mismatch" not in text:
        return MessageError(
            "not_well_formed",
            f"XML ends too early at line {line}: the message seems truncated ({text})",
            line,
        )
    return MessageError("not_well_formed", f"not well-formed XML at line {line}: {text}", line)


def _at_end(exc: etree.XMLSyntaxError, data: bytes) -> bool:
    """Whether libxml2 stopped at the very end of the input."""
    line, column = exc.position
    last = data.rstrip(b"\r\n\t ").split(b"\n")
    return line >= len(last) and column > len(last[-1].decode("utf-8", "replace"))
