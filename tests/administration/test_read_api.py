"""Reading the administration: each party sees what concerns it, nobody else's."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from app.services import Services
from tests.administration.helpers import Party, party, start, toewijzing


def _setup(gemeente: Party, aanbieder: Party) -> None:
    assert gemeente.send(toewijzing(ReferentieAanbieder=None)).status_code == 200
    assert aanbieder.send(start()).status_code == 200


def test_parties_see_their_own_and_outsiders_see_nothing(
    app: Any, services: Services, gemeente: Party, aanbieder: Party, operator: Party
) -> None:
    _setup(gemeente, aanbieder)
    other_gemeente = party(app, services, "0363", "municipality")
    other_aanbieder = party(app, services, "65656055", "provider")
    for who, sees in (
        (gemeente, True),
        (aanbieder, True),
        (operator, True),
        (other_gemeente, False),
        (other_aanbieder, False),
    ):
        found = who.client.post("/v1/clienten/zoeken", json={"bsn": "999900006"}).json()
        assert (len(found) == 1) is sees, who.code
        assert (len(who.get("/v1/toewijzingen").json()["items"]) == 1) is sees, who.code
        assert (len(who.get("/v1/leveringen").json()["items"]) == 1) is sees, who.code
        assert (len(who.get("/v1/berichten").json()["items"]) > 0) is sees, who.code
    # Direct access by id is refused too, as if it did not exist.
    client_id = gemeente.client.post("/v1/clienten/zoeken", json={"bsn": "999900006"}).json()[0][
        "id"
    ]
    message_id = gemeente.get("/v1/berichten").json()["items"][0]["id"]
    for path in (
        f"/v1/clienten/{client_id}",
        f"/v1/berichten/{message_id}",
        f"/v1/berichten/{message_id}/xml",
        "/v1/toewijzingen/1",
    ):
        r = other_aanbieder.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"


def test_raw_message_and_retour_for_the_parties(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    _setup(gemeente, aanbieder)
    [first] = gemeente.get("/v1/berichten", message_type="WMO301").json()["items"]
    raw = aanbieder.get(f"/v1/berichten/{first['id']}/xml")  # the receiver may read it too
    assert raw.status_code == 200 and b"<wmo301:Bericht" in raw.content
    retour = gemeente.get(f"/v1/berichten/{first['id']}/retour")
    assert retour.status_code == 200 and b"<wmo302:Bericht" in retour.content


def test_bsn_search_needs_a_valid_bsn_in_the_body(gemeente: Party) -> None:
    r = gemeente.client.post("/v1/clienten/zoeken", json={"bsn": "12345"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_pagination_walks_every_message_once(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    for nummer in range(1, 8):
        gemeente.send(toewijzing(ReferentieAanbieder=None, ToewijzingNummer=nummer))
    seen: list[int] = []
    after = 0
    while True:
        page = gemeente.get("/v1/berichten", after=after, limit=3).json()
        seen.extend(item["id"] for item in page["items"])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert len(seen) == 14 and seen == sorted(set(seen))  # seven 301s and their 302s


def test_allocation_history_and_state_on_a_date(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    gemeente.send(toewijzing(ReferentieAanbieder=None))
    extended = toewijzing(
        ReferentieAanbieder=None,
        Einddatum=date(2024, 6, 30),
        RedenWijziging="04",
        Toewijzingsdatum=date(2023, 8, 20),
        Toewijzingstijd=time(9, 0),
    )
    extended.Header.BerichtIdentificatie.Dagtekening = date(2023, 8, 20)
    gemeente.send(extended)
    [allocation] = gemeente.get("/v1/toewijzingen").json()["items"]
    assert (allocation["version"], allocation["einddatum"]) == (2, "2024-06-30")
    detail = gemeente.get(f"/v1/toewijzingen/{allocation['id']}", peildatum="2023-08-15").json()
    assert [v["einddatum"] for v in detail["versions"]] == ["2023-12-31", "2024-06-30"]
    assert detail["as_of"]["version"] == 1
    later = gemeente.get(f"/v1/toewijzingen/{allocation['id']}", peildatum="2023-09-01").json()
    assert later["as_of"]["version"] == 2
    current = gemeente.get("/v1/toewijzingen", current_on="2024-03-01").json()["items"]
    assert [a["id"] for a in current] == [allocation["id"]]
