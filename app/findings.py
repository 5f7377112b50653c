"""A finding: one thing wrong with one message, named by the rule that found it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Pseudo rule codes for checks that come before the standard's own rules.
XML = "XML"  # not well-formed, unsafe or too large
XSD = "XSD"  # not valid against the message schema
CODEC = "CODEC"  # schema-valid value the service cannot represent (a year beyond 9999)

TECHNICAL_REJECTION = "0001"


def within(path: str, element: str) -> bool:
    """Whether ``path`` is ``element`` or lies below it."""
    return path == element or path.startswith(element + "/")


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
