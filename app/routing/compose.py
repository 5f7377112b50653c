"""Messages the service writes itself, in the standard's form.

* A delegation's WMO301 to a subcontractor: as if from the municipality (its code as
  Afzender, which is what the subcontractor's software expects), under a number from the
  service's own range, the function's product, and the client's personal data from the
  municipality's decision. Like every 301 it carries all current allocations of the
  client at that provider.
* A relay: a subcontractor's WMO305/WMO307 passed on to the municipality as the main
  contractor's, at function level: the municipality's allocation number and the function's
  product.

The service's own identifications start with ``IH`` so they are easy to tell apart.
"""

from __future__ import annotations

import copy
import secrets
import string
from datetime import UTC, date, datetime, time
from typing import Any

from app.standard import messages as m
from app.standard.catalogue import XSD_VERSIE

_ALPHABET = string.digits + string.ascii_uppercase
PREFIX = "IH"


def new_identificatie() -> str:
    """12 characters: IH and ten random letters and digits (about 52 bits)."""
    return PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def _identification(day: date) -> m.BerichtIdentificatie:
    return m.BerichtIdentificatie(Identificatie=new_identificatie(), Dagtekening=day)


def _xsd() -> m.XsdVersie:
    return m.XsdVersie(BasisschemaXsdVersie=XSD_VERSIE, BerichtXsdVersie=XSD_VERSIE)


def now_time() -> time:
    """Toewijzingstijd: the wall clock, whole seconds (the standard's time has no zone)."""
    return datetime.now(UTC).astimezone().time().replace(microsecond=0, tzinfo=None)


def allocation_301(
    decision_301: m.WMO301,
    municipality: str,
    subcontractor: str,
    products: list[m.ToegewezenProduct],
    day: date,
) -> m.WMO301:
    """A WMO301 from ``municipality`` to ``subcontractor`` with these allocated products and
    the client as the municipality's decision message describes them."""
    client = copy.deepcopy(decision_301.Client)
    client.ToegewezenProducten = products
    header = m.GemeenteHeader(
        BerichtCode="414",
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=municipality,
        Ontvanger=subcontractor,
        BerichtIdentificatie=_identification(day),
        XsdVersie=_xsd(),
    )
    return m.WMO301(Header=header, Client=client)


def allocated_product(
    nummer: int,
    categorie: str,
    code: str,
    ingangsdatum: date,
    einddatum: date | None,
    omvang: m.Omvang,
    *,
    toewijzingsdatum: date,
    toewijzingstijd: time,
    reden_wijziging: str | None = None,
) -> m.ToegewezenProduct:
    return m.ToegewezenProduct(
        ToewijzingNummer=nummer,
        Product=m.Product(Categorie=categorie, Code=code),
        Toewijzingsdatum=toewijzingsdatum,
        Toewijzingstijd=toewijzingstijd,
        Ingangsdatum=ingangsdatum,
        Einddatum=einddatum,
        RedenWijziging=reden_wijziging,
        Omvang=omvang,
    )


def relay(
    source: Any,
    main_contractor: str,
    lines: list[tuple[int, date, str, str]],
    day: date,
) -> Any:
    """The main contractor's WMO305/WMO307 for a subcontractor's one. ``lines`` gives per
    line, in order: the municipality's allocation number, that allocation's Ingangsdatum,
    and the function's product category and code. Everything else is kept, so a finding on
    the relay has the same path as the line it came from."""
    message = copy.deepcopy(source)
    message.Header.Afzender = main_contractor
    message.Header.BerichtIdentificatie = _identification(day)
    products = (
        message.Client.StartProducten
        if isinstance(message, m.WMO305)
        else message.Client.StopProducten
    )
    for line, (nummer, ingangsdatum, categorie, code) in zip(products, lines, strict=True):
        line.ToewijzingNummer = nummer
        line.ToewijzingIngangsdatum = ingangsdatum
        line.Product = m.Product(Categorie=categorie, Code=code)
        line.RetourCodes = []
    return message


def resend(original: Any, day: date) -> Any:
    """The same message under a new identification and Dagtekening."""
    message = copy.deepcopy(original)
    message.Header.BerichtIdentificatie = _identification(day)
    return message
