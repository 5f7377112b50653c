"""Message headers. Municipality messages (301, 319, and the answers 302, 306, ... that
mirror a provider message keep the original header) and provider messages differ only in
which party is Afzender and which is Ontvanger."""

from __future__ import annotations

from datetime import date

from app.standard.elements import child, items, message_class, value
from app.standard.messages.basis import BerichtIdentificatie, XsdVersie

# Filled per message from the catalogue when the schema is written.
_CODE = "{berichtcode}"


@message_class("Header")
class GemeenteHeader:
    """Header of a message sent by a municipality (Afzender is a CBS code)."""

    BerichtCode: str = value("LDT_BerichtCode", pattern=_CODE)
    BerichtVersie: int = value("LDT_BerichtVersie", pattern="3")
    BerichtSubversie: int = value("LDT_BerichtSubversie", pattern="2")
    Afzender: str = value("LDT_Gemeente")
    Ontvanger: str = value("LDT_AgbCode")
    BerichtIdentificatie: BerichtIdentificatie = child()
    XsdVersie: XsdVersie = child()


@message_class("Header")
class AanbiederHeader:
    """Header of a message sent by a provider (Afzender is an AGB code)."""

    BerichtCode: str = value("LDT_BerichtCode", pattern=_CODE)
    BerichtVersie: int = value("LDT_BerichtVersie", pattern="3")
    BerichtSubversie: int = value("LDT_BerichtSubversie", pattern="2")
    Afzender: str = value("LDT_AgbCode")
    Ontvanger: str = value("LDT_Gemeente")
    BerichtIdentificatie: BerichtIdentificatie = child()
    XsdVersie: XsdVersie = child()


@message_class("RetourHeader")
class _RetourFields:
    # The retour keeps the original header and adds its own identification after it.
    IdentificatieRetour: str = value("LDT_IdentificatieBericht")
    DagtekeningRetour: date = value("LDT_Datum")
    XsltVersie: str | None = value("LDT_Versie", default=None)
    XsdVersieRetour: XsdVersie = child()
    RetourCodes: list[str] = items(
        "RetourCode", default_factory=list, ldt="LDT_RetourCode", optional=True
    )


@message_class("Header")
class GemeenteRetourHeader(_RetourFields, GemeenteHeader):
    """Header of WMO302 and WMO320: the municipality's header plus retour fields."""


@message_class("Header")
class AanbiederRetourHeader(_RetourFields, AanbiederHeader):
    """Header of WMO306, 308, 316 and 318: the provider's header plus retour fields."""


@message_class("Header")
class DeclaratieAntwoordHeader(GemeenteHeader):
    """Header of WMO325, the municipality's answer to a declaration."""

    DeclaratieIdentificatie: BerichtIdentificatie = child()
    XsltVersie: str | None = value("LDT_Versie", default=None)
    XsdVersieDeclaratie: XsdVersie = child()
    RetourCodes: list[str] = items("RetourCode", default_factory=list, ldt="LDT_RetourCode")


Header = GemeenteHeader | AanbiederHeader
RetourHeader = GemeenteRetourHeader | AanbiederRetourHeader
