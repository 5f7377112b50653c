"""The ingest pipeline: store first, answer always, apply all or nothing, never twice."""

from __future__ import annotations

import copy
import logging
from datetime import date

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select

from app import retour
from app.administration import models as db
from app.findings import Finding
from app.services import Services
from tests.administration.helpers import (
    BSN,
    Party,
    approved,
    retour_codes,
    start,
    stop,
    toewijzing,
    xml,
)
from tests.conftest import reference_dir


def count(services: Services, model: type) -> int:
    with services.database.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def messages(services: Services) -> list[db.Message]:
    with services.database.read() as s:
        return list(s.scalars(select(db.Message).order_by(db.Message.id)))


def test_same_bytes_twice_answer_the_same_and_change_nothing(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    body = xml(toewijzing(ReferentieAanbieder=None))
    first = gemeente.send(body)
    second = gemeente.send(body)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["x-iwmo-replayed"] == "true"
    assert count(services, db.ToewijzingVersie) == 1
    assert [m.message_type for m in messages(services)] == ["WMO301", "WMO302"]


def test_same_identification_other_content_gets_9056(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    msg = toewijzing(ReferentieAanbieder=None)
    assert gemeente.send(msg).status_code == 200
    msg.Client.ToegewezenProducten[0].Einddatum = date(2023, 11, 30)  # other content
    r = gemeente.send(msg)
    codes = retour_codes(r.content)
    assert codes == {"/Bericht/Header": ["9056"]}  # header only: refused as a whole
    with services.database.read() as s:
        allocation = s.scalar(select(db.Toewijzing))
        assert allocation is not None and allocation.einddatum == date(2023, 12, 31)


def test_raw_message_is_stored_first_even_when_unreadable(
    services: Services, gemeente: Party
) -> None:
    r = gemeente.send(b"<wmo301:Bericht")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "urn:iwmo-hub:problem:not_well_formed"
    assert "line 1" in problem["detail"]
    [row] = messages(services)
    assert (row.status, row.problem) == ("unreadable", "not_well_formed")
    assert services.vault.decrypt(row.raw_encrypted, b"message") == b"<wmo301:Bericht"


def test_schema_invalid_message_gets_a_problem_not_a_retour(
    services: Services, gemeente: Party
) -> None:
    body = (reference_dir() / "examples" / "WMO301.xml").read_bytes()
    bad = body.replace(b"<iwmo:Volume>10", b"<iwmo:Volume>ten")
    r = gemeente.send(bad)
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "IB014"
    [finding] = problem["findings"]
    assert finding["rule"] == "XSD"
    assert finding["path"].endswith("/Omvang/Volume")
    [row] = messages(services)
    assert (row.message_type, row.sender_code, row.status) == ("WMO301", "0384", "rejected")


@pytest.mark.parametrize("where", ["/Bericht/Header", "/Bericht/Client"])
def test_schema_invalid_retour_gets_a_problem_with_findings(
    services: Services, gemeente: Party, aanbieder: Party, where: str
) -> None:
    """A WMO302 with a bad return code, in its header or in a class, is refused with its
    schema findings (explaining them once failed with a server error)."""
    allocation = toewijzing(ReferentieAanbieder=None)
    judged = retour.build(allocation, [Finding("TR000", "9326", "/Bericht/Client", "refused")])
    tree = etree.fromstring(xml(judged))
    level = where.rsplit("/", 1)[1]
    found = tree.xpath(f"/*/*[local-name()='{level}']/*[local-name()='RetourCodes']/*")
    assert isinstance(found, list)
    [code] = found
    assert isinstance(code, etree._Element)
    code.text = "12345"  # too long, and no WJ001 code
    r = aanbieder.send(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "urn:iwmo-hub:problem:schema"
    assert [(f["rule"], f["path"]) for f in problem["findings"]] == [
        ("XSD", f"{where}/RetourCodes/RetourCode[1]")
    ]
    [row] = messages(services)
    assert (row.message_type, row.status) == ("WMO302", "rejected")


def test_message_rule_failure_refuses_the_whole_message(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    msg = toewijzing(ReferentieAanbieder=None, Omvang=None)  # CD041: Code without Omvang
    r = gemeente.send(msg)
    assert retour_codes(r.content) == {"/Bericht/Header": ["0001"]}
    assert count(services, db.Toewijzing) == 0
    assert messages(services)[0].findings[0]["rule"] == "CD041"


def test_sender_must_be_the_authenticated_participant(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    r = aanbieder.send(toewijzing())  # a 301 names municipality 0384 as Afzender
    assert r.status_code == 403
    assert r.json()["code"] == "IB008"
    [row] = messages(services)
    assert row.status == "forbidden"


def test_receiver_must_be_a_participant(services: Services, gemeente: Party) -> None:
    r = gemeente.send(toewijzing())  # 42420001 is not registered in this test
    assert r.status_code == 422
    assert r.json()["code"] == "IB010"


def test_wrong_content_type_is_stored_and_refused(services: Services, gemeente: Party) -> None:
    body = xml(toewijzing())
    r = gemeente.client.post("/v1/berichten", content=body, headers={"content-type": "text/plain"})
    assert r.status_code == 415
    [row] = messages(services)
    assert row.problem == "media_type"


def test_refusals_about_how_it_was_sent_do_not_stick(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    body = xml(toewijzing(ReferentieAanbieder=None))
    r = gemeente.client.post("/v1/berichten", content=body, headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert gemeente.send(body).status_code == 200  # same bytes, now sent properly


def test_authentication_is_required(anonymous: TestClient) -> None:
    r = anonymous.post(
        "/v1/berichten", content=b"<x/>", headers={"content-type": "application/xml"}
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = anonymous.post(
        "/v1/berichten",
        content=b"<x/>",
        headers={"content-type": "application/xml", "authorization": "Bearer iwmo_nonsense"},
    )
    assert r.status_code == 401


def test_bsn_is_never_stored_or_logged_in_plain_text(
    services: Services, gemeente: Party, aanbieder: Party, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gemeente.send(toewijzing(ReferentieAanbieder=None))
    aanbieder.send(start())
    with services.database.read() as s:
        conn = s.connection()
        for table in db.Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        assert BSN.encode() not in value, table.name
                    else:
                        assert BSN not in str(value), table.name
        client = s.scalar(select(db.Client))
        assert client is not None
        assert services.vault.decrypt(client.bsn_encrypted, b"bsn") == BSN.encode()
    for record in caplog.records:
        assert BSN not in record.getMessage()
        assert "Wit" not in record.getMessage()


def test_a_refused_message_changes_nothing(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    gemeente.send(toewijzing(ReferentieAanbieder=None))
    # Two lines: the first is fine, the second refers to no allocation: neither is applied.
    msg = start()
    second = copy.deepcopy(msg.Client.StartProducten[0])
    second.ToewijzingNummer = 555
    msg.Client.StartProducten.append(second)
    codes = retour_codes(aanbieder.send(msg).content)
    assert codes["/Bericht/Client/StartProducten/StartProduct[1]"] == ["0200"]
    assert codes["/Bericht/Client/StartProducten/StartProduct[2]"] == ["9019"]
    assert count(services, db.Start) == 0
    assert count(services, db.LeveringEvent) == 0


def test_withdraw_and_replace_a_stop_in_one_message(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    # Case 4 of the published cases: the wrong reason is withdrawn and replaced at once.
    gemeente.send(toewijzing(ReferentieAanbieder=None))
    aanbieder.send(start())
    aanbieder.send(stop("22", date(2023, 6, 17)))
    msg = stop("22", date(2023, 6, 17), status="3")
    replacement = stop("19", date(2023, 6, 17)).Client.StopProducten[0]
    msg.Client.StopProducten.append(replacement)
    assert approved(aanbieder.send(msg))
    [delivery] = aanbieder.get("/v1/leveringen").json()["items"]
    assert [(s["reden_beeindiging"], s["deleted"]) for s in delivery["stops"]] == [
        ("22", True),
        ("19", False),
    ]
    assert [(e["kind"], e["status_aanlevering"]) for e in delivery["history"]] == [
        ("start", "1"),
        ("stop", "1"),
        ("stop", "3"),
        ("stop", "1"),
    ]


def test_restart_after_a_temporary_stop(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    gemeente.send(toewijzing(ReferentieAanbieder=None))
    aanbieder.send(start())
    assert retour_codes(aanbieder.send(start(begindatum=date(2023, 2, 1))).content)[
        "/Bericht/Client/StartProducten/StartProduct[1]"
    ] == ["9326"]  # still running
    aanbieder.send(stop("20", date(2023, 3, 1)))
    assert approved(aanbieder.send(start(begindatum=date(2023, 4, 1))))
    assert len(aanbieder.get("/v1/leveringen").json()["items"]) == 2


# --- schema-valid, but not representable -------------------------------------------------------


def test_a_date_after_9999_is_refused_whole_with_a_header_only_retour(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    """xs:date allows the year 12023, the service cannot hold it: the message is refused
    for technical reasons (0001) with a retour built from its header, not a server error."""
    body = xml(start()).replace(b">2023-01-05<", b">12023-01-05<", 1)
    r = aanbieder.send(body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/xml"
    assert retour_codes(r.content) == {"/Bericht/Header": ["0001"]}
    assert b"<wmo306:BerichtCode>419<" in r.content
    [received, answer] = messages(services)
    assert (received.status, received.message_type, answer.message_type) == (
        "rejected",
        "WMO305",
        "WMO306",
    )
    assert [f["rule"] for f in received.findings] == ["CODEC"]
    assert received.sender_code == aanbieder.code
    assert count(services, db.Start) == 0
    again = aanbieder.send(body)
    assert again.content == r.content and again.headers["x-iwmo-replayed"] == "true"


def test_a_date_after_9999_in_the_header_gets_a_problem(
    services: Services, gemeente: Party, aanbieder: Party
) -> None:
    """Without a readable header there is no retour to build: 422, as for a schema error."""
    body = xml(start()).replace(b">2023-08-14<", b">12023-08-14<", 1)
    r = aanbieder.send(body)
    assert r.status_code == 422
    problem = r.json()
    assert problem["type"] == "urn:iwmo-hub:problem:unrepresentable"
    assert [f["rule"] for f in problem["findings"]] == ["CODEC"]
    assert "12023-08-14" in problem["detail"]
    assert [m.status for m in messages(services)] == ["rejected"]
