"""The 14 iWmo 3.2 messages: names, codes, namespaces, classes and how they pair up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from app.standard import messages as m

STANDARD = "iwmo"
RELEASE = "3.2"
BERICHT_VERSIE = 3
BERICHT_SUBVERSIE = 2
XSD_VERSIE = "1.0.0"  # BasisschemaXsdVersie and BerichtXsdVersie of every message

BASIS_NAMESPACE = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
BASIS_PREFIX = "iwmo"

Party = Literal["gemeente", "aanbieder"]


def namespace_for(name: str) -> str:
    return f"http://www.istandaarden.nl/iwmo/3_2/{name.lower()}/schema"


@dataclass(frozen=True)
class MessageType:
    name: str  # WMO301
    code: str  # BerichtCode, 414
    root: type  # typed class of the whole message
    sender: Party  # who sends it (Afzender); Ontvanger is the other party
    partner: str  # WMO302 for WMO301 and the other way round
    is_retour: bool
    summary: str

    @property
    def namespace(self) -> str:
        return namespace_for(self.name)

    @property
    def prefix(self) -> str:
        return self.name.lower()

    @property
    def retour(self) -> MessageType:
        """The retour message answering this one (WMO302 for WMO301)."""
        if self.is_retour:
            raise ValueError(f"{self.name} is itself a retour message")
        return BY_NAME[self.partner]

    @property
    def original(self) -> MessageType:
        """The message this retour answers (WMO301 for WMO302)."""
        if not self.is_retour:
            raise ValueError(f"{self.name} is not a retour message")
        return BY_NAME[self.partner]


def _pair(
    name: str,
    code: str,
    root: type,
    sender: Party,
    retour: str,
    retour_code: str,
    retour_root: type,
    summary: str,
) -> tuple[MessageType, MessageType]:
    # WMO325 is sent by the municipality in its own name; the other retours keep the
    # original header, so their Afzender is still the original sender.
    retour_sender: Party = "gemeente" if retour == "WMO325" else sender
    return (
        MessageType(name, code, root, sender, retour, False, summary),
        MessageType(
            retour, retour_code, retour_root, retour_sender, name, True, f"retour of {name}"
        ),
    )


_ALL = (
    *_pair(
        "WMO301",
        "414",
        m.WMO301,
        "gemeente",
        "WMO302",
        "415",
        m.WMO302,
        "allocation (toewijzing) to a provider",
    ),
    *_pair("WMO305", "418", m.WMO305, "aanbieder", "WMO306", "419", m.WMO306, "start of delivery"),
    *_pair("WMO307", "420", m.WMO307, "aanbieder", "WMO308", "421", m.WMO308, "stop of delivery"),
    *_pair(
        "WMO315",
        "444",
        m.WMO315,
        "aanbieder",
        "WMO316",
        "445",
        m.WMO316,
        "request for an allocation",
    ),
    *_pair(
        "WMO317",
        "480",
        m.WMO317,
        "aanbieder",
        "WMO318",
        "481",
        m.WMO318,
        "request to change allocations",
    ),
    *_pair("WMO319", "482", m.WMO319, "gemeente", "WMO320", "483", m.WMO320, "answer to a request"),
    *_pair("WMO323", "484", m.WMO323, "aanbieder", "WMO325", "485", m.WMO325, "declaration"),
)

BY_NAME: Mapping[str, MessageType] = MappingProxyType({t.name: t for t in _ALL})
BY_NAMESPACE: Mapping[str, MessageType] = MappingProxyType({t.namespace: t for t in _ALL})
BY_CODE: Mapping[str, MessageType] = MappingProxyType({t.code: t for t in _ALL})
BY_CLASS: Mapping[type, MessageType] = MappingProxyType({t.root: t for t in _ALL})

ALL: tuple[MessageType, ...] = tuple(sorted(_ALL, key=lambda t: t.name))
OUTBOUND: tuple[MessageType, ...] = tuple(t for t in ALL if not t.is_retour)
RETOUR: tuple[MessageType, ...] = tuple(t for t in ALL if t.is_retour)


def get(name: str) -> MessageType:
    try:
        return BY_NAME[name.upper()]
    except KeyError:
        raise KeyError(f"unknown iWmo message {name!r}") from None


def of(message: object) -> MessageType:
    """The message type of a typed message object."""
    return BY_CLASS[type(message)]
