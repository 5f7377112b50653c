"""The management API: participants and keys, catalogues and contracts; who may read
what, who may change anything, and how refusals look."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.routing import contracts
from app.services import Services
from tests.administration.helpers import AANBIEDER, GEMEENTE, Party
from tests.routing.conftest import (
    MAIN,
    OTHER_SUB,
    SUB,
    delegate,
    keyed,
    load,
    minimal,
    problems,
)

BEGELEIDING = "amersfoort-begeleiding"
BESCHERMD_WONEN = "amersfoort-beschermd-wonen"
PARTICIPANT_FIELDS = {"code", "role", "name", "active", "has_key"}


def as_key(app: Any, key: str) -> TestClient:
    return TestClient(app, headers={"authorization": f"Bearer {key}"})


def problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:iwmo-hub:problem:{kind}"
    return body


# --- participants ------------------------------------------------------------------------------


def test_everyone_reads_participants_but_never_keys(
    operator: Party, gemeente: Party, anonymous: TestClient
) -> None:
    r = gemeente.get("/v1/participants")
    assert r.status_code == 200
    assert r.json() == [
        {
            "code": GEMEENTE,
            "role": "municipality",
            "name": "Diemen",
            "active": True,
            "has_key": True,
        },
        {"code": "ops", "role": "operator", "name": "Operator", "active": True, "has_key": True},
    ]
    assert anonymous.get("/v1/participants").status_code == 401


def test_an_operator_registers_a_participant_and_gets_its_key_once(
    app: Any, operator: Party
) -> None:
    r = operator.client.post(
        "/v1/participants", json={"code": "0307", "role": "municipality", "name": "Amersfoort"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    key = body.pop("api_key")
    assert key.startswith("iwmo_")
    assert body == {
        "code": "0307",
        "role": "municipality",
        "name": "Amersfoort",
        "active": True,
        "has_key": True,
    }
    amersfoort = as_key(app, key)
    listed = amersfoort.get("/v1/participants")
    assert listed.status_code == 200
    assert key not in listed.text
    assert all(set(p) == PARTICIPANT_FIELDS for p in listed.json())


def test_registration_refusals(operator: Party, gemeente: Party) -> None:
    new = {"code": "0307", "role": "municipality", "name": "Amersfoort"}
    problem(gemeente.client.post("/v1/participants", json=new), 403, "forbidden")
    taken = {"code": GEMEENTE, "role": "municipality", "name": "Again"}
    body = problem(operator.client.post("/v1/participants", json=taken), 409, "conflict")
    assert body["detail"] == f"a participant with code {GEMEENTE} exists"
    # The CBS list is the service's, not the schema's: a code missing from it is a 409.
    unknown = {"code": "0999", "role": "municipality", "name": "Old"}
    body = problem(
        operator.client.post("/v1/participants", json=unknown), 409, "unknown_municipality"
    )
    assert body["detail"].startswith("0999 is not a CBS municipality code; ")
    allowed = operator.client.post(
        "/v1/participants", json={**unknown, "allow_unknown_municipality": True}
    )
    assert allowed.status_code == 201
    # The schema states which code each role takes.
    agb = {"code": "1234", "role": "provider", "name": "Short"}
    body = problem(operator.client.post("/v1/participants", json=agb), 422, "invalid_request")
    assert [e["loc"][-1] for e in body["errors"]] == ["code"]
    flagged = {
        "code": "12345678",
        "role": "provider",
        "name": "P",
        "allow_unknown_municipality": True,
    }
    problem(operator.client.post("/v1/participants", json=flagged), 422, "invalid_request")
    boss = {"code": "99000001", "role": "boss", "name": "B"}
    problem(operator.client.post("/v1/participants", json=boss), 422, "invalid_request")
    codes = [p["code"] for p in operator.get("/v1/participants").json()]
    assert codes == [GEMEENTE, "0999", "ops"]


def test_a_new_key_replaces_the_old_one_at_once(
    app: Any, operator: Party, aanbieder: Party, gemeente: Party
) -> None:
    assert aanbieder.get("/v1/participants").status_code == 200  # its key is now cached
    r = operator.client.post(f"/v1/participants/{AANBIEDER}/key")
    assert r.status_code == 200, r.text
    assert r.json()["code"] == AANBIEDER
    assert aanbieder.get("/v1/participants").status_code == 401
    assert as_key(app, r.json()["api_key"]).get("/v1/participants").status_code == 200
    problem(gemeente.client.post(f"/v1/participants/{AANBIEDER}/key"), 403, "forbidden")
    problem(operator.client.post("/v1/participants/77777777/key"), 404, "not_found")


def test_a_participant_loaded_from_a_file_gets_a_key_through_the_api(
    app: Any, services: Services, region: contracts.LoadReport, operator: Party
) -> None:
    listed = {p["code"]: p for p in operator.get("/v1/participants").json()}
    assert listed["0267"] == {
        "code": "0267",
        "role": "municipality",
        "name": "Nijkerk",
        "active": True,
        "has_key": False,
    }
    r = operator.client.post("/v1/participants/0267/key")
    nijkerk = as_key(app, r.json()["api_key"])
    assert [c["key"] for c in nijkerk.get("/v1/contracts").json()] == [BESCHERMD_WONEN]
    listed = {p["code"]: p for p in operator.get("/v1/participants").json()}
    assert listed["0267"]["has_key"] is True


def test_deactivating_shuts_a_participant_out_at_once(
    operator: Party, aanbieder: Party, gemeente: Party
) -> None:
    assert aanbieder.get("/v1/participants").status_code == 200
    r = operator.client.patch(f"/v1/participants/{AANBIEDER}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert aanbieder.get("/v1/participants").status_code == 401
    r = operator.client.patch(f"/v1/participants/{AANBIEDER}", json={"active": True, "name": "New"})
    assert r.json() == {
        "code": AANBIEDER,
        "role": "provider",
        "name": "New",
        "active": True,
        "has_key": True,
    }
    assert aanbieder.get("/v1/participants").status_code == 200


def test_participant_change_refusals(operator: Party, gemeente: Party) -> None:
    patch = operator.client.patch
    problem(
        gemeente.client.patch(f"/v1/participants/{GEMEENTE}", json={"name": "x"}), 403, "forbidden"
    )
    problem(patch("/v1/participants/77777777", json={"active": False}), 404, "not_found")
    body = problem(patch("/v1/participants/ops", json={"active": False}), 409, "conflict")
    assert body["title"] == "cannot deactivate yourself"
    problem(
        patch(f"/v1/participants/{GEMEENTE}", json={"role": "operator"}), 422, "invalid_request"
    )
    assert operator.get("/v1/participants").status_code == 200  # still in


# --- catalogues --------------------------------------------------------------------------------


def catalogue() -> dict[str, Any]:
    return json.loads(json.dumps(minimal()["catalogues"][0]))


def test_loading_a_catalogue(
    services: Services, operator: Party, gemeente: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    forgotten: list[str] = []
    original = services.intake.product_codes.forget

    def forget() -> None:
        forgotten.append("codes")
        original()

    monkeypatch.setattr(services.intake.product_codes, "forget", forget)
    r = operator.client.post("/v1/catalogues", json=catalogue())
    assert r.status_code == 201, r.text
    assert r.json() == catalogue()
    assert forgotten == ["codes"]  # TR381 sees any new codes at once
    # A catalogue alone lists no codes: a contract puts them on its municipalities' lists.
    assert gemeente.get("/v1/productcodes", categorie="02").json() == []
    again = operator.client.post("/v1/catalogues", json=catalogue())
    assert again.status_code == 200 and again.json() == catalogue()
    assert gemeente.get("/v1/catalogues").json() == [
        {"key": "cat", "version": 1, "name": "Test catalogue", "functions": 3}
    ]
    assert gemeente.get("/v1/catalogues/cat/1").json() == catalogue()
    problem(gemeente.get("/v1/catalogues/cat/2"), 404, "not_found")


def test_catalogue_refusals(operator: Party, gemeente: Party) -> None:
    post = operator.client.post
    problem(gemeente.client.post("/v1/catalogues", json=catalogue()), 403, "forbidden")
    assert post("/v1/catalogues", json=catalogue()).status_code == 201

    changed = catalogue()
    changed["functions"][0]["name"] = "Another name"
    body = problem(post("/v1/catalogues", json=changed), 409, "conflict")
    assert body["errors"] == [
        "catalogue: cat@1 is already loaded with other content; a loaded version never "
        "changes: publish it as version 2"
    ]
    assert body["detail"] == body["errors"][0]

    # What the schema states (a category of WMO020) is a 422; what it cannot (two
    # functions with one key) a 409, with every problem.
    bad = catalogue()
    bad["version"] = 2
    bad["functions"][2]["categorie"] = "99"
    body = problem(post("/v1/catalogues", json=bad), 422, "invalid_request")
    assert [e["loc"] for e in body["errors"]] == [["body", "functions", 2, "categorie"]]
    twice = catalogue()
    twice["version"] = 2
    twice["functions"][1]["key"] = "f1"
    twice["functions"][2]["key"] = "f1"
    body = problem(post("/v1/catalogues", json=twice), 409, "invalid_catalogue")
    assert body["errors"] == [
        "catalogue.functions[1].key: f1 is defined twice",
        "catalogue.functions[2].key: f1 is defined twice",
    ]
    assert body["detail"] == "2 problems; nothing was changed"
    assert [c["version"] for c in operator.get("/v1/catalogues").json()] == [1]

    as_text = {**catalogue(), "version": "2"}
    problem(post("/v1/catalogues", json=as_text), 422, "invalid_request")
    extra = {**catalogue(), "owner": "x"}
    problem(post("/v1/catalogues", json=extra), 422, "invalid_request")


# --- contracts ---------------------------------------------------------------------------------


def test_who_sees_which_contract(
    app: Any,
    services: Services,
    region: contracts.LoadReport,
    operator: Party,
    aanbieder: Party,
    anonymous: TestClient,
) -> None:
    def seen(who: Party) -> list[str]:
        r = who.get("/v1/contracts")
        assert r.status_code == 200, r.text
        return [c["key"] for c in r.json()]

    both = [BEGELEIDING, BESCHERMD_WONEN]
    parties = {code: keyed(app, services, code) for code in ("0307", "0267", MAIN, SUB, "99000004")}
    assert seen(operator) == both
    assert seen(parties["0307"]) == both
    assert seen(parties["0267"]) == [BESCHERMD_WONEN]  # Nijkerk: protected living only
    assert seen(parties[MAIN]) == both
    assert seen(parties[SUB]) == [BEGELEIDING]
    assert seen(parties["99000004"]) == both
    assert seen(aanbieder) == []
    problem(aanbieder.get(f"/v1/contracts/{BEGELEIDING}"), 404, "not_found")
    problem(parties["0267"].get(f"/v1/contracts/{BEGELEIDING}"), 404, "not_found")
    problem(operator.get("/v1/contracts/nothing"), 404, "not_found")
    assert anonymous.get("/v1/contracts").status_code == 401


def test_subcontractors_do_not_see_the_money(
    app: Any, services: Services, region: contracts.LoadReport, operator: Party
) -> None:
    with services.database.read() as s:
        from app.routing.models import Contract

        stored = contracts.contract_as_dict(s.query(Contract).filter_by(key=BEGELEIDING).one())
    full = operator.get(f"/v1/contracts/{BEGELEIDING}").json()
    assert full == stored
    assert keyed(app, services, MAIN).get(f"/v1/contracts/{BEGELEIDING}").json() == stored
    # A municipality sees the contract's tariffs and its own budget, not its neighbours'.
    amersfoort = keyed(app, services, "0307").get(f"/v1/contracts/{BEGELEIDING}").json()
    assert amersfoort["municipalities"] == {
        code: terms if code == "0307" else {} for code, terms in stored["municipalities"].items()
    }
    assert amersfoort["municipalities"]["0307"]["budget"]
    assert amersfoort["tariffs"] == stored["tariffs"]
    sub = keyed(app, services, SUB).get(f"/v1/contracts/{BEGELEIDING}").json()
    assert sub["municipalities"] == {code: {} for code in stored["municipalities"]}
    assert "tariffs" not in sub and "product_tariffs" not in sub
    assert sub["subcontractors"] == stored["subcontractors"]
    wonen = keyed(app, services, "99000004").get(f"/v1/contracts/{BESCHERMD_WONEN}").json()
    assert "product_tariffs" not in wonen and wonen["functions"] == ["beschermd-wonen"]


def contract() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(minimal()["contracts"][0]))
    del body["key"]
    return body


@pytest.fixture
def basics(services: Services) -> None:
    """The minimal definition's participants and catalogue, without its contract."""
    data = minimal()
    del data["contracts"]
    load(services, data)


def test_putting_a_contract(services: Services, basics: None, operator: Party) -> None:
    r = operator.client.put("/v1/contracts/c2", json=contract())
    assert r.status_code == 201, r.text
    assert r.json() == {**contract(), "key": "c2"}
    assert services.contracts.get("c2") is not None  # the directory caches it now

    again = operator.client.put("/v1/contracts/c2", json={**contract(), "key": "c2"})
    assert again.status_code == 200 and again.json() == r.json()

    changed = contract()
    changed["municipalities"] = {"0308": {"budget": {"2027": 9}}}
    changed["subcontractors"] = [{"code": OTHER_SUB, "functions": ["f1"]}]
    r = operator.client.put("/v1/contracts/c2", json=changed)
    assert r.status_code == 200
    assert r.json()["municipalities"] == {"0308": {"budget": {"2027": 9}}}
    view = services.contracts.get("c2")  # at once, not after the cache expires
    assert view is not None and view.municipalities == {"0308"}
    assert dict(view.subcontractors) == {OTHER_SUB: frozenset({"f1"})}
    assert operator.get("/v1/contracts/c2").json() == r.json()


def test_contract_refusals(app: Any, services: Services, basics: None, operator: Party) -> None:
    put = operator.client.put
    main = keyed(app, services, MAIN)
    problem(main.client.put("/v1/contracts/c2", json=contract()), 403, "forbidden")

    # A body that names another contract than its path conflicts with it (RFC 9110 PUT).
    body = problem(
        put("/v1/contracts/c2", json={**contract(), "key": "c3"}), 409, "invalid_contract"
    )
    assert body["errors"] == ["contract.key: c3 is not the key in the path (c2)"]

    bad = contract()
    bad["einddatum"] = "2026-01-01"
    bad["subcontractors"][0]["functions"] = ["f1", "f9"]
    bad["main_contractor"] = "99000009"
    bad["tariffs"] = {"f3": 5}
    # Rules the schema cannot state: 409 with every problem.
    body = problem(put("/v1/contracts/c2", json=bad), 409, "invalid_contract")
    assert body["errors"] == [
        "contract.main_contractor: 99000009 is not a registered participant "
        "(nor defined under participants)",
        "contract.einddatum: 2026-01-01 is before begindatum 2027-01-01",
        "contract.subcontractors[0].functions: f9 is not a function of cat@1",
        "contract.tariffs.f3: f3 is not one of the contract's functions",
    ]
    assert body["detail"] == "4 problems; nothing was changed"

    problem(
        put("/v1/contracts/c2", json={**contract(), "variant": "per-uur"}), 422, "invalid_request"
    )
    problem(
        put("/v1/contracts/c2", json={**contract(), "tariffs": {"f1": -1}}), 422, "invalid_request"
    )
    problem(
        put("/v1/contracts/c2", json={**contract(), "tariffs": {"f1": "100"}}),
        422,
        "invalid_request",
    )
    problem(put("/v1/contracts/Not_A_Key", json=contract()), 422, "invalid_request")
    twice = {**contract(), "functions": ["f1", "f1"]}
    problem(put("/v1/contracts/c2", json=twice), 422, "invalid_request")
    assert operator.get("/v1/contracts").json() == []


def test_a_contract_change_delegations_still_use_is_refused(
    services: Services, basics: None, operator: Party
) -> None:
    assert operator.client.put("/v1/contracts/c2", json=contract()).status_code == 201
    delegate(services, "c2", municipality="0308", subcontractor=OTHER_SUB, function="f2")
    changed = contract()
    del changed["municipalities"]["0308"]
    changed["subcontractors"] = [{"code": SUB, "functions": ["f1"]}]
    body = problem(operator.client.put("/v1/contracts/c2", json=changed), 409, "conflict")
    assert body["errors"] == [
        "contract.municipalities: 0308 would leave the contract; "
        "1 delegation in force still uses it: end or withdraw them first",
        f"contract.subcontractors: {OTHER_SUB} would no longer be allowed f2; "
        "1 delegation in force still uses it: end or withdraw them first",
    ]
    assert body["detail"] == "2 conflicts; nothing was changed"
    assert operator.get("/v1/contracts/c2").json() == {**contract(), "key": "c2"}


# --- one set of models for files and bodies ------------------------------------------------------


def place(loc: list[Any]) -> str:
    """Where a 422 error of a contract body is, written as the file loader writes it: a
    problem with a table's key (the last but one part, before "[key]") at the table."""
    if loc[-1] == "[key]":
        loc = loc[:-2]
    return "contract" + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}"
        for part in loc[1:]  # after "body"
    )


def file_problems(services: Services, body: dict[str, Any]) -> list[str]:
    """What the file loader says of a contract body, put in a file as c2."""
    found = problems(services, {"contracts": [{**body, "key": "c2"}]})
    return [p.replace("contracts[0]", "contract", 1) for p in found]


def test_the_api_and_the_file_loader_refuse_a_contract_alike(
    services: Services, basics: None, operator: Party
) -> None:
    bad = contract()
    bad["einddatum"] = "2026-01-01"
    bad["subcontractors"][0]["functions"] = ["f1", "f9"]
    bad["tariffs"] = {"f3": 5}
    body = problem(operator.client.put("/v1/contracts/c2", json=bad), 409, "invalid_contract")
    assert body["errors"] == file_problems(services, bad)
    assert len(body["errors"]) == 3


FORMS: list[tuple[str, Any]] = [
    ("variant", "per-uur"),
    ("name", None),
    ("einddatum", "2027-02-30"),
    ("tariffs", {"f1": -1, "f2": "100", "F3": 5}),
    ("functions", ["f1", "f1"]),
    ("municipalities", {"99000002": {}, "0307": {"budget": {"2027": True}}}),
    ("subcontractors", [{"code": "0307", "functions": []}, "x"]),
    ("tarifs", {}),
]


@pytest.mark.parametrize(("name", "value"), FORMS, ids=[f[0] for f in FORMS])
def test_the_api_and_the_file_loader_refuse_a_form_alike(
    services: Services, basics: None, operator: Party, name: str, value: Any
) -> None:
    """A body the API refuses by its schema (422), the file loader refuses by the same
    model, at the same places."""
    body = {**contract(), name: value}
    refused = problem(operator.client.put("/v1/contracts/c2", json=body), 422, "invalid_request")
    found = file_problems(services, body)
    assert sorted(place(e["loc"]) for e in refused["errors"]) == sorted(
        p.split(": ", 1)[0] for p in found
    ), found
    assert operator.get("/v1/contracts").json() == []


def test_the_api_and_the_file_loader_refuse_a_catalogue_alike(
    services: Services, operator: Party
) -> None:
    twice = catalogue()
    twice["functions"][1]["key"] = "f1"
    twice["functions"][2]["code"] = "02N01"
    twice["functions"][2]["categorie"] = "02"
    body = problem(operator.client.post("/v1/catalogues", json=twice), 409, "invalid_catalogue")
    found = problems(services, {"catalogues": [twice]})
    assert body["errors"] == [p.replace("catalogues[0]", "catalogue", 1) for p in found]
    assert body["errors"] == [
        "catalogue.functions[1].key: f1 is defined twice",
        "catalogue.functions[2].code: 02 02N01 is already used by f1",
    ]


# --- the documentation -------------------------------------------------------------------------


def test_the_management_endpoints_are_documented(anonymous: TestClient) -> None:
    spec = anonymous.get("/openapi.json").json()
    expected = {
        ("/v1/participants", "get"),
        ("/v1/participants", "post"),
        ("/v1/participants/{code}/key", "post"),
        ("/v1/participants/{code}", "patch"),
        ("/v1/catalogues", "get"),
        ("/v1/catalogues", "post"),
        ("/v1/catalogues/{key}/{version}", "get"),
        ("/v1/contracts", "get"),
        ("/v1/contracts/{key}", "get"),
        ("/v1/contracts/{key}", "put"),
        ("/v1/productcodes", "put"),
    }
    found = {
        (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if "management" in op.get("tags", ())
    }
    assert found == expected
    for path, method in expected:
        assert spec["paths"][path][method]["summary"], (path, method)
    schemas = spec["components"]["schemas"]
    assert (
        "shown this once" in schemas["ParticipantCreated"]["properties"]["api_key"]["description"]
    )
    for name in ("ParticipantOut", "Catalogue", "ContractIn", "ContractOut"):
        assert schemas[name].get("examples"), name
    # The 409 of PUT /v1/contracts/{key} points at the rules the contract's schema names.
    assert "409 when not" in schemas["ContractIn"]["description"]
    writes = spec["paths"]["/v1/contracts/{key}"]["put"]["responses"]
    assert {"200", "201", "403", "409", "422"} <= set(writes)
