"""Typed classes for the 14 iWmo 3.2 messages. Attribute names are the standard's element
names; lists stand for the standard's container elements (``ToegewezenProducten``)."""

from app.standard.messages.basis import (
    Achternaam,
    Adres,
    BedragMetDC,
    BerichtIdentificatie,
    Communicatie,
    Geboortedatum,
    GeslotenPeriode,
    Huis,
    Omvang,
    OpenPeriode,
    Product,
    Referentie,
    Telefoon,
    Telefoonnummers,
    TotaalBedragMetDC,
    VerkorteNaam,
    Verwijzer,
    VolledigeNaam,
    XsdVersie,
)
from app.standard.messages.declaratie import (
    WMO323,
    WMO325,
    Declaratie,
    DeclaratieAntwoord,
    DeclaratieClient,
    Prestatie,
)
from app.standard.messages.header import (
    AanbiederHeader,
    AanbiederRetourHeader,
    DeclaratieAntwoordHeader,
    GemeenteHeader,
    GemeenteRetourHeader,
    Header,
    RetourHeader,
)
from app.standard.messages.levering import (
    WMO305,
    WMO306,
    WMO307,
    WMO308,
    StartClient,
    StartProduct,
    StopClient,
    StopProduct,
)
from app.standard.messages.toewijzing import (
    WMO301,
    WMO302,
    Contact,
    Relatie,
    ToegewezenProduct,
    ToewijzingClient,
)
from app.standard.messages.verzoek import (
    WMO315,
    WMO316,
    WMO317,
    WMO318,
    WMO319,
    WMO320,
    AangevraagdProduct,
    AanvraagClient,
    Antwoord,
    NieuwProduct,
    OngewijzigdProduct,
    TeWijzigenProduct,
    Verzoek,
    VerzoekClient,
)

Bericht = (
    WMO301
    | WMO302
    | WMO305
    | WMO306
    | WMO307
    | WMO308
    | WMO315
    | WMO316
    | WMO317
    | WMO318
    | WMO319
    | WMO320
    | WMO323
    | WMO325
)

__all__ = [
    "WMO301",
    "WMO302",
    "WMO305",
    "WMO306",
    "WMO307",
    "WMO308",
    "WMO315",
    "WMO316",
    "WMO317",
    "WMO318",
    "WMO319",
    "WMO320",
    "WMO323",
    "WMO325",
    "AanbiederHeader",
    "AanbiederRetourHeader",
    "AangevraagdProduct",
    "AanvraagClient",
    "Achternaam",
    "Adres",
    "Antwoord",
    "BedragMetDC",
    "Bericht",
    "BerichtIdentificatie",
    "Communicatie",
    "Contact",
    "Declaratie",
    "DeclaratieAntwoord",
    "DeclaratieAntwoordHeader",
    "DeclaratieClient",
    "Geboortedatum",
    "GemeenteHeader",
    "GemeenteRetourHeader",
    "GeslotenPeriode",
    "Header",
    "Huis",
    "NieuwProduct",
    "Omvang",
    "OngewijzigdProduct",
    "OpenPeriode",
    "Prestatie",
    "Product",
    "Referentie",
    "Relatie",
    "RetourHeader",
    "StartClient",
    "StartProduct",
    "StopClient",
    "StopProduct",
    "TeWijzigenProduct",
    "Telefoon",
    "Telefoonnummers",
    "ToegewezenProduct",
    "ToewijzingClient",
    "TotaalBedragMetDC",
    "VerkorteNaam",
    "Verwijzer",
    "Verzoek",
    "VerzoekClient",
    "VolledigeNaam",
    "XsdVersie",
]
