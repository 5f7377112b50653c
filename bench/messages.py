"""Realistic iWmo traffic for benchmarks and demos, built from the typed model.

A *chain* is what happens to one client: an allocation (301), a start (305), a temporary
and a definitive stop (307), and for some clients a request for a change (317) answered by
the municipality (319). Chains are independent, so they can be sent concurrently while the
messages inside one chain keep their order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

from app.standard import catalogue, codec
from app.standard import messages as m

_XSD = m.XsdVersie(BasisschemaXsdVersie="1.0.0", BerichtXsdVersie="1.0.0")
_ids = itertools.count(1)


def bsns(start: int = 100_000_000) -> Iterator[str]:
    """BSNs that pass the eleven test, in order."""
    from app.rules.constraints import elfproef

    for n in itertools.count(start):
        text = f"{n:09d}"
        if elfproef(text):
            yield text


def _ident(day: date) -> m.BerichtIdentificatie:
    return m.BerichtIdentificatie(Identificatie=f"B{next(_ids):011d}", Dagtekening=day)


def _gemeente_header(name: str, gemeente: str, aanbieder: str, day: date) -> m.GemeenteHeader:
    return m.GemeenteHeader(
        BerichtCode=catalogue.get(name).code,
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=gemeente,
        Ontvanger=aanbieder,
        BerichtIdentificatie=_ident(day),
        XsdVersie=_XSD,
    )


def _aanbieder_header(name: str, gemeente: str, aanbieder: str, day: date) -> m.AanbiederHeader:
    return m.AanbiederHeader(
        BerichtCode=catalogue.get(name).code,
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=aanbieder,
        Ontvanger=gemeente,
        BerichtIdentificatie=_ident(day),
        XsdVersie=_XSD,
    )


def _naam_kort(i: int) -> m.VerkorteNaam:
    return m.VerkorteNaam(Geslachtsnaam=m.Achternaam(Achternaam=f"Client{i}"), Voorletters="A")


@dataclass(frozen=True)
class Chain:
    gemeente: str
    aanbieder: str
    messages: list[tuple[str, bytes]]  # (sender code, XML)


def chain(
    i: int,
    bsn: str,
    gemeente: str,
    aanbieder: str,
    nummer: int,
    *,
    categorie: str = "02",
    code: str = "02N03",
    begin: date = date(2026, 1, 5),
    with_change: bool = False,
) -> Chain:
    """The life of one client's support at one provider, as messages."""
    day = begin - timedelta(days=3)
    geboren = m.Geboortedatum(Datum=date(1950 + i % 60, 1 + i % 12, 1 + i % 28))
    product = m.Product(Categorie=categorie, Code=code)
    allocated = m.ToegewezenProduct(
        ToewijzingNummer=nummer,
        Product=product,
        Toewijzingsdatum=day,
        Toewijzingstijd=time(9, 0),
        Ingangsdatum=begin,
        Einddatum=begin + timedelta(days=360),
        Omvang=m.Omvang(Volume=3, Eenheid="04", Frequentie="2"),
    )
    client = m.ToewijzingClient(
        Bsn=bsn,
        Geboortedatum=geboren,
        Geslacht=str(i % 3),
        Naam=m.VolledigeNaam(
            Geslachtsnaam=m.Achternaam(Achternaam=f"Client{i}"), Voorletters="A", NaamGebruik="1"
        ),
        Contactgegevens=[
            m.Contact(
                Soort="01",
                Adres=m.Adres(
                    Huis=m.Huis(Huisnummer=1 + i % 200),
                    Postcode="3811AB",
                    Straatnaam="Stationsplein",
                    Plaatsnaam="Amersfoort",
                    LandCode="NL",
                ),
            )
        ],
        ToegewezenProducten=[allocated],
    )
    out = [
        (
            gemeente,
            codec.to_bytes(
                m.WMO301(Header=_gemeente_header("WMO301", gemeente, aanbieder, day), Client=client)
            ),
        )
    ]
    started = begin + timedelta(days=2)
    line = dict(
        ToewijzingNummer=nummer, Product=product, ToewijzingIngangsdatum=begin, Begindatum=started
    )
    out.append(
        (
            aanbieder,
            codec.to_bytes(
                m.WMO305(
                    Header=_aanbieder_header("WMO305", gemeente, aanbieder, started),
                    Client=m.StartClient(
                        Bsn=bsn,
                        Geboortedatum=geboren,
                        Geslacht=str(i % 3),
                        Naam=_naam_kort(i),
                        StartProducten=[m.StartProduct(StatusAanlevering="1", **line)],
                    ),
                )
            ),
        )
    )
    if with_change:
        vow_day = started + timedelta(days=30)
        ref = f"VOW{nummer}"
        out.append(
            (
                aanbieder,
                codec.to_bytes(
                    m.WMO317(
                        Header=_aanbieder_header("WMO317", gemeente, aanbieder, vow_day),
                        Client=m.VerzoekClient(
                            Bsn=bsn,
                            Verzoek=m.Verzoek(
                                ReferentieAanbieder=ref,
                                RedenVerzoek="1",
                                TeWijzigenProducten=[
                                    m.TeWijzigenProduct(
                                        ToewijzingNummer=nummer,
                                        GewensteIngangsdatum=vow_day + timedelta(days=7),
                                        Einddatum=begin + timedelta(days=360),
                                        Omvang=m.Omvang(Volume=4, Eenheid="04", Frequentie="2"),
                                    )
                                ],
                            ),
                        ),
                    )
                ),
            )
        )
        out.append(
            (
                gemeente,
                codec.to_bytes(
                    m.WMO319(
                        Header=_gemeente_header(
                            "WMO319", gemeente, aanbieder, vow_day + timedelta(days=1)
                        ),
                        Antwoord=m.Antwoord(
                            ReferentieAanbieder=ref, VerzoekAntwoord="1", RedenAfwijzingVerzoek="2"
                        ),
                    )
                ),
            )
        )
    stopped = started + timedelta(days=90)
    for reden in ("20", "23"):
        out.append(
            (
                aanbieder,
                codec.to_bytes(
                    m.WMO307(
                        Header=_aanbieder_header(
                            "WMO307", gemeente, aanbieder, stopped + timedelta(days=1)
                        ),
                        Client=m.StopClient(
                            Bsn=bsn,
                            Geboortedatum=geboren,
                            Geslacht=str(i % 3),
                            Naam=_naam_kort(i),
                            StopProducten=[
                                m.StopProduct(
                                    RedenBeeindiging=reden,
                                    Einddatum=stopped,
                                    StatusAanlevering="1",
                                    **line,
                                )
                            ],
                        ),
                    )
                ),
            )
        )
    return Chain(gemeente, aanbieder, out)
