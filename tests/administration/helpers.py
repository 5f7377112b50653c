"""Building realistic message chains from the published examples, and an API client per
participant."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from app.administration import participants
from app.services import Services
from app.standard import codec, parsing
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
        result[element_path(owner)] = [c.text for c in container]
    return result
