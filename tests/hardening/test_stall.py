"""No message can hold a worker: schema checks cost time in proportion to the input,
findings are capped and counted, judging has a time budget, ``iwmo reprocess`` sets aside
what keeps failing, and ``/readyz`` turns red while a request is stuck.

Nothing here asserts a time: the cost of a check is counted in function calls, which a
quadratic algorithm multiplies and a linear one does not.
"""

from __future__ import annotations

import cProfile
import pstats
import re
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from app.administration import models as db
from app.api import create_app
from app.cli import main
from app.config import Settings
from app.intake import Intake
from app.intake.judge import Judge
from app.services import Services
from app.standard import catalogue, parsing
from app.standard.scan import Budget
from app.standard.schema import Schemas
from app.validation import STREAM_ABOVE, Validator
from tests.administration.helpers import Party, approved, party, toewijzing, xml
from tests.conftest import OUTBOUND, reference_dir
from tests.mutants import mutants

XML = {"content-type": "application/xml"}


def declaration_with_bad_clients(count: int) -> bytes:
    """The published WMO323 with ``count`` clients, each with a BSN of the wrong form: one
    schema error per client, in one long list."""
    root = etree.fromstring((reference_dir() / "examples" / "WMO323.xml").read_bytes())
    clients = root.find(".//{*}Clienten")
    assert clients is not None
    model = clients[0]
    for child in list(clients):
        clients.remove(child)
    for _ in range(count):
        client = etree.fromstring(etree.tostring(model))
        bsn = client.find("{*}Bsn")
        assert bsn is not None
        bsn.text = "x"
        clients.append(client)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def calls(validator: Validator, data: bytes) -> int:
    profile = cProfile.Profile()
    profile.enable()
    validator.check(data)
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


# --- cost linear in the input ---------------------------------------------------------------


def test_many_schema_errors_cost_in_proportion_to_their_number(validator: Validator) -> None:
    small = calls(validator, declaration_with_bad_clients(300))
    large = calls(validator, declaration_with_bad_clients(1200))
    # Four times the errors: about four times the work, not sixteen.
    assert large < 5 * small, (small, large)


def test_findings_are_capped_and_the_rest_counted(validator: Validator) -> None:
    report = validator.check(declaration_with_bad_clients(250))
    assert not report.schema_valid
    assert len(report.findings) == validator.settings.max_findings == 100
    assert report.omitted == 150 and report.complete
    assert report.findings[0].path == "/Bericht/Declaratie/Clienten/Client[1]/Bsn"
    assert report.findings[99].path == "/Bericht/Declaratie/Clienten/Client[100]/Bsn"
    shown, omitted = report.listed(100)
    assert (len(shown), omitted) == (100, 150)


def test_the_cap_is_a_setting(validator: Validator) -> None:
    few = Validator(validator.settings.replace(max_findings=3), schemas=validator.schemas)
    report = few.check(declaration_with_bad_clients(40))
    assert [f.path.rsplit("/", 2)[1] for f in report.findings] == [
        "Client[1]",
        "Client[2]",
        "Client[3]",
    ]
    assert report.omitted == 37


def test_reading_stops_past_a_ceiling_and_says_so(validator: Validator) -> None:
    few = Validator(validator.settings.replace(max_findings=1), schemas=validator.schemas)
    report = few.check(declaration_with_bad_clients(1500))
    assert len(report.findings) == 1
    assert not report.complete  # stopped after 1,000 errors: at least that many
    assert report.omitted == 999
    assert report.as_json()["findings_complete"] is False


def test_a_small_message_caps_its_findings_too(validator: Validator) -> None:
    data = (reference_dir() / "examples" / "WMO301.xml").read_bytes()
    data = re.sub(rb">(\d{4}-\d{2}-\d{2})<", b">2023-13-01<", data)
    assert len(data) <= STREAM_ABOVE
    few = Validator(validator.settings.replace(max_findings=2), schemas=validator.schemas)
    report = few.check(data)
    everything = validator.check(data)
    assert len(everything.findings) > 2
    assert report.findings == everything.findings[:2]
    assert report.omitted == len(everything.findings) - 2


@pytest.mark.parametrize("name", OUTBOUND)
def test_checking_while_reading_finds_what_checking_a_tree_finds(
    name: str, examples: dict[str, bytes], schemas: Schemas
) -> None:
    """Large messages are checked while read, small ones as a tree: on 300 mutants of each
    published example both give the same findings, in the same order, with the same paths
    and reasons."""
    mt = catalogue.get(name)
    compared = 0
    for what, root in mutants(examples[name], 5 + OUTBOUND.index(name), 300):
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        try:
            tree = parsing.parse(data).root
        except parsing.MessageError:
            continue
        as_tree = schemas.check_tree(tree, mt, limit=100)
        while_read = schemas.check_stream(
            data,
            mt,
            limit=100,
            ceiling=10_000,
            budget=Budget.unlimited(),
            max_attributes=parsing.MAX_ATTRIBUTES,
            max_namespaces=parsing.MAX_NAMESPACES,
        )
        assert [(f.path, f.message) for f in while_read.findings] == [
            (f.path, f.message) for f in as_tree.findings
        ], what
        assert while_read.errors == as_tree.errors, what
        compared += 1
    assert compared >= 250


# --- the time budget ------------------------------------------------------------------------


def test_a_message_past_the_budget_is_refused_with_a_clear_finding(
    settings: Settings, services: Services
) -> None:
    svc = Services.build(settings.replace(judge_seconds=1e-9))
    try:
        gemeente = party(create_app(svc.settings, svc), svc, "0384", "municipality")
        party(create_app(svc.settings, svc), svc, "42420001", "provider")
        r = gemeente.send(toewijzing(ReferentieAanbieder=None))
    finally:
        svc.close()
    assert r.status_code == 422
    problem = r.json()
    assert problem["type"] == "urn:iwmo-hub:problem:timeout"
    [finding] = problem["findings"]
    assert finding["rule"] == "TIME" and "allowed for one message" in finding["message"]


def test_judging_past_the_budget_refuses_the_message_as_a_whole(
    settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget runs out while the message is judged against the administration: the
    judging is rolled back and the sender gets a header-only retour with 0001."""
    svc = Services.build(settings.replace(judge_seconds=0.2))
    app = create_app(svc.settings, svc)
    gemeente = party(app, svc, "0384", "municipality")
    aanbieder = party(app, svc, "42420001", "provider")
    real = Judge.context

    def slow_context(self: Judge, *args: Any) -> Any:
        time.sleep(0.3)  # a judging that takes longer than the budget
        return real(self, *args)

    monkeypatch.setattr(Judge, "context", slow_context)
    try:
        r = gemeente.send(toewijzing(ReferentieAanbieder=None))
        assert r.status_code == 200
        answer = etree.fromstring(r.content)
        assert [c.text for c in answer.iterfind("{*}Header/{*}RetourCodes/{*}RetourCode")] == [
            "0001"
        ]
        message_id = int(r.headers["location"].rsplit("/", 1)[1])
        seen = gemeente.get(f"/v1/berichten/{message_id}").json()
        assert seen["status"] == "rejected"
        assert [f["rule"] for f in seen["findings"]] == ["TIME"]
        assert aanbieder.get("/v1/toewijzingen").json()["items"] == []  # nothing applied
    finally:
        svc.close()


# --- reprocessing never blocks ----------------------------------------------------------------


def _status(services: Services, message_id: int) -> tuple[str, int]:
    with services.database.read() as s:
        row = s.execute(
            select(db.Message.status, db.Message.attempts).where(db.Message.id == message_id)
        ).one()
    return str(row[0]), int(row[1])


def test_reprocess_sets_aside_a_message_that_keeps_failing(
    settings: Settings,
    services: Services,
    gemeente: Party,
    aanbieder: Party,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IWMO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("IWMO_SECRET_KEY", settings.secret_key or "")
    broken = {"on": True}
    real = Judge.context

    def crash(self: Judge, *args: Any) -> Any:
        if broken["on"]:
            raise RuntimeError("a fault in the service while judging")
        return real(self, *args)

    monkeypatch.setattr(Judge, "context", crash)
    body = xml(toewijzing(ReferentieAanbieder=None))
    with pytest.raises(RuntimeError):
        gemeente.send(body)
    [message] = _messages(services)
    assert _status(services, message) == ("received", 1)

    def reprocess(*extra: str) -> str:
        capsys.readouterr()
        assert main(["reprocess", "--older-than", "0", *extra]) == 0  # never fails start-up
        return capsys.readouterr().err

    assert "1 failed" in reprocess()
    assert _status(services, message) == ("received", 2)
    assert "1 failed" in reprocess()
    assert _status(services, message) == ("received", 3)
    assert "1 set aside" in reprocess()  # three attempts failed: set aside
    assert _status(services, message)[0] == "set_aside"
    assert "none waiting" in reprocess()  # and not tried again
    # The sender, sending again, is told the service could not judge it.
    r = gemeente.send(body)
    assert r.status_code == 422 and r.json()["type"] == "urn:iwmo-hub:problem:set_aside"

    broken["on"] = False  # the fault was fixed
    assert "1 HTTP 200" in reprocess("--retry-set-aside")
    assert _status(services, message)[0] == "accepted"


def test_reprocess_stops_starting_messages_after_its_time(
    settings: Settings,
    services: Services,
    gemeente: Party,
    aanbieder: Party,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("IWMO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("IWMO_SECRET_KEY", settings.secret_key or "")
    monkeypatch.setattr(Judge, "context", _raises)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            gemeente.send(toewijzing(ReferentieAanbieder=None))
    capsys.readouterr()
    assert main(["reprocess", "--older-than", "0", "--max-seconds", "0"]) == 0
    assert "3 left for the next run" in capsys.readouterr().err


def _raises(*args: Any) -> Any:
    raise RuntimeError("a fault in the service while judging")


def _messages(services: Services) -> list[int]:
    with services.database.read() as s:
        return list(s.scalars(select(db.Message.id).where(db.Message.direction == "in")))


# --- readiness ------------------------------------------------------------------------------


def test_readiness_turns_red_while_a_request_is_stuck(
    settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings.replace(stall_seconds=0.2), services)
    gemeente = party(app, services, "0384", "municipality")
    party(app, services, "42420001", "provider")
    probe = TestClient(app)
    assert probe.get("/readyz").json() == {"status": "ok"}
    release = threading.Event()
    real = Intake.receive

    def stuck(self: Intake, *args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Intake, "receive", stuck)
    sender = threading.Thread(target=gemeente.send, args=(toewijzing(ReferentieAanbieder=None),))
    sender.start()
    try:
        for _ in range(100):
            r = probe.get("/readyz")
            if r.status_code == 503:
                break
            time.sleep(0.05)
        assert r.status_code == 503
        assert r.json()["status"].startswith("stalled")
    finally:
        release.set()
        sender.join(10)
    assert probe.get("/readyz").status_code == 200  # ready again once it is done


def test_a_sender_sending_again_while_waiting_counts_an_attempt(
    services: Services, gemeente: Party, aanbieder: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Judge, "context", _raises)
    body = xml(toewijzing(ReferentieAanbieder=None))
    for _ in range(2):
        with pytest.raises(RuntimeError):
            gemeente.send(body)
    [message] = _messages(services)
    assert _status(services, message) == ("received", 2)
    monkeypatch.undo()
    assert approved(gemeente.send(body))
