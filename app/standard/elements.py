"""Declaring iWmo message classes as typed dataclasses.

A message class is a dataclass whose attributes are named after the standard's elements,
in the standard's order. Field metadata says how an attribute maps to XML: a simple value
of a logical datatype, a nested class, or a list of items wrapped in a container element
(``ToegewezenProducten/ToegewezenProduct``). The codec and the XSD generator both read this
metadata, so structure is declared once.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from app.standard import datatypes
from app.standard.datatypes import SimpleType

Kind = Literal["value", "child", "list"]
Namespace = Literal["basis", "message"]

T = TypeVar("T")

_META = "iwmo"
_REQUIRED: Any = dataclasses.MISSING  # marks a required value or child


@dataclass(frozen=True)
class Spec:
    """How one attribute of a message class appears in XML."""

    name: str  # element name, equal to the attribute name
    kind: Kind
    optional: bool
    simple: SimpleType | None = None  # for values, and for list items that are values
    item: str | None = None  # item element name inside a list container
    retour_only: bool = False  # only present in retour messages (RetourCodes per class)
    facets: tuple[tuple[str, str], ...] = ()  # per-message facets, e.g. BerichtCode pattern
    cls: type | None = None  # nested class for children and lists of classes
    personal: bool = False  # personal data: never shown in reprs or logs


def value(ldt: str, *, default: None = _REQUIRED, personal: bool = False, **facets: str) -> Any:
    """A simple element of the given logical datatype; ``default=None`` makes it optional."""
    spec = Spec(
        "",
        "value",
        default is None,
        simple=datatypes.get(ldt),
        facets=tuple(sorted(facets.items())),
        personal=personal,
    )
    return _field(spec)


def child(*, default: None = _REQUIRED, personal: bool = False) -> Any:
    """A nested element whose type is the attribute's annotated class."""
    return _field(Spec("", "child", default is None, personal=personal))


def items(
    item: str,
    *,
    default_factory: Callable[[], list[Any]],
    optional: bool = False,
    ldt: str | None = None,
    personal: bool = False,
    retour_only: bool = False,
) -> Any:
    """A container element holding one or more ``item`` elements.

    The attribute is a list: empty when an optional container is absent.
    """
    simple = datatypes.get(ldt) if ldt else None
    spec = Spec(
        "", "list", optional, simple=simple, item=item, personal=personal, retour_only=retour_only
    )
    return field(default_factory=default_factory, metadata={_META: spec}, repr=not personal)


def retourcodes(*, default_factory: Callable[[], list[Any]]) -> Any:
    """RetourCodes of a message class: present in retour messages only."""
    return items(
        "RetourCode",
        default_factory=default_factory,
        ldt="LDT_RetourCode",
        optional=True,
        retour_only=True,
    )


def _field(spec: Spec) -> Any:
    default: Any = None if spec.optional else dataclasses.MISSING
    return field(default=default, metadata={_META: spec}, repr=not spec.personal)


@typing.dataclass_transform(
    kw_only_default=True, field_specifiers=(value, child, items, retourcodes)
)
def message_class(
    xsd_name: str | None = None, *, namespace: Namespace = "message"
) -> Callable[[type[T]], type[T]]:
    """Make a message class: a keyword-only dataclass that knows its XSD type name."""

    def wrap(cls: type[T]) -> type[T]:
        klass = dataclass(kw_only=True)(cls)
        klass.__iwmo_xsd_name__ = xsd_name or cls.__name__  # type: ignore[attr-defined]
        klass.__iwmo_namespace__ = namespace  # type: ignore[attr-defined]
        return klass

    return wrap


@typing.dataclass_transform(
    kw_only_default=True, field_specifiers=(value, child, items, retourcodes)
)
def basis_class(xsd_name: str) -> Callable[[type[T]], type[T]]:
    """A composite datatype (CDT_*) of the basisschema."""
    return message_class(xsd_name, namespace="basis")


def xsd_name(cls: type) -> str:
    return typing.cast(str, cls.__iwmo_xsd_name__)  # type: ignore[attr-defined]


def namespace_of(cls: type) -> Namespace:
    return typing.cast(Namespace, cls.__iwmo_namespace__)  # type: ignore[attr-defined]


_SPECS: dict[type, tuple[Spec, ...]] = {}


def specs(cls: type) -> tuple[Spec, ...]:
    """The element specs of a message class, in document order, with types resolved."""
    found = _SPECS.get(cls)
    if found is None:
        found = _SPECS[cls] = _resolve(cls)
    return found


def _resolve(cls: type) -> tuple[Spec, ...]:
    hints = typing.get_type_hints(cls)
    result = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(_META)
        if spec is None:
            continue
        nested = _nested_class(hints[f.name]) if spec.simple is None else None
        result.append(dataclasses.replace(spec, name=f.name, cls=nested))
    return tuple(result)


def _nested_class(hint: Any) -> type:
    """The message class inside ``X``, ``X | None``, ``list[X]`` or ``list[X] | None``."""
    for arg in (hint, *typing.get_args(hint)):
        if isinstance(arg, type) and hasattr(arg, "__iwmo_xsd_name__"):
            return arg
        if typing.get_origin(arg) is list:
            return _nested_class(typing.get_args(arg)[0])
    raise TypeError(f"no message class in annotation {hint!r}")
