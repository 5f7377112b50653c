"""The acceptance scenario: the published WMO301, a start for it, a temporary and then a
definitive stop; every retour validates and carries the right codes, and the administration
shows the whole history."""

from __future__ import annotations

from datetime import date

from app.services import Services
from app.standard import catalogue, parsing
from tests.administration.helpers import Party, approved, retour_codes, start, stop, xml
from tests.conftest import reference_dir


def valid_retour(services: Services, body: bytes, name: str) -> None:
    parsed = parsing.parse(body)
    assert parsed.message_type is catalogue.get(name)
    assert services.validator.schemas.validate(parsed.root, parsed.message_type) == []


def test_allocation_start_temporary_and_definitive_stop(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    # The provider first asks for the care (the published 315, references 42420001 and
    # 42420002); the published 301 then grants reference 42420002.
    r = aanbieder.send((reference_dir() / "examples" / "WMO315.xml").read_bytes())
    assert r.status_code == 200, r.text
    valid_retour(services, r.content, "WMO316")
    assert approved(r)

    published = (reference_dir() / "examples" / "WMO301.xml").read_bytes()
    r = gemeente.send(published)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    valid_retour(services, r.content, "WMO302")
    assert approved(r)

    r = aanbieder.send(start())
    assert r.status_code == 200
    valid_retour(services, r.content, "WMO306")
    assert approved(r)

    r = aanbieder.send(stop("20", date(2023, 6, 20)))
    valid_retour(services, r.content, "WMO308")
    assert approved(r)

    # A second temporary stop is refused (TR413); the definitive one is accepted.
    r = aanbieder.send(stop("20", date(2023, 6, 27)))
    valid_retour(services, r.content, "WMO308")
    assert retour_codes(r.content)["/Bericht/Client/StopProducten/StopProduct[1]"] == ["9413"]
    r = aanbieder.send(stop("23", date(2023, 6, 20)))
    valid_retour(services, r.content, "WMO308")
    assert approved(r)

    # The administration, as the municipality sees it.
    [client] = gemeente.client.post("/v1/clienten/zoeken", json={"bsn": "999900006"}).json()
    overview = gemeente.get(f"/v1/clienten/{client['id']}").json()
    [allocation] = overview["allocations"]
    assert (allocation["nummer"], allocation["product_code"], allocation["provider_code"]) == (
        101,
        "01A01",
        "42420001",
    )
    [delivery] = overview["deliveries"]
    assert delivery["begindatum"] == "2023-01-05"
    assert [(s["reden_beeindiging"], s["temporary"], s["deleted"]) for s in delivery["stops"]] == [
        ("20", True, False),
        ("23", False, False),
    ]
    assert [(e["kind"], e["status_aanlevering"]) for e in delivery["history"]] == [
        ("start", "1"),
        ("stop", "1"),
        ("stop", "1"),
    ]
    assert [(r["referentie_aanbieder"], r["status"]) for r in overview["requests"]] == [
        ("42420001", "open"),
        ("42420002", "toegewezen"),
    ]
    messages = gemeente.get("/v1/berichten", client_id=client["id"]).json()["items"]
    assert [(x["message_type"], x["status"]) for x in messages] == [
        ("WMO315", "accepted"),
        ("WMO301", "accepted"),
        ("WMO305", "accepted"),
        ("WMO307", "accepted"),
        ("WMO307", "rejected"),
        ("WMO307", "accepted"),
    ]
    assert overview["message_ids"] == [x["id"] for x in messages]
    rejected = messages[4]
    assert rejected["findings"][0]["rule"] == "TR413"


def test_start_without_allocation_is_refused_and_changes_nothing(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    r = aanbieder.send(start(nummer=999))
    assert retour_codes(r.content)["/Bericht/Client/StartProducten/StartProduct[1]"] == ["9019"]
    assert aanbieder.get("/v1/leveringen").json()["items"] == []
    assert callable(xml)  # the helper is the one the scenario uses
