"""``iwmo demo`` on the test database: the Amersfoort region and a year of its traffic,
scaled down to 40 clients, through the real API."""

from __future__ import annotations

import asyncio
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.administration import participants
from app.administration.db import Database
from app.api import create_app
from app.config import Settings
from app.demo import examples, population, region, scenario
from app.demo.scenario import MISTAKES, REFUSED_REQUESTS
from app.routing import contracts
from app.services import Services
from tests.routing.conftest import cli_env  # noqa: F401  (the CLI on the test database)

SUBCONTRACTORS = {"99000002", "99000003", "99000004"}
MUNICIPALITY_SENDS = {"WMO301", "WMO306", "WMO308"}
SUBCONTRACTOR_SENDS = {"WMO302", "WMO305", "WMO307"}


def demo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["demo", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("cli_env")
def test_a_year_of_the_region_and_a_second_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: Settings
) -> None:
    keys_file = tmp_path / "keys.json"
    code, out, err = demo(capsys, "--clients", "40", "--json", "--keys", str(keys_file))
    assert code == 0, err
    assert f"API keys of the 12 parties are in {keys_file}" in err

    # A key per party, in a file only its owner may read: each one logs in as its party.
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    keys = json.loads(keys_file.read_text())
    assert len(keys) == 12 and keys["0307"]["role"] == "municipality"
    assert keys["demo-operator"]["role"] == "operator"
    database = Database(settings.database_url)
    try:
        with database.read() as session:
            for code_, entry in keys.items():
                found = participants.authenticate(session, entry["key"])
                assert found is not None and found.code == code_
    finally:
        database.dispose()
    assert examples.read_keys(keys_file)["99000001"] == keys["99000001"]["key"]
    assert out.endswith("}\n") and out.count("\n") == 1  # exactly one JSON object
    s: dict[str, Any] = json.loads(out)

    assert s["participants"] == {
        "municipalities": 7,
        "main_contractors": 1,
        "subcontractors": 3,
        "operators": 1,
    }
    assert s["clients"]["total"] == 40
    assert sum(s["clients"]["per_municipality"].values()) == 40

    # Every party's messages are accounted for: what each sent is what the service
    # recorded from it, and each sends what its role sends.
    assert s["messages_by_party"] == s["service"]["received_by_party"]
    assert s["messages"] == s["service"]["received"]
    for party, sent in s["messages_by_party"].items():
        expected = SUBCONTRACTOR_SENDS if party in SUBCONTRACTORS else MUNICIPALITY_SENDS
        assert set(sent) <= expected, party
    assert set(s["messages"]) == MUNICIPALITY_SENDS | SUBCONTRACTOR_SENDS

    # The deliberate mistakes, and nothing else, were refused, each with its rules.
    assert s["unexpected"] == []
    assert set(s["planted_mistakes"]) == set(MISTAKES)
    for kind, mistake in s["planted_mistakes"].items():
        assert mistake["refused"] >= 1
        assert mistake["rules"] == list(MISTAKES[kind].rules)
    assert s["rejections"] == s["expected_rejections"]
    assert {"RT001", "RT002", "TR069", "TR074", "TR135", "TR326", "TR413"} == set(s["rejections"])
    refused = sum(m["refused"] for m in s["planted_mistakes"].values())
    assert s["rejected"] == refused == s["service"]["statuses"]["rejected"]
    assert s["accepted"] == sum(s["messages"].values()) - refused
    assert set(s["refused_requests"]) == set(REFUSED_REQUESTS)

    # Every delegation was confirmed by its subcontractor, every relay accepted by its
    # municipality, and every mailbox item fetched where needed and acknowledged.
    assert set(s["delegations"]["by_status"]) == {"confirmed"}
    assert set(s["delegations"]["by_subcontractor"]) == SUBCONTRACTORS
    assert set(s["relays"]) == {"accepted"}
    mailboxes = s["mailboxes"]
    assert mailboxes["waiting"] == 0
    assert mailboxes["delivered"] == mailboxes["acknowledged"] > 0

    # The deployment report for 2027 shows what each subcontractor delivered.
    begeleiding = s["report"]["contracts"]["amersfoort-begeleiding"]
    rows = begeleiding["rows"]
    assert {r["deliverer"] for r in rows} == SUBCONTRACTORS
    assert {r["deliverer_role"] for r in rows} == {"subcontractor"}
    accepted_starts = s["messages"]["WMO305"] - s["rejected_by_type"]["WMO305"]
    assert sum(r["starts"] for r in rows) == accepted_starts
    assert begeleiding["totals"]["cost"] > 0

    # No BSN (all start with 9999) anywhere.
    assert not re.search(r"9999\d{5}", out + err)

    # A second run on the same database is refused; with --force it adds another
    # population (other BSNs, decision numbers and identifications) to what is there.
    code, out, err = demo(capsys, "--clients", "40", "--json", "--keys", str(keys_file))
    assert (code, out) == (2, "")
    assert "already holds" in err and "--force" in err
    keys_file.chmod(0o644)  # a file there already is made private again
    code, out, err = demo(
        capsys, "--clients", "15", "--json", "--force", "--seed", "7", "--keys", str(keys_file)
    )
    assert code == 0, err
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    again = json.loads(out)
    assert again["added_to_existing_data"] is True
    assert again["unexpected"] == []
    assert again["rejections"] == again["expected_rejections"]
    assert again["messages_by_party"] == again["service"]["received_by_party"]
    assert again["mailboxes"]["waiting"] == 0

    # The sample messages fit in beside the demo's year: all accepted, with the new keys.
    services = Services.build(settings.replace(today=examples.TODAY))
    try:
        app = create_app(services.settings, services)
        send = examples.in_process(app)
        outcomes = asyncio.run(examples.post(send, examples.read_keys(keys_file)))
    finally:
        services.close()
    assert [(o.step, o.verdict) for o in outcomes if not o.accepted] == []


def test_no_planted_message_reports_a_day_after_it_is_sent() -> None:
    """Every start and stop the plan sends is dated no earlier than the day it reports
    (TR134), planted mistakes included, for the whole region: otherwise TR134 refuses a
    mistake planted for another rule. (Client 1334 of the default run once got a second
    temporary stop sent on the day the first one ended, dated a day later.)"""
    data = contracts.parse_file(region.REGION_FILE)
    contract, _ = region._contract(data)
    people = population.generate(2212, 2027)
    first = dict.fromkeys(population.MUNICIPALITIES, region.FIRST_DECISION_NUMBER)
    plans = scenario.plan(people, contract, 2027, first_numbers=first)
    early = []
    planted: dict[str, int] = {}
    for p in plans:
        for s in p.steps:
            if isinstance(s.action, scenario.Stop):
                reported = s.action.einddatum
            elif isinstance(s.action, scenario.Start):
                reported = s.action.begindatum
            else:
                continue
            if s.action.mistake:
                planted[s.action.mistake] = planted.get(s.action.mistake, 0) + 1
            if reported > s.day:
                early.append(f"client {p.client.index}: {s}")
    assert early == []
    assert planted["second_temporary_stop"] >= 3
