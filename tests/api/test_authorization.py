"""Who may do what: every endpoint of the application, for every role, over a region with
real data (see ``conftest.py``).

The rule: what you may not see does not exist for you (404, never 403, so that an id reveals
nothing); what you may see but not do is refused (403); your role's refusals (an operator
sends no message, a plain provider gets no deployment report) are 403 whatever the id. Lists
show only what concerns you. Nobody sends a message in another party's name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.standard import codec
from tests.administration.helpers import (
    OTHER_BSN,
    administratie,
    start,
    toegewezen,
    toewijzingen,
)
from tests.api.conftest import (
    DECISION,
    GEMEENTE,
    MAIN,
    OTHER_GEMEENTE,
    ROLES,
    SUB,
    TODAY,
    World,
    endpoints,
)

# --- the matrix -------------------------------------------------------------------------------


def _foreign_message(world: World, role: str) -> dict[str, Any]:
    """A message whose sender is another party than the role's own."""
    if role in ("gemeente", "gemeente2", "operator", "anonymous"):
        afzender = OTHER_GEMEENTE if role == "gemeente" else GEMEENTE
        msg: Any = toewijzingen(
            toegewezen(DECISION + 1, Ingangsdatum=date(2027, 1, 1), Einddatum=date(2027, 12, 31)),
            gemeente=afzender,
            aanbieder=MAIN,
            dagtekening=TODAY,
        )
    else:
        afzender = {"main": SUB, "sub": MAIN, "sub2": SUB, "provider": MAIN}[role]
        msg = start(nummer=900_000_000, gemeente=GEMEENTE, aanbieder=afzender)
    return {"content": codec.to_bytes(msg), "headers": {"content-type": "application/xml"}}


def _delegation(world: World, role: str) -> dict[str, Any]:
    body = {"decision_id": world.ids["decision"], "function": "begeleiding-in2"}
    return {"json": {**body, "subcontractor": SUB, "begindatum": "2027-02-01"}}


def _catalogue(world: World, role: str) -> dict[str, Any]:
    function = {"key": "f1", "name": "F1", "categorie": "02", "code": "02N01"}
    return {"json": {"key": "matrix", "version": 1, "name": "Matrix", "functions": [function]}}


def _contract(world: World, role: str) -> dict[str, Any]:
    return {"json": world["operator"].get("/v1/contracts/amersfoort-beschermd-wonen").json()}


def _json(body: dict[str, Any]) -> Callable[[World, str], dict[str, Any]]:
    return lambda world, role: {"json": body}


Send = Callable[[World, str], dict[str, Any]]
NOTHING: Send = lambda world, role: {}  # noqa: E731

# The request: method, URL (`{name}` is the id of that name in the world), what it sends.
# The statuses, in the order of ROLES:  anonymous, gemeente (0307), gemeente2 (0308),
# main (main contractor), sub (subcontractor A), sub2 (subcontractor B), provider, operator.
PUBLIC = "200 200 200 200 200 200 200 200"
PARTIES = "401 200 200 200 200 200 200 200"
OPS = "401 403 403 403 403 403 403 {}"
DECIDED = "401 200 404 200 404 404 404 200"  # the municipality and the main contractor
CHAIN = "401 200 404 200 200 404 404 200"  # ... and the subcontractor
DIRECT = "401 200 404 404 404 404 200 200"  # the municipality and the plain provider
DEPLOYMENT = "/v1/reports/deployment?from=2027-01-01&to=2027-03-31"
MATRIX: list[tuple[str, str, str, Send]] = [
    # The application's own pages and probes: public (/metrics without IWMO_METRICS_TOKEN).
    ("GET", "/openapi.json", PUBLIC, NOTHING),
    ("GET", "/docs", PUBLIC, NOTHING),
    ("GET", "/redoc", PUBLIC, NOTHING),
    ("GET", "/docs/assets/swagger-ui-bundle.js", PUBLIC, NOTHING),
    ("GET", "/healthz", PUBLIC, NOTHING),
    ("GET", "/readyz", PUBLIC, NOTHING),
    ("GET", "/metrics", PUBLIC, NOTHING),
    ("POST", "/v1/validate", PUBLIC, lambda world, role: {"content": b"<x/>"}),
    # Messages: sent in your own name only; read when you sent, received or were given them.
    ("POST", "/v1/berichten", "401 403 403 403 403 403 403 403", _foreign_message),
    ("GET", "/v1/berichten", PARTIES, NOTHING),
    ("GET", "/v1/berichten/{decision_message}", DECIDED, NOTHING),
    ("GET", "/v1/berichten/{sub_start_message}", CHAIN, NOTHING),
    ("GET", "/v1/berichten/{decision_message}/xml", DECIDED, NOTHING),
    ("GET", "/v1/berichten/{decision_message}/retour", DECIDED, NOTHING),
    # The administration: the parties to each thing.
    ("POST", "/v1/clienten/zoeken", PARTIES, _json({"bsn": "999900006"})),
    ("GET", "/v1/clienten/{client}", CHAIN, NOTHING),
    ("GET", "/v1/clienten/{direct_client}", DIRECT, NOTHING),
    ("GET", "/v1/toewijzingen", PARTIES, NOTHING),
    ("GET", "/v1/toewijzingen/{decision_allocation}", DECIDED, NOTHING),
    ("GET", "/v1/toewijzingen/{delegated_allocation}", "401 200 404 404 200 404 404 200", NOTHING),
    ("GET", "/v1/toewijzingen/{direct_allocation}", DIRECT, NOTHING),
    ("GET", "/v1/leveringen", PARTIES, NOTHING),
    ("GET", "/v1/verzoeken", PARTIES, NOTHING),
    ("GET", "/v1/productcodes", PARTIES, NOTHING),
    ("GET", f"/v1/productcodes?gemeente={GEMEENTE}", PARTIES, NOTHING),
    (
        "PUT",
        "/v1/productcodes",
        OPS.format(200),
        _json({"gemeente": OTHER_GEMEENTE, "codes": [{"categorie": "02", "code": "02N09"}]}),
    ),
    ("GET", "/v1/declaraties", PARTIES, NOTHING),
    ("GET", "/v1/declaraties/{declaration}", DIRECT, NOTHING),
    # Mailboxes: item ids count per recipient; only the main contractor has this many.
    ("GET", "/v1/mailbox", PARTIES, NOTHING),
    ("GET", f"/v1/mailbox?recipient={SUB}", "401 403 403 403 200 403 403 200", NOTHING),
    ("GET", "/v1/mailbox/{main_last_item}", "401 404 404 200 404 404 404 404", NOTHING),
    ("POST", "/v1/mailbox/{main_last_item}/ack", "401 404 404 204 404 404 404 404", NOTHING),
    # Decisions, delegations, relays: 404 unless you see it, 403 when you see but may not act.
    ("GET", "/v1/decisions", PARTIES, NOTHING),
    ("POST", "/v1/delegations", "401 403 404 201 404 404 404 403", _delegation),
    ("GET", "/v1/delegations", PARTIES, NOTHING),
    ("GET", "/v1/delegations/{delegation}", CHAIN, NOTHING),
    ("PATCH", "/v1/delegations/{delegation}", "401 403 404 200 403 404 404 403",
     _json({"einddatum": "2027-06-30"})),
    ("DELETE", "/v1/delegations/{delegation2}", "401 403 404 200 403 404 404 403", NOTHING),
    ("GET", "/v1/relays", PARTIES, NOTHING),
    ("GET", "/v1/relays/{relay}", CHAIN, NOTHING),
    ("POST", "/v1/relays/{relay}/resend", "401 403 404 409 403 404 404 409", NOTHING),
    # Management: every party reads, operators change.
    ("GET", "/v1/participants", PARTIES, NOTHING),
    ("POST", "/v1/participants", OPS.format(201),
     _json({"code": "99000009", "role": "provider", "name": "New"})),
    ("POST", "/v1/participants/99000004/key", OPS.format(200), NOTHING),
    ("PATCH", "/v1/participants/99000004", OPS.format(200), _json({"name": "Sub C"})),
    ("GET", "/v1/catalogues", PARTIES, NOTHING),
    ("GET", "/v1/catalogues/amersfoort-wmo/1", PARTIES, NOTHING),
    ("POST", "/v1/catalogues", OPS.format(201), _catalogue),
    ("GET", "/v1/contracts", PARTIES, NOTHING),
    ("GET", "/v1/contracts/amersfoort-begeleiding", "401 200 200 200 200 200 404 200", NOTHING),
    ("GET", "/v1/contracts/amersfoort-beschermd-wonen", "401 200 200 200 404 404 404 200",
     NOTHING),
    ("PUT", "/v1/contracts/amersfoort-beschermd-wonen", OPS.format(200), _contract),
    # The deployment report: contract parties; a municipality for itself only.
    ("GET", DEPLOYMENT, "401 200 200 200 200 200 403 200", NOTHING),
    ("GET", f"{DEPLOYMENT}&municipality=0307", "401 200 403 200 200 200 403 200", NOTHING),
    ("GET", f"{DEPLOYMENT}&contract=amersfoort-beschermd-wonen", "401 200 200 200 404 404 403 200",
     NOTHING),
]  # fmt: skip


def _template(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)))


def test_the_matrix_covers_every_endpoint(app: Any) -> None:
    """A new endpoint needs its row here before this test passes."""
    served = {(method, path) for method, path, _ in endpoints(app)}
    # Any id will do to see which route a URL reaches.
    urls = {(method, url.format_map(defaultdict(lambda: "1")).partition("?")[0])
            for method, url, _, _ in MATRIX}  # fmt: skip
    covered = {
        (method, path)
        for method, path in served
        for probe_method, url in urls
        if method == probe_method and _template(path).fullmatch(url)
    }
    assert served - covered == set(), "endpoints without a row in the matrix"
    for method, url in urls:
        assert any(m == method and _template(p).fullmatch(url) for m, p in served), url
    for row in MATRIX:
        assert len(row[2].split()) == len(ROLES), row


def test_every_endpoint_for_every_role(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IWMO_METRICS_TOKEN", raising=False)
    ids = world.ids
    mailboxes = {role: world[role].get("/v1/mailbox").json()["items"] for role in ROLES[1:]}
    ids["main_last_item"] = mailboxes["main"][-1]["id"]
    others = [item["id"] for role, items in mailboxes.items() if role != "main" for item in items]
    assert max(others) < ids["main_last_item"], "the probe needs an item only main has"

    wrong = []
    for method, url, statuses, send in MATRIX:
        target = url.format(**ids)
        for role, expected in zip(ROLES, statuses.split(), strict=True):
            client = world.anonymous if role == "anonymous" else world[role].client
            r = client.request(method, target, **send(world, role))
            if str(r.status_code) != expected:
                wrong.append(f"{method} {target} as {role}: {r.status_code}, expected {expected}")
            elif r.status_code >= 400 and target.startswith("/v1"):
                assert r.headers["content-type"] == "application/problem+json", (target, role)
                if r.status_code == 401:
                    assert r.headers["www-authenticate"] == "Bearer"
    assert wrong == [], "\n".join(wrong)


# --- lists -------------------------------------------------------------------------------------

MAIN_SIDE = {"gemeente", "main", "operator"}  # the decision's parties
CHAIN_SIDE = {"gemeente", "main", "sub", "operator"}  # ... and the subcontractor's
SUB_SIDE = {"gemeente", "sub", "operator"}  # the subcontractor's own level
DIRECT_SIDE = {"gemeente", "provider", "operator"}  # the direct allocation's parties

# What each list shows of the world: list URL -> {world id: the roles that see it}.
LISTS: dict[str, dict[str, set[str]]] = {
    "/v1/berichten": {"decision_message": MAIN_SIDE, "sub_start_message": CHAIN_SIDE},
    "/v1/toewijzingen": {
        "decision_allocation": MAIN_SIDE,
        "delegated_allocation": SUB_SIDE,
        "direct_allocation": DIRECT_SIDE,
    },
    "/v1/leveringen": {"sub_delivery": SUB_SIDE, "main_delivery": MAIN_SIDE},
    "/v1/declaraties": {"declaration": DIRECT_SIDE},
    "/v1/decisions": {"decision": MAIN_SIDE},
    "/v1/delegations": {"delegation": CHAIN_SIDE, "delegation2": CHAIN_SIDE},
    "/v1/relays": {"relay": CHAIN_SIDE},
}


def test_lists_show_only_what_concerns_you(world: World) -> None:
    wrong = []
    for role in ROLES[1:]:
        for url, objects in LISTS.items():
            listed = {item["id"] for item in world[role].get(url, limit=500).json()["items"]}
            for key, roles in objects.items():
                if (world.ids[key] in listed) != (role in roles):
                    wrong.append(
                        f"{url} as {role}: {key} {'' if role in roles else 'not '}expected"
                    )
        searches = (("999900006", "client", CHAIN_SIDE), (OTHER_BSN, "direct_client", DIRECT_SIDE))
        for bsn, key, roles in searches:
            found = world[role].client.post("/v1/clienten/zoeken", json={"bsn": bsn}).json()
            expected = [world.ids[key]] if role in roles else []
            if [c["id"] for c in found] != expected:
                wrong.append(f"client search as {role}: {found}")
    assert wrong == [], "\n".join(wrong)


def test_contracts_and_the_report_show_only_a_partys_share(world: World) -> None:
    contracts = {
        role: {c["key"] for c in world[role].get("/v1/contracts").json()} for role in ROLES[1:]
    }
    both = {"amersfoort-begeleiding", "amersfoort-beschermd-wonen"}
    assert contracts == {
        "gemeente": both,
        "gemeente2": both,
        "main": both,
        "sub": {"amersfoort-begeleiding"},
        "sub2": {"amersfoort-begeleiding"},
        "provider": set(),
        "operator": both,
    }
    period = {"from": "2027-01-01", "to": "2027-03-31"}
    rows = {
        role: [
            (row["deliverer"], set(row["municipalities"]))
            for c in world[role].get("/v1/reports/deployment", **period).json()["contracts"]
            for row in c["rows"]
        ]
        for role in ("gemeente", "gemeente2", "main", "sub", "sub2", "operator")
    }
    # The one delivery (subcontractor A for 0307) is in the report of those it concerns only.
    assert rows["gemeente"] == [(SUB, {GEMEENTE})]
    assert rows["gemeente2"] == [] and rows["sub2"] == []
    for role in ("main", "sub", "operator"):
        [(deliverer, municipalities)] = rows[role]
        assert deliverer == SUB and GEMEENTE in municipalities


def test_a_mailbox_holds_only_what_its_owner_may_read(world: World) -> None:
    for role in ROLES[1:]:
        for item in world[role].get("/v1/mailbox", include_acked="true").json()["items"]:
            assert world[role].get(f"/v1/berichten/{item['message_id']}").status_code == 200
            r = world[role].get(f"/v1/mailbox/{item['id']}")
            assert r.headers["x-iwmo-message-id"] == str(item["message_id"]), (role, item)


# --- sending in another party's name ---------------------------------------------------------


def _forge(world: World) -> dict[str, int]:
    """Every party sends a message in another party's name: the message id of each."""
    posted = {}
    for role in ROLES[1:]:
        r = world[role].client.post("/v1/berichten", **_foreign_message(world, role))
        assert r.status_code == 403, (role, r.text)
        problem = r.json()
        assert problem["type"] == "urn:iwmo-hub:problem:forbidden"
        posted[role] = problem["message_id"]
    return posted


def test_nobody_sends_in_another_partys_name(world: World) -> None:
    before = {role: administratie(world[role]) for role in ("gemeente", "main", "sub")}
    mailboxes = {role: world[role].get("/v1/mailbox").json()["items"] for role in ROLES[1:]}
    posted = _forge(world)
    # Stored, as everything sent is, and refused: its poster and operators see why.
    forbidden = world["operator"].get("/v1/berichten", status="forbidden").json()["items"]
    assert sorted(m["id"] for m in forbidden) == sorted(posted.values())
    for role, message_id in posted.items():
        mine = world[role].get(f"/v1/berichten/{message_id}").json()
        assert (mine["status"], mine["retour_id"]) == ("forbidden", None), role
    # Nothing changed and nothing was delivered.
    assert {role: administratie(world[role]) for role in before} == before
    assert {role: world[role].get("/v1/mailbox").json()["items"] for role in ROLES[1:]} == mailboxes


def test_a_forgery_is_not_shown_to_the_parties_it_names(world: World) -> None:
    posted = _forge(world)
    for poster, message_id in posted.items():
        readers = {
            role
            for role in ROLES[1:]
            if world[role].get(f"/v1/berichten/{message_id}").status_code == 200
        }
        assert readers == {poster, "operator"}, (poster, readers)
