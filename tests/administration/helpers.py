"""Building realistic message chains from the published examples, and an API client per
participant."""

from __future__ import annotations

import calendar
import copy
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from app.administration import models as db
from app.administration import participants
from app.services import Services
from app.standard import catalogue, codec, parsing
from app.standard import messages as m
from tests.conftest import reference_dir

GEMEENTE = "0384"  # Afzender of the published WMO301
AANBIEDER = "42420001"  # Ontvanger of the published WMO301
BSN = "999900006"
_ids = count(1)


@cache
def _example(name: str) -> Any:
    data = (reference_dir() / "examples" / f"{name}.xml").read_bytes()
    return codec.decode(parsing.parse(data).root)


def example(name: str) -> Any:
    return copy.deepcopy(_example(name))


def ident(msg: Any, dagtekening: date | None = None) -> Any:
    """Give a message a fresh identification (and optionally a Dagtekening)."""
    msg.Header.BerichtIdentificatie.Identificatie = f"T{next(_ids):011d}"
    if dagtekening is not None:
        msg.Header.BerichtIdentificatie.Dagtekening = dagtekening
    return msg


def toewijzing(**changes: Any) -> m.WMO301:
    """The published WMO301 (0384 -> 42420001, allocation 101) with changes to its product."""
    msg = ident(example("WMO301"))
    product = msg.Client.ToegewezenProducten[0]
    for name, value in changes.items():
        setattr(product, name, value)
    return msg


def start(
    nummer: int = 101,
    begindatum: date = date(2023, 1, 5),
    status: str = "1",
    categorie: str = "01",
    code: str | None = "01A01",
    ingangsdatum: date = date(2023, 1, 1),
    gemeente: str = GEMEENTE,
    aanbieder: str = AANBIEDER,
    bsn: str = BSN,
) -> m.WMO305:
    msg = ident(example("WMO305"), date(2023, 8, 14))
    msg.Header.Afzender, msg.Header.Ontvanger = aanbieder, gemeente
    msg.Client.Bsn = bsn
    line = msg.Client.StartProducten[0]
    line.ToewijzingNummer = nummer
    line.Product = m.Product(Categorie=categorie, Code=code)
    line.ToewijzingIngangsdatum = ingangsdatum
    line.Begindatum = begindatum
    line.StatusAanlevering = status
    msg.Client.StartProducten = [line]
    return msg


def stop(
    reden: str,
    einddatum: date,
    nummer: int = 101,
    begindatum: date = date(2023, 1, 5),
    status: str = "1",
    categorie: str = "01",
    code: str | None = "01A01",
    ingangsdatum: date = date(2023, 1, 1),
    gemeente: str = GEMEENTE,
    aanbieder: str = AANBIEDER,
    bsn: str = BSN,
) -> m.WMO307:
    msg = ident(example("WMO307"), date(2023, 8, 20))
    msg.Header.Afzender, msg.Header.Ontvanger = aanbieder, gemeente
    msg.Client.Bsn = bsn
    line = msg.Client.StopProducten[0]
    line.ToewijzingNummer = nummer
    line.Product = m.Product(Categorie=categorie, Code=code)
    line.ToewijzingIngangsdatum = ingangsdatum
    line.Begindatum = begindatum
    line.RedenBeeindiging = reden
    line.Einddatum = einddatum
    line.StatusAanlevering = status
    msg.Client.StopProducten = [line]
    return msg


def xml(msg: Any) -> bytes:
    return codec.to_bytes(msg)


@dataclass
class Party:
    code: str
    role: str
    client: TestClient

    def send(self, msg: Any) -> Any:
        body = msg if isinstance(msg, bytes) else xml(msg)
        return self.client.post(
            "/v1/berichten", content=body, headers={"content-type": "application/xml"}
        )

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params=params)


def party(app: Any, services: Services, code: str, role: str, name: str = "") -> Party:
    with services.database.write() as s:
        _, key = participants.add(s, code, role, name or code)
    client = TestClient(app, headers={"authorization": f"Bearer {key}"})
    return Party(code, role, client)


def retour_codes(body: bytes) -> dict[str, list[str]]:
    """Element path (local names, with indexes) -> RetourCodes, for every level."""
    root = etree.fromstring(body)
    from app.standard.paths import element_path

    result = {}
    for container in root.iter("{*}RetourCodes"):
        owner = container.getparent()
        assert owner is not None  # RetourCodes is never the root
        codes = []
        for c in container:
            assert c.text is not None, element_path(c)
            codes.append(c.text)
        result[element_path(owner)] = codes
    return result


# --- builders for the rules that look beyond one message ------------------------------------

OTHER_BSN = "999900018"  # a second client; passes the eleven test
OTHER_AANBIEDER = "12345678"  # a second provider, for rules that are per provider


def omvang(volume: int, eenheid: str = "01", frequentie: str = "1") -> m.Omvang:
    return m.Omvang(Volume=volume, Eenheid=eenheid, Frequentie=frequentie)


def toegewezen(nummer: int = 101, **changes: Any) -> m.ToegewezenProduct:
    """The published allocated product (01/01A01, 2023, 10 minutes a day) under a number,
    without ReferentieAanbieder."""
    product = copy.deepcopy(_example("WMO301").Client.ToegewezenProducten[0])
    product.ToewijzingNummer = nummer
    product.ReferentieAanbieder = None
    for name, value in changes.items():
        setattr(product, name, value)
    return product


def toewijzingen(
    *products: m.ToegewezenProduct,
    bsn: str = BSN,
    gemeente: str = GEMEENTE,
    aanbieder: str = AANBIEDER,
    dagtekening: date | None = None,
) -> m.WMO301:
    """A WMO301 for any client, municipality and provider with these products."""
    msg = ident(example("WMO301"), dagtekening)
    msg.Header.Afzender, msg.Header.Ontvanger = gemeente, aanbieder
    msg.Client.Bsn = bsn
    msg.Client.ToegewezenProducten = list(products)
    return msg


def verwijderd(nummer: int = 101, **changes: Any) -> m.ToegewezenProduct:
    """An allocated product deleted (RedenWijziging 13: end equals start)."""
    changes.setdefault("Ingangsdatum", date(2023, 1, 1))
    return toegewezen(nummer, RedenWijziging="13", Einddatum=changes["Ingangsdatum"], **changes)


def aangevraagd(
    referentie: str,
    categorie: str = "01",
    code: str | None = "01A01",
    begin: date = date(2023, 1, 1),
    eind: date | None = date(2023, 12, 31),
) -> m.AangevraagdProduct:
    """A requested product like the published one, 10 minutes a day."""
    product = copy.deepcopy(_example("WMO315").Client.AangevraagdeProducten[0])
    product.ReferentieAanbieder = referentie
    product.Product = m.Product(Categorie=categorie, Code=code)
    product.ToewijzingIngangsdatum, product.ToewijzingEinddatum = begin, eind
    product.Omvang = omvang(10)
    return product


def verzoek_om_toewijzing(
    *products: m.AangevraagdProduct | str,
    bsn: str = BSN,
    gemeente: str = GEMEENTE,
    aanbieder: str = AANBIEDER,
    dagtekening: date = date(2023, 7, 15),
) -> m.WMO315:
    """A WMO315; a plain reference asks for category n/code 0nA01 for the n-th product."""
    msg = ident(example("WMO315"), dagtekening)
    msg.Header.Afzender, msg.Header.Ontvanger = aanbieder, gemeente
    msg.Client.Bsn = bsn
    msg.Client.AangevraagdeProducten = [
        aangevraagd(p, f"{i:02d}", f"{i:02d}A01") if isinstance(p, str) else p
        for i, p in enumerate(products, start=1)
    ]
    return msg


def te_wijzigen(
    nummer: int = 101,
    ingang: date = date(2023, 10, 1),
    eind: date | None = None,
    volume: m.Omvang | None = None,
    budget: int | None = None,
) -> m.TeWijzigenProduct:
    return m.TeWijzigenProduct(
        ToewijzingNummer=nummer,
        GewensteIngangsdatum=ingang,
        Einddatum=eind,
        Omvang=volume,
        Budget=budget,
    )


def nieuw_product(
    categorie: str = "02",
    code: str | None = "02A01",
    ingang: date = date(2023, 10, 1),
    eind: date | None = date(2023, 12, 31),
    volume: m.Omvang | None = None,
) -> m.NieuwProduct:
    return m.NieuwProduct(
        Product=m.Product(Categorie=categorie, Code=code),
        GewensteIngangsdatum=ingang,
        Einddatum=eind,
        Omvang=volume if volume is not None else omvang(60, "01", "4"),
    )


def verzoek_om_wijziging(
    referentie: str = "W1",
    ongewijzigd: tuple[int, ...] = (),
    wijzigen: tuple[m.TeWijzigenProduct, ...] = (),
    nieuw: tuple[m.NieuwProduct, ...] = (),
    *,
    bsn: str = BSN,
    gemeente: str = GEMEENTE,
    aanbieder: str = AANBIEDER,
    dagtekening: date = date(2023, 8, 20),
) -> m.WMO317:
    msg = ident(example("WMO317"), dagtekening)
    msg.Header.Afzender, msg.Header.Ontvanger = aanbieder, gemeente
    msg.Client.Bsn = bsn
    v = msg.Client.Verzoek
    v.ReferentieAanbieder = referentie
    v.OngewijzigdeProducten = [m.OngewijzigdProduct(ToewijzingNummer=n) for n in ongewijzigd]
    v.TeWijzigenProducten = list(wijzigen)
    v.NieuweProducten = list(nieuw)
    return msg


def antwoord(
    referentie: str,
    verzoek_antwoord: str = "1",
    *,
    gemeente: str = GEMEENTE,
    aanbieder: str = AANBIEDER,
    dagtekening: date = date(2023, 8, 1),
) -> m.WMO319:
    """A WMO319: 1 rejects (reason 7), 2 says the request is under review."""
    msg = ident(example("WMO319"), dagtekening)
    msg.Header.Afzender, msg.Header.Ontvanger = gemeente, aanbieder
    msg.Antwoord = m.Antwoord(
        ReferentieAanbieder=referentie,
        VerzoekAntwoord=verzoek_antwoord,
        RedenAfwijzingVerzoek="7" if verzoek_antwoord == "1" else None,
    )
    return msg


def prestatie(
    referentie: str,
    nummer: int = 101,
    begin: date = date(2023, 3, 1),
    eind: date | None = None,
    volume: int = 100,
    eenheid: str = "01",
    tarief: int | None = 50,
    categorie: str = "01",
    code: str = "01A01",
    credit_van: str | None = None,
    bedrag: int | None = None,
) -> m.Prestatie:
    """A declared line; by default a month of the published allocation at 50 cents a
    minute. ``credit_van`` makes it a credit of that earlier line."""
    if eind is None:
        eind = calendar_month(begin)[1]
    if bedrag is None:
        bedrag = volume if eenheid == "83" else volume * (tarief or 0)
    return m.Prestatie(
        ProductReferentie=m.Referentie(
            ReferentieNummer=referentie, VorigReferentieNummer=credit_van
        ),
        ToewijzingNummer=nummer,
        ProductCategorie=categorie,
        ProductCode=code,
        ProductPeriode=m.GeslotenPeriode(Begindatum=begin, Einddatum=eind),
        GeleverdVolume=volume,
        Eenheid=eenheid,
        ProductTarief=None if eenheid == "83" else tarief,
        IngediendBedrag=m.BedragMetDC(Bedrag=bedrag, DebetCredit="C" if credit_van else "D"),
    )


def calendar_month(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


_declaratie_nummers = count(1)


def declaratie(
    *lines: m.Prestatie | tuple[str, m.Prestatie],
    periode: date = date(2023, 3, 1),
    nummer: str | None = None,
    dagtekening: date | None = None,
    gemeente: str = GEMEENTE,
    aanbieder: str = AANBIEDER,
) -> m.WMO323:
    """A WMO323 for the calendar month of ``periode``; a line is for client BSN unless given
    as (bsn, line). Totals are computed; the Dagtekening is the 5th of the next month."""
    begin, end = calendar_month(periode)
    dagtekening = dagtekening or calendar_month(end + timedelta(days=1))[0] + timedelta(days=4)
    msg = ident(example("WMO323"), dagtekening)
    msg.Header.Afzender, msg.Header.Ontvanger = aanbieder, gemeente
    clients: dict[str, list[m.Prestatie]] = {}
    for item in lines:
        bsn, line = item if isinstance(item, tuple) else (BSN, item)
        clients.setdefault(bsn, []).append(line)
    total = sum(line.IngediendBedrag.signed for line in _flat(clients))
    d = msg.Declaratie
    d.DeclaratieNummer = nummer or f"D{next(_declaratie_nummers):05d}"
    d.DeclaratiePeriode = m.GeslotenPeriode(Begindatum=begin, Einddatum=end)
    d.DeclaratieDagtekening = dagtekening
    d.TotaalIngediendBedrag = m.TotaalBedragMetDC(
        TotaalBedrag=abs(total), DebetCredit="C" if total < 0 else "D"
    )
    d.Clienten = [m.DeclaratieClient(Bsn=b, Prestaties=ps) for b, ps in clients.items()]
    return msg


def _flat(clients: dict[str, list[m.Prestatie]]) -> list[m.Prestatie]:
    return [line for lines in clients.values() for line in lines]


def declaratie_antwoord(
    declaratie_msg: m.WMO323,
    afgewezen: dict[str, list[str]] | None = None,
    *,
    codes: list[str] | None = None,
    dagtekening: date | None = None,
) -> m.WMO325:
    """A municipality's own WMO325 for a declaration: the lines named in ``afgewezen``
    (ReferentieNummer -> codes) refused, the rest granted; ``codes`` refuses it whole."""
    afgewezen = afgewezen or {}
    h, d = declaratie_msg.Header, declaratie_msg.Declaratie
    header = m.DeclaratieAntwoordHeader(
        BerichtCode=catalogue.get("WMO325").code,
        BerichtVersie=3,
        BerichtSubversie=2,
        Afzender=h.Ontvanger,
        Ontvanger=h.Afzender,
        BerichtIdentificatie=m.BerichtIdentificatie(
            Identificatie="", Dagtekening=dagtekening or d.DeclaratieDagtekening
        ),
        XsdVersie=m.XsdVersie(BasisschemaXsdVersie="1.0.0", BerichtXsdVersie="1.0.0"),
        DeclaratieIdentificatie=copy.deepcopy(h.BerichtIdentificatie),
        XsdVersieDeclaratie=copy.deepcopy(h.XsdVersie),
        RetourCodes=["0200"],
    )
    clients, refused = [], 0
    for client in [] if codes else d.Clienten:
        lines = []
        for line in client.Prestaties:
            if line.ProductReferentie.ReferentieNummer in afgewezen:
                listed = copy.deepcopy(line)
                listed.RetourCodes = afgewezen[line.ProductReferentie.ReferentieNummer]
                lines.append(listed)
                refused += line.IngediendBedrag.signed
        if lines:
            clients.append(
                m.DeclaratieClient(Bsn=client.Bsn, Prestaties=lines, RetourCodes=["0200"])
            )
    granted = 0 if codes else d.TotaalIngediendBedrag.signed - refused
    antwoord_ = m.DeclaratieAntwoord(
        DeclaratieNummer=d.DeclaratieNummer,
        TotaalIngediendBedrag=copy.deepcopy(d.TotaalIngediendBedrag),
        TotaalToegekendBedrag=m.TotaalBedragMetDC(
            TotaalBedrag=abs(granted), DebetCredit="C" if granted < 0 else "D"
        ),
        Clienten=clients,
        RetourCodes=codes or (["0200"] if clients else ["8001"]),
    )
    return ident(m.WMO325(Header=header, DeclaratieAntwoord=antwoord_))


def add_product_codes(services: Services, categorie: str, *codes: str) -> None:
    """List product codes for a category in the service's product code list (TR381)."""
    with services.database.write() as s:
        for code in codes:
            s.add(db.ProductCode(categorie=categorie, code=code, omschrijving=code))
    services.intake.product_codes.forget()  # a running service sees it within 30 s


def administratie(who: Party) -> dict[str, Any]:
    """Everything the read API shows a party, to prove a refused message changed nothing."""
    declarations = who.get("/v1/declaraties").json()["items"]
    return {
        "toewijzingen": [
            who.get(f"/v1/toewijzingen/{a['id']}").json()
            for a in who.get("/v1/toewijzingen").json()["items"]
        ],
        "leveringen": who.get("/v1/leveringen").json()["items"],
        "verzoeken": who.get("/v1/verzoeken").json()["items"],
        "declaraties": [who.get(f"/v1/declaraties/{d['id']}").json() for d in declarations],
    }


def approved(r: Any) -> bool:
    """Fully approved: HTTP 200 and a retour of the header alone, without codes (IV028)."""
    assert r.status_code == 200, r.text
    return len(etree.fromstring(r.content)) == 1 and not retour_codes(r.content)


def verdict(body: bytes, path: str) -> str:
    """'approved' for a fully approved message (no codes anywhere), else the first code at
    ``path``."""
    codes = retour_codes(body)
    return codes[path][0] if codes else "approved"


def accepted(body: bytes) -> bool:
    """Every level of a retour says 0200 (or a WMO325 says 8001)."""
    return {c for codes in retour_codes(body).values() for c in codes} <= {"0200", "8001"}


def unlisted_municipality(app: Any, services: Services, code: str) -> Party:
    """A municipality whose code is not on the service's CBS list (as an operator may register
    one, e.g. after a reorganisation)."""
    with services.database.write() as s:
        _, key = participants.add(s, code, "municipality", code, allow_unknown_municipality=True)
    return Party(code, "municipality", TestClient(app, headers={"authorization": f"Bearer {key}"}))


def decode(body: bytes) -> Any:
    """A message (or retour) as typed objects."""
    return codec.decode(parsing.parse(body).root)


def afgewezen(body: bytes) -> dict[str, list[str]]:
    """ReferentieNummer -> RetourCodes of every line a WMO325 lists as refused."""
    a = decode(body).DeclaratieAntwoord
    return {
        p.ProductReferentie.ReferentieNummer: list(p.RetourCodes)
        for c in a.Clienten
        for p in c.Prestaties
    }


def declared_lines(who: Party) -> dict[str, tuple[str, list[str]]]:
    """ReferentieNummer -> (status, codes) of every declared line the party sees; a number
    declared twice (the repeat refused, TR314) maps to its first line."""
    found: dict[str, tuple[str, list[str]]] = {}
    for d in who.get("/v1/declaraties").json()["items"]:
        for line in who.get(f"/v1/declaraties/{d['id']}").json()["lines"]:
            found.setdefault(line["referentienummer"], (line["status"], line["retourcodes"]))
    return found
