"""The sample messages (`examples/`, `iwmo examples`, the request examples of
`POST /v1/berichten`): every one accepted when the demo's parties post them in order, on
the test database (SQLite, or PostgreSQL with IWMO_TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import cli
from app.api import create_app
from app.api import examples as api_examples
from app.config import Settings
from app.demo import examples, region, scenario
from app.services import Services
from app.standard import catalogue, codec, parsing
from tests.conftest import ROOT


class Region:
    """The demo's region on the test database, its parties' keys, and the service with its
    today on the examples' last day."""

    def __init__(self, settings: Settings) -> None:
        self.services = Services.build(settings.replace(today=examples.TODAY))
        parties = region.set_up(self.services.database, scenario.YEAR_START).parties
        self.keys = {code: p.key for code, p in parties.items()}
        self.app = create_app(self.services.settings, self.services)

    def client(self, code: str) -> TestClient:
        return TestClient(self.app, headers={"authorization": f"Bearer {self.keys[code]}"})


@pytest.fixture
def demo_region(settings: Settings, services: Services) -> Iterator[Region]:
    # ``services`` empties the database afterwards.
    r = Region(settings)
    yield r
    r.services.close()


def test_the_chains_are_accepted_in_order_and_again(demo_region: Region) -> None:
    assert demo_region.services.intake.today() == examples.TODAY  # IWMO_TODAY's clock
    send = examples.in_process(demo_region.app)
    first = asyncio.run(examples.post(send, demo_region.keys))
    assert [o.step for o in first] == [s.name for s in examples.steps()]
    assert [(o.step, o.verdict, o.codes) for o in first if not o.accepted] == []
    # Every message type of the standard was posted and accepted.
    posted = {s.message_type for s in examples.steps() if s.delegation is None}
    assert posted == {mt.name for mt in catalogue.ALL}

    # What the chain left: the delegation confirmed by the subcontractor, the relay
    # accepted by the municipality, the declaration granted and recorded.
    main = demo_region.client(examples.MAIN_CONTRACTOR)
    [delegation] = main.get("/v1/delegations").json()["items"]
    assert (delegation["status"], delegation["subcontractor_code"]) == ("confirmed", "99000002")
    municipality = demo_region.client(examples.MUNICIPALITY)
    [relay] = municipality.get("/v1/relays").json()["items"]
    assert relay["status"] == "accepted"
    [declaration] = municipality.get("/v1/declaraties").json()["items"]
    assert declaration["declaratienummer"] == "EX202704"
    assert declaration["totaal_toegekend"] == declaration["totaal_ingediend"] == 30 * 14_500
    assert municipality.get("/v1/berichten", params={"status": "rejected"}).json()["items"] == []

    # Posted again: the same answers, nothing applied twice.
    again = asyncio.run(examples.post(send, demo_region.keys))
    assert [o.verdict for o in again] == ["accepted"] * len(again)
    assert len(main.get("/v1/delegations").json()["items"]) == 1
    assert len(municipality.get("/v1/declaraties").json()["items"]) == 1


def _poster(xml: bytes) -> str:
    msg = codec.decode(parsing.parse(xml).root)
    mt = catalogue.of(msg)
    header = msg.Header
    # A retour keeps its original's header, so its poster is the Ontvanger; a WMO325 has
    # a header of its own, from the municipality.
    return str(header.Ontvanger if mt.is_retour and mt.name != "WMO325" else header.Afzender)


def test_every_request_example_in_the_docs_is_accepted_in_order(demo_region: Region) -> None:
    document = demo_region.app.openapi()
    content = document["paths"]["/v1/berichten"]["post"]["requestBody"]["content"]
    shown: dict[str, Any] = content["application/xml"]["examples"]
    assert list(shown) == sorted(shown)  # in posting order
    types = set()
    for name, example in shown.items():
        body = example["value"].encode()
        poster = _poster(body)
        assert poster in example["description"], name
        r = demo_region.client(poster).post(
            "/v1/berichten", content=body, headers={"content-type": "application/xml"}
        )
        assert r.status_code == 200, (name, r.text)
        if r.headers["content-type"].startswith("application/json"):
            assert r.json()["status"] == "accepted", name
        else:
            assert examples.retour_codes(r.content) == [], name
        types.add(catalogue.of(codec.decode(parsing.parse(body).root)).name)
    assert types == {mt.name for mt in catalogue.ALL}  # an example of every message type
    assert shown == api_examples.CHAIN


def test_the_examples_directory_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/ is what `iwmo examples write` writes (make it so with
    `.venv/bin/iwmo examples write examples`)."""
    assert cli.main(["examples", "write", str(ROOT / "examples"), "--check"]) == 0, (
        capsys.readouterr().err
    )


def test_examples_write_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ex"
    assert cli.main(["examples", "write", str(target)]) == 0
    assert {p.name for p in target.iterdir()} == set(examples.files())
    for name in examples.files():
        if name.endswith(".xml"):
            codec.decode(parsing.parse((target / name).read_bytes()).root)  # readable
    assert json.loads((target / "17-delegation.json").read_text())["function"] == examples.FUNCTION
    assert cli.main(["examples", "write", str(target), "--check"]) == 0
    (target / "05-WMO305-start.xml").write_bytes(b"<changed/>")
    (target / "extra.xml").write_bytes(b"<x/>")
    capsys.readouterr()
    assert cli.main(["examples", "write", str(target), "--check"]) == 1
    err = capsys.readouterr().err
    assert "05-WMO305-start.xml is out of date" in err and "extra.xml is not one" in err


def test_examples_post_reports_each_step(
    demo_region: Region,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command posts with the keys file `iwmo demo` writes and prints one line a step
    (here to the service in-process instead of over HTTP)."""
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({c: {"role": "x", "key": k} for c, k in demo_region.keys.items()}))
    urls = []

    def to_app(url: str) -> examples.Send:
        urls.append(url)
        return examples.in_process(demo_region.app)

    monkeypatch.setattr(examples, "over_http", to_app)
    args = ["examples", "post", "--url", "http://127.0.0.1:9", "--keys", str(keys), "--json"]
    assert cli.main(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert urls == ["http://127.0.0.1:9"]
    assert [x["step"] for x in lines] == [s.name for s in examples.steps()]
    assert {x["verdict"] for x in lines} == {"accepted"}

    # A keys file without a poster's key, or none at all: nothing posted, exit 2.
    keys.write_text(json.dumps({"0307": demo_region.keys["0307"]}))
    assert cli.main(["examples", "post", "--keys", str(keys)]) == 2
    assert "no key for 99000001, 99000002" in capsys.readouterr().err
    assert cli.main(["examples", "post", "--keys", str(tmp_path / "none.json")]) == 2
    keys.write_text("[1]")
    assert cli.main(["examples", "post", "--keys", str(keys)]) == 2


def test_on_an_earlier_today_the_later_messages_are_refused(
    demo_region: Region,
) -> None:
    """On a today before the examples' dates (as on the real one before 2028), messages
    dated after it are refused (TR135), and the steps that need them are not posted."""
    early = Settings(
        database_url=demo_region.services.settings.database_url,
        secret_key=demo_region.services.settings.secret_key,
        today=date(2027, 3, 1),
    )
    services = Services.build(early)
    try:
        app = create_app(early, services)
        outcomes = asyncio.run(examples.post(examples.in_process(app), demo_region.keys))
    finally:
        services.close()
    assert outcomes[0].accepted  # dated 1 March
    refused = {o.step: o for o in outcomes if not o.accepted}
    assert refused["03-WMO301-allocation"].codes == ["8848"]  # dated 8 March: TR135
    assert refused["20-WMO306-relay-retour"].verdict.startswith("not posted: ")
    assert all(o.codes == ["8848"] for o in refused.values() if o.codes)
