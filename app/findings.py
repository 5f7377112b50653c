"""A finding: one thing wrong with one message, named by the rule that found it."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import asdict, dataclass

# Pseudo rule codes for checks that come before the standard's own rules.
XML = "XML"  # not well-formed, unsafe or too large
XSD = "XSD"  # not valid against the message schema
CODEC = "CODEC"  # schema-valid value the service cannot represent (a year beyond 9999)
TIME = "TIME"  # judging took longer than the service allows for one message

TECHNICAL_REJECTION = "0001"


def within(path: str, element: str) -> bool:
    """Whether ``path`` is ``element`` or lies below it."""
    return path == element or path.startswith(element + "/")


def enclosing(path: str, elements: Container[str]) -> str | None:
    """The deepest of ``elements`` that ``path`` is or lies within, found by walking up the
    path (so placing many findings among many elements costs no more than reading them)."""
    while path:
        if path in elements:
            return path
        cut = path.rfind("/")
        if cut <= 0:
            return None
        path = path[:cut]
    return None


@dataclass(frozen=True)
class Finding:
    rule: str  # CD041, CS002, TR380, or XML / XSD / CODEC
    return_code: str  # the WJ001 code a retour message carries for it
    path: str  # /Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]/Einddatum
    message: str  # what is wrong, for a person; never contains personal data values
    line: int | None = None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        if self.line is None:
            del data["line"]
        return data
