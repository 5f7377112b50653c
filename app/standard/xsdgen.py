"""Writing the project's XSDs from the typed model.

``schemas/`` is generated from ``datatypes``, ``codelists`` and ``messages`` by
``iwmo schemas write``; a test keeps the committed files equal to what this module
produces, so the model and the schemas cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from app.standard import catalogue, datatypes, elements
from app.standard.catalogue import BASIS_NAMESPACE, BASIS_PREFIX, MessageType
from app.standard.datatypes import SimpleType
from app.standard.elements import Spec

XS = "http://www.w3.org/2001/XMLSchema"
BASIS_FILE = "basisschema.xsd"


def _xs(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XS}}}{tag}", {k: v for k, v in attrs.items()})


def _schema(target: str, prefix: str, nsmap_extra: dict[str, str] | None = None) -> etree._Element:
    nsmap = {"xs": XS, prefix: target, **(nsmap_extra or {})}
    return etree.Element(
        f"{{{XS}}}schema",
        {"targetNamespace": target, "elementFormDefault": "qualified"},
        nsmap=nsmap,
    )


def _versions(schema: etree._Element, bericht: str, with_bericht: bool) -> None:
    info = _xs(_xs(schema, "annotation"), "appinfo")
    pairs = [
        ("standaard", catalogue.STANDARD),
        ("bericht", bericht),
        ("release", catalogue.RELEASE),
    ]
    if with_bericht:
        pairs.append(("BerichtXsdVersie", catalogue.XSD_VERSIE))
    pairs.append(("BasisschemaXsdVersie", catalogue.XSD_VERSIE))
    for name, text in pairs:
        etree.SubElement(info, f"{{{BASIS_NAMESPACE}}}{name}").text = text


def _doc(parent: etree._Element, text: str) -> None:
    if text:
        _xs(_xs(parent, "annotation"), "documentation").text = text


def _restriction(parent: etree._Element, base: str, t: SimpleType, facets: dict[str, str]) -> None:
    r = _xs(parent, "restriction", base=base)
    for code in t.enumeration if base.startswith("xs:") else ():
        _xs(r, "enumeration", value=code)
    ordered = (
        [
            ("minLength", t.min_length),
            ("maxLength", t.max_length),
            ("pattern", t.pattern),
            ("minInclusive", t.min_inclusive),
            ("maxInclusive", t.max_inclusive),
        ]
        if base.startswith("xs:")
        else []
    )
    ordered += list(facets.items())
    for name, value in ordered:
        if value is not None:
            _xs(r, name, value=str(value))


def basis_schema() -> etree._Element:
    schema = _schema(BASIS_NAMESPACE, BASIS_PREFIX)
    _versions(schema, "basisschema", with_bericht=False)
    for cls in sorted(_basis_classes(), key=elements.xsd_name):
        ct = _xs(schema, "complexType", name=elements.xsd_name(cls))
        seq = _xs(ct, "sequence")
        for spec in elements.specs(cls):
            _element(seq, spec, None)
    for t in sorted(datatypes.TYPES.values(), key=lambda t: t.name):
        st = _xs(schema, "simpleType", name=t.name)
        _doc(st, t.description)
        _restriction(st, f"xs:{t.base}", t, {})
    return schema


def message_schema(mt: MessageType) -> etree._Element:
    schema = _schema(mt.namespace, mt.prefix, {BASIS_PREFIX: BASIS_NAMESPACE})
    _versions(schema, mt.prefix, with_bericht=True)
    _xs(schema, "import", namespace=BASIS_NAMESPACE, schemaLocation=BASIS_FILE)
    root = _xs(schema, "element", name="Bericht", type=f"{mt.prefix}:{elements.xsd_name(mt.root)}")
    _doc(root, f"{mt.name} ({mt.code}): {mt.summary}")
    written: dict[str, object] = {}  # type name -> class or container spec it stands for
    pending: list[type] = [mt.root]
    while pending:
        cls = pending.pop(0)
        if _claim(written, elements.xsd_name(cls), cls, mt):
            continue
        seq = _xs(_xs(schema, "complexType", name=elements.xsd_name(cls)), "sequence")
        for spec in elements.specs(cls):
            if spec.retour_only and not mt.is_retour:
                continue
            _element(seq, spec, mt)
            if spec.kind == "list" and not _claim(written, spec.name, spec.item, mt):
                _container(schema, spec, mt)
            if spec.cls is not None and elements.namespace_of(spec.cls) == "message":
                pending.append(spec.cls)
    return schema


def _element(seq: etree._Element, spec: Spec, mt: MessageType | None) -> None:
    optional = spec.optional and not (spec.retour_only and mt is not None and mt.is_retour)
    occurs = {"minOccurs": "0"} if optional else {}
    facets = {k: v.format(berichtcode=mt.code) if mt else v for k, v in spec.facets}
    if spec.simple is not None and facets and spec.kind == "value":
        el = _xs(seq, "element", name=spec.name, **occurs)
        base = f"{BASIS_PREFIX}:{spec.simple.name}"
        _restriction(_xs(el, "simpleType"), base, spec.simple, facets)
        return
    if spec.kind == "list":
        assert mt is not None, "containers only occur in message schemas"
        type_name = f"{mt.prefix}:{spec.name}"
    elif spec.simple is not None:
        type_name = f"{BASIS_PREFIX}:{spec.simple.name}"
    else:
        assert spec.cls is not None
        basis = elements.namespace_of(spec.cls) == "basis"
        prefix = BASIS_PREFIX if basis or mt is None else mt.prefix
        type_name = f"{prefix}:{elements.xsd_name(spec.cls)}"
    _xs(seq, "element", name=spec.name, type=type_name, **occurs)


def _claim(written: dict[str, object], name: str, owner: object, mt: MessageType) -> bool:
    """Reserve a type name; True when it was already written for the same owner."""
    if name not in written:
        written[name] = owner
        return False
    if written[name] != owner:
        raise ValueError(f"{mt.name}: type name {name} would stand for two different types")
    return True


def _container(schema: etree._Element, spec: Spec, mt: MessageType) -> None:
    seq = _xs(_xs(schema, "complexType", name=spec.name), "sequence")
    if spec.simple is not None:
        item_type = f"{BASIS_PREFIX}:{spec.simple.name}"
    else:
        assert spec.cls is not None
        item_type = f"{mt.prefix}:{elements.xsd_name(spec.cls)}"
    _xs(seq, "element", name=spec.item or "", type=item_type, maxOccurs="unbounded")


def _basis_classes() -> set[type]:
    found: set[type] = set()

    def walk(cls: type) -> None:
        for spec in elements.specs(cls):
            if spec.cls is not None and spec.cls not in found:
                if elements.namespace_of(spec.cls) == "basis":
                    found.add(spec.cls)
                walk(spec.cls)

    for mt in catalogue.ALL:
        walk(mt.root)
    return found


def render(schema: etree._Element) -> bytes:
    etree.indent(schema, space="  ")
    return etree.tostring(schema, xml_declaration=True, encoding="UTF-8") + b"\n"


def generate() -> dict[str, bytes]:
    """File name to content for every schema the project ships."""
    files = {BASIS_FILE: render(basis_schema())}
    for mt in catalogue.ALL:
        files[f"{mt.name}.xsd"] = render(message_schema(mt))
    return files


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in generate().items():
        path = directory / name
        path.write_bytes(content)
        paths.append(path)
    return paths
