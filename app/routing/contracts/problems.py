"""Problems with a definition, each with where it is: ``contracts[0].variant: missing``.

The models of ``schema`` find what is wrong with a definition's form (pydantic, the same
checks the API's bodies get); this module words each of pydantic's errors the way the
definition's author reads them, and keeps what is well-formed of an entry with problems,
so the checking pass (``plan``) can still look at the rest and one run shows every problem.

A path names sections and fields with dots and list entries by index in brackets; a table's
entries by their key: ``contracts[0].municipalities.0307.budget.2027``. A problem with a key
itself is reported at its table, and its wording names the key: ``...budget: 'next' is not
a year``.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from app.jsonfields import AGB_CODE, CATALOGUE_REF, CBS_CODE, KEY, NAME, PRODUCT_CODE

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Loc = tuple[int | str, ...]


class ConfigError(ValueError):
    """A definition that cannot be loaded. ``problems`` lists every one, with its location;
    ``conflicts`` those that are in the way of what is stored (a catalogue version loaded
    with other content, a contract change that takes away what delegations still use)."""

    def __init__(self, problems: Sequence[str], conflicts: Sequence[str] = ()) -> None:
        self.problems = list(problems)
        self.conflicts = list(conflicts)
        super().__init__("; ".join(self.problems))

    @property
    def only_conflicts(self) -> bool:
        return bool(self.problems) and len(self.conflicts) == len(self.problems)


@dataclass(frozen=True)
class Expected:
    """How a value of the wrong kind is worded, as ``expected <what>``, in a model's field
    annotation: ``Annotated[int, Expected("a whole number of euro cents", shows_input=True)]``
    gives ``expected a whole number of euro cents, got 12.5``. Pydantic ignores it."""

    what: str
    shows_input: bool = False


@dataclass(frozen=True)
class Form:
    """How a text that does not fit its pattern is worded, in a type's annotation, where
    the pattern's own wording does not do: ``Annotated[str, Field(pattern=YEAR),
    Form("{value!r} is not a year")]`` (a CBS code has the same pattern). A table's keys
    have one that names the key, since their problems are reported at the table."""

    wording: str


# Codes and keys of the wrong form, by the pattern the schema states (a Form beside the
# pattern comes first).
_PATTERNS: dict[str, str] = {
    KEY: "{value!r} is not a key: use lower-case letters, digits and -",
    PRODUCT_CODE: "{value!r} is not a ProductCode (1-5 letters or digits)",
    CATALOGUE_REF: "{value!r} is not key@version or key",
    CBS_CODE: "a municipality is identified by its 4-digit CBS code",
    AGB_CODE: "a provider is identified by its 8-digit AGB code",
}


class Problems:
    """Problems as they are found, each entry's together in the order of the definition:
    ``participants[..]`` before ``catalogues[..]`` before ``contracts[..]``, and within one
    entry what is wrong with its form before what does not fit what it refers to."""

    def __init__(self, sections: Sequence[str] = ()) -> None:
        self._sections = list(sections)
        self._found: list[tuple[tuple[int, int], str]] = []
        self._conflicts: list[str] = []

    def add(self, where: str, what: str) -> None:
        self._found.append((self._order(where), f"{where}: {what}"))

    def conflict(self, where: str, what: str) -> None:
        self.add(where, what)
        self._conflicts.append(self._found[-1][1])

    def __bool__(self) -> bool:
        return bool(self._found)

    def __len__(self) -> int:
        return len(self._found)

    @property
    def found(self) -> list[str]:
        return [text for _, text in sorted(self._found, key=lambda found: found[0])]

    def error(self) -> ConfigError:
        return ConfigError(self.found, self._conflicts)

    def _order(self, where: str) -> tuple[int, int]:
        entry = re.match(r"([a-z_]+)(?:\[([0-9]+)\])?", where)
        if entry is None or entry.group(1) not in self._sections:
            return (-1, 0)  # the definition as a whole, or a section it does not have
        return (self._sections.index(entry.group(1)), int(entry.group(2) or 0))


@dataclass(frozen=True)
class Flaws:
    """Where a definition's form has problems, as seen from one of its parts."""

    locs: tuple[Loc, ...] = ()
    prefix: Loc = ()

    def at(self, *loc: int | str) -> bool:
        """Whether the part at ``loc`` (or anything in it) has a problem with its form."""
        whole = self.prefix + loc
        return any(found[: len(whole)] == whole for found in self.locs)

    def under(self, *loc: int | str) -> Flaws:
        return Flaws(self.locs, self.prefix + loc)


@dataclass
class Reading(Generic[M]):
    """A definition as its model reads it. ``value`` is the model when the definition is
    well-formed; otherwise what is well-formed of it (see ``salvage``), or None when not
    even its top is a table."""

    value: M | None
    flaws: Flaws = field(default_factory=Flaws)


def maybe(value: T) -> T | None:
    """A field of a salvaged model, typed as what it may be: None where its problem was."""
    return value


def read(model: type[M], data: object, problems: Problems) -> Reading[M]:
    """Validate ``data`` as ``model``; each of pydantic's errors goes to ``problems``,
    worded, and what is well-formed is kept for the checks that follow."""
    if isinstance(data, model):
        return Reading(data)
    try:
        return Reading(model.model_validate(data))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    for error in errors:
        for where, what in worded(model, error):
            problems.add(where, what)
    locs = tuple(e["loc"] for e in errors)
    kept = salvage(model, data, locs)
    return Reading(kept if isinstance(kept, model) else None, Flaws(locs))


# --- wording -------------------------------------------------------------------------------------


@dataclass
class _Place:
    """Where a loc leads in a model: the path, the type there and how to word a problem."""

    path: str = ""
    type: Any = None
    metadata: list[Any] = field(default_factory=list)
    field: FieldInfo | None = None
    model: type[BaseModel] | None = None  # whose field (or unknown field) the place is
    key: str | None = None  # set when the problem is with a table's key

    @property
    def expected(self) -> Expected | None:
        return next((m for m in self.metadata if isinstance(m, Expected)), None)

    def form(self, pattern: str) -> str | None:
        """The wording of a text that does not fit ``pattern`` here."""
        found = next((m.wording for m in self.metadata if isinstance(m, Form)), None)
        return found or _PATTERNS.get(pattern)

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name


def worded(root: type[BaseModel], error: ErrorDetails) -> list[tuple[str, str]]:
    """One of pydantic's errors as (where, what), in the definition's terms; an error that
    names several values (two keys listed twice) gives one problem for each."""
    place = _locate(root, error["loc"])
    kind = error["type"]
    value = error["input"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    where = place.path or "(top)"
    if kind == "missing":
        return [(where, "missing")]
    if kind == "extra_forbidden" and place.model is not None:
        if place.model is root:
            return [(where, f"unknown section; expected {', '.join(root.model_fields)}")]
        return [(where, f"unknown field; expected {', '.join(_field_names(place.model))}")]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        members, discriminator = _members(place.type, place.metadata)
        tag = place.at(discriminator or "role")
        if kind == "union_tag_not_found":
            return [(tag, "missing")]
        tags = [t for m in members for t in _tags(m, discriminator)]
        return [(tag, f"{ctx['tag']!r} is not one of {', '.join(tags)}")]
    if kind == "unique_items":
        return [(where, f"{name} is listed twice") for name in ctx.get("twice", ())]
    if kind == "model_type" and place.type is root:
        return [(where, f"expected a table (object) with {', '.join(root.model_fields)}")]
    return [(where, _what(place, kind, value, ctx, error["msg"]))]


def _what(place: _Place, kind: str, value: Any, ctx: dict[str, Any], msg: str) -> str:
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        form = place.form(pattern)
        if form is not None:
            return form.format(value=value)
        if pattern == NAME and isinstance(value, str) and "\x00" in value:
            return "holds a NUL character"
    if kind == "string_too_long":
        return f"longer than {ctx['max_length']} characters"
    if kind == "literal_error":
        return f"{value!r} is not one of {', '.join(map(str, get_args(place.type)))}"
    if kind == "enum" and "named" in ctx:  # a code list (app.jsonfields.one_of)
        return f"{value!r} is not {ctx['named']}"
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return f"{value} is negative"
    if kind == "less_than_equal":
        return f"{value} is more than {ctx['le']}"
    if value is None and place.field is not None and place.field.is_required():
        return "missing"  # a JSON null where a value is required
    expected = place.expected or _DEFAULTS.get(_kind_of(place.type))
    if expected is None:
        return msg[:1].lower() + msg[1:]
    return f"expected {expected.what}" + (f", got {value!r}" if expected.shows_input else "")


_DEFAULTS = {
    "model": Expected("a table (an object)"),
    "bool": Expected("true or false"),
    "str": Expected("non-empty text"),
}


def _kind_of(tp: Any) -> str:
    if _is_model(tp) or _members(tp, [])[0]:
        return "model"
    return tp.__name__ if isinstance(tp, type) else ""


def _field_names(model: type[BaseModel]) -> list[str]:
    """A model's fields, the required ones first, each group in the order declared."""
    fields = model.model_fields
    return [n for n, f in fields.items() if f.is_required()] + [
        n for n, f in fields.items() if not f.is_required()
    ]


def _locate(root: type[BaseModel], loc: Loc) -> _Place:
    place = _Place(type=root)
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        tp = place.type
        members, discriminator = _members(tp, place.metadata)
        if members:  # pydantic names the member of a tagged union by its tag
            member = _member(members, discriminator, part)
            place.type, place.metadata = member, []
            continue
        if _is_model(tp):
            info = tp.model_fields.get(str(part))
            place.path, place.model, place.field = place.at(str(part)), tp, info
            if info is None:  # a field the model does not have
                place.type, place.metadata = None, []
                break
            place.type, place.metadata = _unwrap(info.annotation, list(info.metadata))
            continue
        origin, args = get_origin(tp), get_args(tp)
        place.model = place.field = None
        if origin is list:
            place.path = f"{place.path}[{part}]"
            place.type, place.metadata = _unwrap(args[0], [])
        elif origin is dict and parts[:1] == ["[key]"]:
            parts.pop(0)
            place.key = str(part)
            place.type, place.metadata = _unwrap(args[0], [])
        elif origin is dict:
            place.path = place.at(str(part))
            place.type, place.metadata = _unwrap(args[1], [])
        else:
            break
    return place


def _unwrap(tp: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """The type under Annotated and ``| None``, with the metadata met on the way."""
    while True:
        if get_origin(tp) is Annotated:
            args = get_args(tp)
            tp, metadata = args[0], [*metadata, *args[1:]]
        elif _is_union(tp) and type(None) in get_args(tp):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return Union[tuple(rest)], metadata  # noqa: UP007
            tp = rest[0]
        else:
            return tp, metadata


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _members(tp: Any, metadata: list[Any]) -> tuple[list[type[BaseModel]], str | None]:
    """The models of a tagged union, and the field that tells them apart."""
    if not _is_union(tp) or not all(_is_model(a) for a in get_args(tp)):
        return [], None
    discriminator = next(
        (m.discriminator for m in metadata if isinstance(m, FieldInfo) and m.discriminator),
        None,
    )
    return list(get_args(tp)), discriminator if isinstance(discriminator, str) else None


def _tags(member: type[BaseModel], discriminator: str | None) -> tuple[Any, ...]:
    info = member.model_fields.get(discriminator or "")
    if info is None or get_origin(info.annotation) is not Literal:
        return ()
    return get_args(info.annotation)


def _member(members: list[type[BaseModel]], discriminator: str | None, tag: object) -> Any:
    return next((m for m in members if tag in _tags(m, discriminator)), None)


# --- what is well-formed -------------------------------------------------------------------------


def salvage(tp: Any, value: object, errors: Sequence[Loc]) -> Any:
    """``value`` read as ``tp`` as far as it is well-formed, for the checking pass to look
    at what the errors (pydantic's locs) leave: a model with a problem in a field keeps its
    other fields and has None in that one, whatever its type says; a list or table of
    models keeps each entry, salvaged in turn; any other value with a problem is None.

    Nothing salvaged is ever written: a definition with a problem changes nothing."""
    if not errors:
        return _adapter(tp).validate_python(value)
    if any(not loc for loc in errors):
        return None
    tp, metadata = _unwrap(tp, [])
    members, discriminator = _members(tp, metadata)
    if members:
        member = _member(members, discriminator, errors[0][0])
        return salvage(member, value, [loc[1:] for loc in errors]) if member else None
    if _is_model(tp) and isinstance(value, dict):
        fields: dict[str, Any] = {}
        for name, info in tp.model_fields.items():
            if name in value:
                inner = [loc[1:] for loc in errors if loc[0] == name]
                fields[name] = salvage(_annotation(tp, name), value[name], inner)
            elif not info.is_required():
                fields[name] = info.get_default(call_default_factory=True)
            else:
                fields[name] = None
        return tp.model_construct(**fields)
    origin, args = get_origin(tp), get_args(tp)
    if origin is list and isinstance(value, list) and _holds_models(args[0]):
        return [
            salvage(args[0], item, [loc[1:] for loc in errors if loc[0] == i])
            for i, item in enumerate(value)
        ]
    if origin is dict and isinstance(value, dict) and _holds_models(args[1]):
        bad_keys = {loc[0] for loc in errors if loc[1:2] == ("[key]",)}
        return {
            k: salvage(args[1], v, [loc[1:] for loc in errors if loc[0] == k])
            for k, v in value.items()
            if k not in bad_keys
        }
    return None


def _holds_models(tp: Any) -> bool:
    tp, metadata = _unwrap(tp, [])
    return _is_model(tp) or bool(_members(tp, metadata)[0])


# Adapters for the parts of a salvaged value, by the field (or the type) they read; each
# keeps its type, so the type's id stays its own.
_ADAPTERS: dict[int, tuple[Any, TypeAdapter[Any]]] = {}
_ANNOTATIONS: dict[tuple[type[BaseModel], str], Any] = {}


def _annotation(model: type[BaseModel], name: str) -> Any:
    """A field's type with its constraints: the same object each time, so its adapter is
    made once."""
    if (model, name) not in _ANNOTATIONS:
        _ANNOTATIONS[(model, name)] = model.model_fields[name].rebuild_annotation()
    return _ANNOTATIONS[(model, name)]


def _adapter(tp: Any) -> TypeAdapter[Any]:
    if id(tp) not in _ADAPTERS:
        _ADAPTERS[id(tp)] = (tp, TypeAdapter(tp))
    return _ADAPTERS[id(tp)][1]


def entries(items: Sequence[T] | None) -> Iterator[tuple[int, T | None]]:
    """The entries of a list of a salvaged model with their index: an entry that could not
    be read at all is None, and a list that could not be read has none."""
    yield from enumerate(items or ())
