"""Contract and catalogue definitions: the shipped Amersfoort region, every check, loading
all or nothing, immutable catalogue versions, upserts, the delegation-in-use refusal and
``iwmo contract``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.administration import participants, product_codes
from app.administration.models import Participant, ProductCode
from app.cli import main
from app.routing import contracts
from app.routing.models import (
    Contract,
    ContractMunicipality,
    ContractSubcontractor,
    FunctionCatalogue,
)
from app.services import Services
from tests.routing.conftest import (
    MAIN,
    OTHER_SUB,
    REGION,
    SUB,
    delegate,
    dump,
    load,
    minimal,
    problems,
    write_json,
)

BEGELEIDING = "amersfoort-begeleiding"
BESCHERMD_WONEN = "amersfoort-beschermd-wonen"
SIX = {"0307", "0308", "0313", "0327", "0342", "0351"}
NIJKERK = "0267"
# Clients in ambulant support in 2024 per municipality (MISSION.md).
CLIENTS_2024 = {"0307": 1202, "0308": 212, "0313": 134, "0327": 232, "0342": 345, "0351": 60}


def counts(services: Services) -> dict[str, int]:
    tables = {
        "participants": Participant,
        "catalogues": FunctionCatalogue,
        "contracts": Contract,
        "municipalities": ContractMunicipality,
        "subcontractors": ContractSubcontractor,
        "product_codes": ProductCode,
    }
    with services.database.read() as s:
        return {
            name: s.scalar(select(func.count()).select_from(t)) or 0 for name, t in tables.items()
        }


# --- the shipped region ------------------------------------------------------------------------


def test_the_region_file_loads_cleanly(services: Services) -> None:
    data = contracts.parse_file(REGION)
    assert problems(services, data) == []
    report = load(services, data)
    assert report.created == [
        *(f"participant {c}" for c in ["0307", "0308", "0313", "0327", "0267", "0342", "0351"]),
        *(f"participant 9900000{n}" for n in range(1, 5)),
        "catalogue amersfoort-wmo@1",
        f"contract {BEGELEIDING}",
        f"contract {BESCHERMD_WONEN}",
    ]
    assert report.updated == report.unchanged == []
    # Each contract's function codes, on its own municipalities' lists only: begeleiding's
    # eight for six municipalities, beschermd wonen's one for all seven.
    assert len(report.product_codes_added) == 6 * 8 + 7
    assert {"0307 02 02N01", "0267 15 15N01"} <= set(report.product_codes_added)
    assert "0267 02 02N01" not in report.product_codes_added


def test_loading_the_region_twice_changes_nothing(
    services: Services, region: contracts.LoadReport
) -> None:
    before = counts(services)
    stamps = {c: dump(services, c) for c in (BEGELEIDING, BESCHERMD_WONEN)}
    with services.database.read() as s:
        updated = {k: v for k, v in s.execute(select(Contract.key, Contract.updated_at))}
    report = load(services, contracts.parse_file(REGION))
    assert not report.changed
    assert report.created == report.updated == report.product_codes_added == []
    assert len(report.unchanged) == 14
    assert counts(services) == before
    assert {c: dump(services, c) for c in stamps} == stamps
    with services.database.read() as s:
        assert {k: v for k, v in s.execute(select(Contract.key, Contract.updated_at))} == updated


def test_the_region_matches_the_mission(services: Services, region: contracts.LoadReport) -> None:
    begeleiding = services.contracts.get(BEGELEIDING)
    wonen = services.contracts.get(BESCHERMD_WONEN)
    assert begeleiding is not None and wonen is not None
    # seven municipalities; Nijkerk only in protected living
    assert begeleiding.municipalities == SIX
    assert wonen.municipalities == SIX | {NIJKERK}
    assert (begeleiding.variant, wonen.variant) == ("taakgericht", "inspanningsgericht")
    assert begeleiding.begindatum == wonen.begindatum == date(2027, 1, 1)
    assert begeleiding.einddatum == date(2035, 12, 31)  # at most nine years
    assert begeleiding.main_contractor == wonen.main_contractor == MAIN
    # IN1..IN4 are 02N01..02N04
    for level in range(1, 5):
        f = begeleiding.functions[f"begeleiding-in{level}"]
        assert (f.categorie, f.code) == ("02", f"02N0{level}")
    assert set(begeleiding.functions) == {
        "begeleiding-in1",
        "begeleiding-in2",
        "begeleiding-in3",
        "begeleiding-in4",
        "beschermd-thuis",
        "vinger-aan-de-pols",
        "begeleid-wonen",
        "time-out",
    }
    assert set(wonen.functions) == {"beschermd-wonen"}
    assert wonen.function_for("15", "15N01") is not None
    assert wonen.product_tariffs["15N01"] > 0


def test_the_region_budgets_follow_the_client_numbers(
    services: Services, region: contracts.LoadReport
) -> None:
    begeleiding = services.contracts.get(BEGELEIDING)
    assert begeleiding is not None
    budgets = {code: years[2027] for code, years in begeleiding.budgets.items()}
    total = sum(budgets.values())
    assert 17_500_000_00 <= total <= 18_500_000_00  # about EUR 18 million
    clients = sum(CLIENTS_2024.values())
    for code, cents in budgets.items():
        assert abs(cents / total - CLIENTS_2024[code] / clients) < 0.01, code
    # every function of the task-based contract has an internal tariff
    assert set(begeleiding.tariffs) == set(begeleiding.functions)


def test_the_region_subcontractors_and_participants(
    services: Services, region: contracts.LoadReport
) -> None:
    begeleiding = services.contracts.get(BEGELEIDING)
    assert begeleiding is not None
    assert set(begeleiding.subcontractors) == {"99000002", "99000003", "99000004"}
    for code, allowed in begeleiding.subcontractors.items():
        assert allowed and allowed < set(begeleiding.functions), code
    assert begeleiding.may_deliver("99000002", "begeleiding-in1")
    assert not begeleiding.may_deliver("99000002", "begeleiding-in4")
    with services.database.read() as s:
        rows = {p.code: p for p in s.scalars(select(Participant))}
    assert rows[NIJKERK].role == "municipality" and rows[NIJKERK].name == "Nijkerk"
    assert rows[MAIN].role == "main_contractor"
    assert {rows[c].role for c in ("99000002", "99000003", "99000004")} == {"subcontractor"}
    assert all(p.api_key_hash is None and p.active for p in rows.values())


def test_the_region_file_says_what_is_illustrative() -> None:
    text = REGION.read_text(encoding="utf-8")
    assert "02N05, 02N06, 05N01, 04N01, 15N01" in text
    assert "illustrative" in text and "fictitious" in text


def test_loading_puts_the_function_codes_on_the_contracts_municipalities_lists(
    services: Services,
) -> None:
    with services.database.write() as s:
        s.add(ProductCode(categorie="02", code="02A01", omschrijving="kept"))
        s.add(ProductCode(categorie="02", code="02N01", omschrijving="already there"))
    report = load(services, contracts.parse_file(REGION))
    assert "0307 15 15N01" in report.product_codes_added
    with services.database.read() as s:
        default = {(e.categorie, e.code) for e in product_codes.listed(s)}
        amersfoort = {
            (e.categorie, e.code): e.omschrijving for e in product_codes.effective(s, "0307")
        }
        nijkerk = {(e.categorie, e.code): e.gemeente for e in product_codes.effective(s, "0267")}
    # The service-wide default is left as it was: the region's codes are the region's.
    assert default == {("02", "02A01"), ("02", "02N01")}
    # Amersfoort's own list keeps what the default gave it in those categories, as it was
    # (never deleting, never overwriting), and gains its contracts' codes.
    assert amersfoort[("02", "02A01")] == "kept"
    assert amersfoort[("02", "02N01")] == "already there"
    assert amersfoort[("15", "15N01")] == "Beschermd wonen (protected living)"
    assert {("02", "02N04"), ("05", "05N01"), ("04", "04N01")} <= set(amersfoort)
    # Nijkerk buys protected living only: its category 02 is still the default's.
    assert nijkerk == {("02", "02A01"): "", ("02", "02N01"): "", ("15", "15N01"): "0267"}


def test_a_catalogue_in_use_gets_its_codes_back_on_the_list(
    services: Services, region: contracts.LoadReport
) -> None:
    with services.database.write() as s:
        product_codes.load(
            s, [product_codes.Entry("02", "02A01")], gemeente="0307", everything=True
        )
    report = load(services, contracts.parse_file(REGION))
    assert "0307 02 02N03" in report.product_codes_added
    with services.database.read() as s:
        own = {(e.categorie, e.code) for e in product_codes.listed(s, gemeente="0307")}
    assert {("02", "02A01"), ("02", "02N03")} <= own


# --- reading back ------------------------------------------------------------------------------


def test_a_dump_reloads_identically(services: Services, region: contracts.LoadReport) -> None:
    with services.database.read() as s:
        catalogue = s.scalars(select(FunctionCatalogue)).one()
        dumped = {"catalogues": [contracts.catalogue_as_dict(catalogue)]}
    dumped["contracts"] = [dump(services, BEGELEIDING), dump(services, BESCHERMD_WONEN)]
    dumped = json.loads(json.dumps(dumped))  # as it would travel
    assert dumped["contracts"][0]["begindatum"] == "2027-01-01"
    assert load(services, dumped).changed is False

    other = json.loads(json.dumps(dumped["contracts"][0]))
    other["subcontractors"] = other["subcontractors"][:1]
    other["municipalities"].pop("0351")
    assert load(services, {"contracts": [other]}).updated == [f"contract {BEGELEIDING}"]
    assert dump(services, BEGELEIDING) == other

    assert load(services, dumped).updated == [f"contract {BEGELEIDING}"]
    assert dump(services, BEGELEIDING) == dumped["contracts"][0]


def test_a_dump_pins_the_catalogue_version(services: Services) -> None:
    data = minimal()
    second = json.loads(json.dumps(data["catalogues"][0]))
    second["version"] = 2
    second["functions"].append({"key": "f4", "name": "F4", "categorie": "02", "code": "02N04"})
    data["catalogues"].append(second)
    data["contracts"][0]["catalogue"] = "cat"  # the highest version: 2
    data["contracts"][0]["functions"] = ["f4", "f1"]
    data["contracts"][0]["subcontractors"] = [{"code": SUB, "functions": ["f4"]}]
    load(services, data)
    dumped = dump(services, "c1")
    assert dumped["catalogue"] == "cat@2"
    assert dumped["functions"] == ["f1", "f4"]  # in catalogue order
    assert "einddatum" in dumped and dumped["tariffs"] == {"f1": 1000}


def test_parse_file_reads_toml_and_json_alike(services: Services, tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        '[[catalogues]]\nkey = "k"\nversion = 1\nname = "K"\n'
        'functions = [{ key = "a", name = "A", categorie = "02", code = "02X01" }]\n'
        '[[contracts]]\nkey = "x"\nname = "X"\nmain_contractor = "99000001"\n'
        'variant = "inspanningsgericht"\nbegindatum = 2027-01-01\ncatalogue = "k@1"\n'
        '[contracts.municipalities."0307"]\n',
        encoding="utf-8",
    )
    from_toml = contracts.parse_file(toml)
    assert from_toml["contracts"][0]["begindatum"] == date(2027, 1, 1)
    from_json = contracts.parse_file(
        write_json(
            tmp_path / "c.json",
            {**from_toml, "contracts": [{**from_toml["contracts"][0], "begindatum": "2027-01-01"}]},
        )
    )
    data = minimal()
    base = {"participants": data["participants"]}
    load(services, base)
    assert load(services, from_toml).created == ["catalogue k@1", "contract x"]
    assert load(services, from_json).changed is False


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("c.yaml", "a: 1", "expected a .toml or .json file"),
        ("c.toml", "key = ", "not valid TOML"),
        ("c.json", "{", "not valid JSON"),
        ("c.json", "[1]", "expected a table (object) at the top"),
    ],
)
def test_parse_file_refuses_what_it_cannot_read(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(contracts.ConfigError) as caught:
        contracts.parse_file(path)
    assert expected in caught.value.problems[0]
    assert str(path) in caught.value.problems[0]


def test_parse_file_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(contracts.ConfigError, match="No such file"):
        contracts.parse_file(tmp_path / "absent.toml")


# --- checks ------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set a value at a dotted path (list indexes as numbers) of a definition."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[_index(target, part)]
        if value is _DELETE:
            del target[_index(target, last)]
        else:
            target[_index(target, last)] = value

    return mutate


def _index(target: Any, part: str) -> Any:
    # Municipality codes are digits too: only a list is indexed by number.
    return int(part) if isinstance(target, list) else part


_DELETE = object()
_C = "contracts.0"
_F = "catalogues.0.functions"

CASES: list[tuple[str, Mutation, str]] = [
    # participants: codes and roles
    (
        "municipality code not in the CBS list",
        _set("participants.0.code", "9999"),
        "participants[0].code: 9999 is not a CBS municipality code",
    ),
    (
        "provider code not an AGB code",
        _set("participants.2.code", "123"),
        "participants[2].code: a provider is identified by its 8-digit AGB code",
    ),
    (
        "unknown role",
        _set("participants.2.role", "boss"),
        "participants[2].role: 'boss' is not one of municipality, main_contractor, "
        "subcontractor, provider",
    ),
    (
        "operators are not made from files",
        _set("participants.2", {"code": "ops", "role": "operator", "name": "O"}),
        "participants[2].role: 'operator' is not one of municipality, main_contractor, "
        "subcontractor, provider",
    ),
    (
        "participant defined twice",
        lambda d: d["participants"].append(dict(d["participants"][0])),
        "participants[5].code: 0307 is defined twice",
    ),
    (
        "participant without a name",
        _set("participants.0.name", _DELETE),
        "participants[0].name: missing",
    ),
    # catalogues
    (
        "catalogue key with capitals",
        _set("catalogues.0.key", "Cat"),
        "catalogues[0].key: 'Cat' is not a key: use lower-case letters, digits and -",
    ),
    (
        "catalogue version zero",
        _set("catalogues.0.version", 0),
        "catalogues[0].version: expected a positive whole number, got 0",
    ),
    (
        "catalogue version as text",
        _set("catalogues.0.version", "1"),
        "catalogues[0].version: expected a positive whole number, got '1'",
    ),
    (
        "function key twice",
        _set(f"{_F}.1.key", "f1"),
        "catalogues[0].functions[1].key: f1 is defined twice",
    ),
    (
        "categorie and code twice",
        _set(f"{_F}.1.code", "02N01"),
        "catalogues[0].functions[1].code: 02 02N01 is already used by f1",
    ),
    (
        "categorie not on the code list",
        _set(f"{_F}.2.categorie", "99"),
        "catalogues[0].functions[2].categorie: '99' is not a ProductCategorie (WMO020)",
    ),
    (
        "product code too long",
        _set(f"{_F}.0.code", "02N001"),
        "catalogues[0].functions[0].code: '02N001' is not a ProductCode (1-5 letters or digits)",
    ),
    (
        "catalogue without functions",
        _set("catalogues.0.functions", []),
        "catalogues[0].functions: expected a non-empty list of functions",
    ),
    (
        "catalogue defined twice",
        lambda d: d["catalogues"].append(json.loads(json.dumps(d["catalogues"][0]))),
        "catalogues[1].version: cat@1 is defined twice in this file",
    ),
    # contracts: participants and roles. A code of the wrong form is refused by its form
    # (as the API refuses it), before anyone looks up whose it is: see
    # test_a_code_registered_in_another_role for a code of the right form.
    (
        "municipality with a provider's code",
        _set(f"{_C}.municipalities", {SUB: {"budget": {"2027": 1}}}),
        f"contracts[0].municipalities: '{SUB}' is not a municipality's 4-digit CBS code",
    ),
    (
        "municipality that is not a participant",
        _set(f"{_C}.municipalities.0327", {"budget": {"2027": 1}}),
        "contracts[0].municipalities.0327: 0327 is not a registered participant "
        "(nor defined under participants)",
    ),
    (
        "main contractor with a municipality's code",
        _set(f"{_C}.main_contractor", "0307"),
        "contracts[0].main_contractor: a provider is identified by its 8-digit AGB code",
    ),
    (
        "main contractor unknown",
        _set(f"{_C}.main_contractor", "99000009"),
        "contracts[0].main_contractor: 99000009 is not a registered participant "
        "(nor defined under participants)",
    ),
    (
        "subcontractor with a municipality's code",
        _set(f"{_C}.subcontractors.0.code", "0308"),
        "contracts[0].subcontractors[0].code: a provider is identified by its 8-digit AGB code",
    ),
    (
        "subcontractor that is the main contractor",
        _set(f"{_C}.subcontractors.0.code", MAIN),
        f"contracts[0].subcontractors[0].code: {MAIN} is the main contractor; "
        "it may deliver every function",
    ),
    (
        "subcontractor listed twice",
        _set(f"{_C}.subcontractors.1.code", SUB),
        f"contracts[0].subcontractors[1].code: {SUB} is listed twice",
    ),
    # contracts: terms
    (
        "unknown variant",
        _set(f"{_C}.variant", "per-uur"),
        "contracts[0].variant: 'per-uur' is not one of taakgericht, inspanningsgericht, "
        "outputgericht",
    ),
    (
        "einddatum before begindatum",
        _set(f"{_C}.einddatum", "2026-12-31"),
        "contracts[0].einddatum: 2026-12-31 is before begindatum 2027-01-01",
    ),
    (
        "impossible date",
        _set(f"{_C}.begindatum", "2027-02-30"),
        "contracts[0].begindatum: expected a date (YYYY-MM-DD), got '2027-02-30'",
    ),
    (
        "a date with a time",
        _set(f"{_C}.begindatum", "2027-01-01T00:00:00"),
        "contracts[0].begindatum: expected a date (YYYY-MM-DD), got '2027-01-01T00:00:00'",
    ),
    (
        "unknown catalogue version",
        _set(f"{_C}.catalogue", "cat@2"),
        "contracts[0].catalogue: no catalogue cat@2 is loaded or defined in this file",
    ),
    (
        "malformed catalogue reference",
        _set(f"{_C}.catalogue", "cat@one"),
        "contracts[0].catalogue: 'cat@one' is not key@version or key",
    ),
    (
        "contract function not in the catalogue",
        _set(f"{_C}.functions", ["f1", "f2", "f9"]),
        "contracts[0].functions: f9 is not a function of cat@1",
    ),
    (
        "contract function twice",
        _set(f"{_C}.functions", ["f1", "f2", "f1"]),
        "contracts[0].functions: f1 is listed twice",
    ),
    (
        "subcontractor function not in the catalogue",
        _set(f"{_C}.subcontractors.1.functions", ["f2", "f9"]),
        "contracts[0].subcontractors[1].functions: f9 is not a function of cat@1",
    ),
    (
        "subcontractor function outside the contract",
        _set(f"{_C}.subcontractors.1.functions", ["f3"]),
        "contracts[0].subcontractors[1].functions: f3 is not one of the contract's functions",
    ),
    (
        "subcontractor without functions",
        _set(f"{_C}.subcontractors.1.functions", []),
        "contracts[0].subcontractors[1].functions: expected a non-empty list of function keys",
    ),
    (
        "tariff for a function outside the contract",
        _set(f"{_C}.tariffs.f3", 100),
        "contracts[0].tariffs.f3: f3 is not one of the contract's functions",
    ),
    (
        "tariff for an unknown function",
        _set(f"{_C}.tariffs.f9", 100),
        "contracts[0].tariffs.f9: f9 is not a function of cat@1",
    ),
    (
        "product tariff for a code outside the contract",
        _set(f"{_C}.product_tariffs.15N01", 100),
        "contracts[0].product_tariffs.15N01: 15N01 is not the product code of one of the "
        "contract's functions",
    ),
    (
        "negative tariff",
        _set(f"{_C}.tariffs.f1", -1),
        "contracts[0].tariffs.f1: -1 is negative",
    ),
    (
        "tariff with a fraction",
        _set(f"{_C}.product_tariffs.02N01", 12.5),
        "contracts[0].product_tariffs.02N01: expected a whole number of euro cents, got 12.5",
    ),
    (
        "budget as true",
        _set(f"{_C}.municipalities.0307.budget.2027", True),
        "contracts[0].municipalities.0307.budget.2027: expected a whole number of euro cents, "
        "got True",
    ),
    (
        "negative budget",
        _set(f"{_C}.municipalities.0307.budget.2027", -5),
        "contracts[0].municipalities.0307.budget.2027: -5 is negative",
    ),
    (
        "task-based without a budget",
        _set(f"{_C}.municipalities.0308", {}),
        "contracts[0].municipalities.0308.budget: a taakgericht contract needs a yearly "
        "budget here",
    ),
    (
        "budget outside the contract period",
        _set(f"{_C}.municipalities.0308.budget.2031", 1),
        "contracts[0].municipalities.0308.budget.2031: 2031 is outside the contract period "
        "2027-01-01..2030-12-31",
    ),
    (
        "budget for something that is not a year",
        _set(f"{_C}.municipalities.0308.budget.next", 1),
        "contracts[0].municipalities.0308.budget: 'next' is not a year",
    ),
    (
        "no municipalities",
        _set(f"{_C}.municipalities", {}),
        "contracts[0].municipalities: expected a table of municipality codes, at least one",
    ),
    (
        "contract key twice",
        lambda d: d["contracts"].append(json.loads(json.dumps(d["contracts"][0]))),
        "contracts[1].key: c1 is defined twice",
    ),
    # the shape
    (
        "unknown field",
        _set(f"{_C}.tarifs", {}),
        "contracts[0].tarifs: unknown field; expected key, name, main_contractor, variant, "
        "begindatum, catalogue, municipalities, einddatum, functions, subcontractors, "
        "tariffs, product_tariffs",
    ),
    ("missing field", _set(f"{_C}.variant", _DELETE), "contracts[0].variant: missing"),
    (
        "unknown section",
        _set("contract", []),
        "contract: unknown section; expected participants, catalogues, contracts",
    ),
    ("section not a list", _set("contracts", {}), "contracts: expected a list of tables"),
    ("entry not a table", _set("contracts.0", "c1"), "contracts[0]: expected a table (an object)"),
    # what the file shares with the API's bodies (app.routing.contracts.schema)
    (
        "participant without a role",
        _set("participants.0.role", _DELETE),
        "participants[0].role: missing",
    ),
    (
        "a field only municipalities have",
        _set("participants.2.allow_unknown_municipality", True),
        "participants[2].allow_unknown_municipality: unknown field; expected name, code, role",
    ),
    (
        "name with a NUL character",
        _set("participants.0.name", "Amers\x00foort"),
        "participants[0].name: holds a NUL character",
    ),
    (
        "name of white space only",
        _set(f"{_C}.name", "  "),
        "contracts[0].name: expected non-empty text",
    ),
    (
        "catalogue version past the largest id",
        _set("catalogues.0.version", 2**31),
        "catalogues[0].version: 2147483648 is more than 2147483647",
    ),
    (
        "null where a value is required",
        _set(f"{_C}.name", None),
        "contracts[0].name: missing",
    ),
    (
        "contract function key of the wrong form",
        _set(f"{_C}.functions", ["f1", "F2"]),
        "contracts[0].functions[1]: 'F2' is not a key: use lower-case letters, digits and -",
    ),
    (
        "tariff for something that is not a key",
        _set(f"{_C}.tariffs.F 1", 100),
        "contracts[0].tariffs: 'F 1' is not a key: use lower-case letters, digits and -",
    ),
    (
        "product tariff for something that is not a product code",
        _set(f"{_C}.product_tariffs.02N001", 100),
        "contracts[0].product_tariffs: '02N001' is not a ProductCode (1-5 letters or digits)",
    ),
    (
        "budget as a list",
        _set(f"{_C}.municipalities.0307.budget", [100]),
        "contracts[0].municipalities.0307.budget: expected a table of year = euro cents",
    ),
    (
        "subcontractors as a table",
        _set(f"{_C}.subcontractors", {"code": SUB}),
        "contracts[0].subcontractors: expected a list of tables",
    ),
    (
        "allow_unknown_municipality as text",
        _set("participants.0.allow_unknown_municipality", "yes"),
        "participants[0].allow_unknown_municipality: expected true or false",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_named_with_its_place(
    services: Services, mutate: Mutation, expected: str
) -> None:
    data = minimal()
    assert problems(services, data) == []
    mutate(data)
    found = problems(services, data)
    assert expected in found, found
    with pytest.raises(contracts.ConfigError) as caught:
        load(services, data)
    assert expected in caught.value.problems
    assert not caught.value.only_conflicts
    assert counts(services)["participants"] == 0  # nothing written


def test_every_problem_is_reported_at_once(services: Services) -> None:
    data = minimal()
    data["catalogues"][0]["functions"][2]["categorie"] = "99"
    data["contracts"][0]["variant"] = "per-uur"
    data["contracts"][0]["subcontractors"][1]["functions"] = ["f9"]
    found = problems(services, data)
    assert found == [
        "catalogues[0].functions[2].categorie: '99' is not a ProductCategorie (WMO020)",
        "contracts[0].variant: 'per-uur' is not one of taakgericht, inspanningsgericht, "
        "outputgericht",
        "contracts[0].subcontractors[1].functions: f9 is not a function of cat@1",
    ]


def test_not_a_table_at_all(services: Services) -> None:
    assert problems(services, ["contracts"]) == [
        "(top): expected a table (object) with participants, catalogues, contracts"
    ]


def test_problems_are_listed_entry_by_entry(services: Services) -> None:
    data = minimal()
    data["contracts"][0]["variant"] = "per-uur"  # its form
    data["contracts"][0]["main_contractor"] = "99000009"  # not registered
    data["participants"][1]["code"] = "9999"  # not on the CBS list
    data["catalogues"][0]["functions"][2]["categorie"] = "99"  # its form
    assert problems(services, data) == [
        "participants[1].code: 9999 is not a CBS municipality code",
        "catalogues[0].functions[2].categorie: '99' is not a ProductCategorie (WMO020)",
        "contracts[0].variant: 'per-uur' is not one of taakgericht, inspanningsgericht, "
        "outputgericht",
        "contracts[0].main_contractor: 99000009 is not a registered participant "
        "(nor defined under participants)",
        "contracts[0].municipalities.0308: 0308 is not a registered participant "
        "(nor defined under participants)",
    ]


def test_a_problem_with_a_form_hides_nothing_else(services: Services) -> None:
    """What is well-formed of an entry with a problem is still checked, and what has a
    problem is not blamed for anything more."""
    data = minimal()
    del data["participants"][2]["name"]  # the main contractor, still known to the contract
    data["contracts"][0]["municipalities"]["0307"]["budget"]["2027"] = -5  # still a budget
    data["contracts"][0]["subcontractors"][0]["code"] = "123"
    data["contracts"][0]["subcontractors"][1]["functions"] = ["f3"]
    assert problems(services, data) == [
        "participants[2].name: missing",
        "contracts[0].municipalities.0307.budget.2027: -5 is negative",
        "contracts[0].subcontractors[0].code: a provider is identified by its 8-digit AGB code",
        "contracts[0].subcontractors[1].functions: f3 is not one of the contract's functions",
    ]


def test_a_code_registered_in_another_role(services: Services) -> None:
    """Operators' names may be digits: a code of the right form can still be someone
    else's than the contract says."""
    with services.database.write() as s:
        participants.add(s, "0327", participants.OPERATOR, "Ops (digits)")
        participants.add(s, "99000009", participants.OPERATOR, "Ops (eight digits)")
    data = minimal()
    data["contracts"][0]["main_contractor"] = "99000009"
    data["contracts"][0]["municipalities"]["0327"] = {"budget": {"2027": 1}}
    data["contracts"][0]["subcontractors"][1]["code"] = "99000009"
    assert problems(services, data) == [
        "contracts[0].main_contractor: 99000009 is registered as operator, not as a provider",
        "contracts[0].municipalities.0327: 0327 is registered as operator, not as a municipality",
        "contracts[0].subcontractors[1].code: 99000009 is the main contractor; it may deliver "
        "every function",
        "contracts[0].subcontractors[1].code: 99000009 is registered as operator, not as a "
        "provider",
    ]


def test_a_stored_participant_must_keep_its_role(services: Services) -> None:
    load(services, {"participants": [{"code": SUB, "role": "provider", "name": "P"}]})
    data = minimal()
    assert problems(services, data) == [
        f"participants[3].role: {SUB} is already registered as provider, not subcontractor"
    ]
    del data["participants"][3]  # the stored provider may be a subcontractor
    report = load(services, data)
    assert "participant 0307" in report.created and f"participant {SUB}" not in report.created


def test_an_unknown_municipality_may_be_allowed(services: Services) -> None:
    entry = {
        "code": "0999",
        "role": "municipality",
        "name": "Old",
        "allow_unknown_municipality": True,
    }
    assert load(services, {"participants": [entry]}).created == ["participant 0999"]


# --- all or nothing ----------------------------------------------------------------------------


def test_one_bad_contract_writes_nothing(services: Services) -> None:
    data = contracts.parse_file(REGION)
    bad = json.loads(json.dumps(minimal()["contracts"][0]))
    bad.update(key="extra", catalogue="amersfoort-wmo@1", functions=["begeleiding-in9"])
    data["contracts"].append(bad)
    with pytest.raises(contracts.ConfigError) as caught:
        load(services, data)
    assert "contracts[2].functions: begeleiding-in9 is not a function of amersfoort-wmo@1" in (
        caught.value.problems
    )
    assert set(counts(services).values()) == {0}


def test_a_dry_run_writes_nothing(services: Services) -> None:
    report = load(services, contracts.parse_file(REGION), dry_run=True)
    assert report.dry_run and "contract amersfoort-begeleiding" in report.created
    assert report.summary()[-1] == "dry run: nothing was written"
    assert set(counts(services).values()) == {0}


def test_the_summary_groups_by_outcome(services: Services) -> None:
    load(services, {"participants": minimal()["participants"][:1]})
    report = load(services, minimal())
    assert report.summary() == [
        "created: 4 participants (0308, 99000001, 99000002, 99000003); 1 catalogue (cat@1); "
        "1 contract (c1)",
        "unchanged: 1 participant (0307)",
        "product codes added: 0307: 02 02N01, 02 02N02; 0308: 02 02N01, 02 02N02",
    ]


# --- catalogue versions ------------------------------------------------------------------------


def test_a_loaded_catalogue_version_never_changes(services: Services) -> None:
    load(services, minimal())
    changed = minimal()
    changed["catalogues"][0]["functions"][0]["code"] = "02N09"
    with pytest.raises(contracts.ConfigError) as caught:
        load(services, changed)
    assert caught.value.problems == [
        "catalogues[0]: cat@1 is already loaded with other content; a loaded version never "
        "changes: publish it as version 2"
    ]
    assert caught.value.only_conflicts
    with services.database.read() as s:
        assert s.scalar(select(ProductCode).where(ProductCode.code == "02N09")) is None
    changed["catalogues"][0]["version"] = 2
    changed["contracts"][0]["catalogue"] = "cat@2"
    changed["contracts"][0]["product_tariffs"] = {"02N09": 500}
    report = load(services, changed)
    assert report.created == ["catalogue cat@2"] and report.updated == ["contract c1"]
    assert dump(services, "c1")["catalogue"] == "cat@2"


def test_the_same_catalogue_in_another_order_is_unchanged(services: Services) -> None:
    load(services, minimal())
    data = {"catalogues": minimal()["catalogues"]}
    data["catalogues"][0]["functions"].reverse()
    assert load(services, data).unchanged == ["catalogue cat@1"]


# --- contract upserts --------------------------------------------------------------------------


def test_a_contract_update_replaces_municipalities_and_subcontractors(
    services: Services,
) -> None:
    load(services, minimal())
    assert services.contracts.get("c1") is not None  # cached now
    data = minimal()
    c = data["contracts"][0]
    c["municipalities"] = {"0308": {"budget": {"2027": 70_000, "2028": 80_000}}}
    c["subcontractors"] = [{"code": OTHER_SUB, "functions": ["f1", "f2"]}]
    c["name"] = "Renamed"
    report = load(services, data)
    assert report.updated == ["contract c1"]
    view = services.contracts.get("c1")
    assert view is not None and view.name == "Renamed"
    assert view.municipalities == {"0308"}
    assert view.budgets == {"0308": {2027: 70_000, 2028: 80_000}}
    assert dict(view.subcontractors) == {OTHER_SUB: frozenset({"f1", "f2"})}
    assert counts(services)["municipalities"] == 1
    assert counts(services)["subcontractors"] == 1


def test_contract_functions_absent_means_the_whole_catalogue(services: Services) -> None:
    data = minimal()
    del data["contracts"][0]["functions"]
    data["contracts"][0]["subcontractors"][1]["functions"] = ["f3"]
    load(services, data)
    view = services.contracts.get("c1")
    assert view is not None and set(view.functions) == {"f1", "f2", "f3"}
    assert "functions" not in dump(services, "c1")


# --- delegations in force ----------------------------------------------------------------------

TODAY = date(2027, 6, 1)


def _refused(services: Services, data: dict[str, Any]) -> list[str]:
    with pytest.raises(contracts.ConfigError) as caught:
        load(services, data, today=TODAY)
    assert caught.value.only_conflicts
    return caught.value.problems


def test_a_change_may_not_take_away_what_delegations_use(services: Services) -> None:
    load(services, minimal())
    delegate(services, "c1", municipality="0307", subcontractor=SUB, function="f1")
    delegate(services, "c1", municipality="0307", subcontractor=SUB, function="f1")
    before = dump(services, "c1")

    data = minimal()
    data["contracts"][0]["functions"] = ["f2"]
    data["contracts"][0]["subcontractors"][0]["functions"] = ["f2"]
    data["contracts"][0]["tariffs"] = {}
    data["contracts"][0]["product_tariffs"] = {}
    assert _refused(services, data) == [
        "contracts[0].functions: f1 would no longer be a function of the contract; "
        "2 delegations in force still use it: end or withdraw them first",
        f"contracts[0].subcontractors: {SUB} would no longer be allowed f1; "
        "2 delegations in force still use it: end or withdraw them first",
    ]

    data = minimal()
    del data["contracts"][0]["municipalities"]["0307"]
    assert _refused(services, data) == [
        "contracts[0].municipalities: 0307 would leave the contract; "
        "2 delegations in force still use it: end or withdraw them first"
    ]

    data = minimal()
    data["contracts"][0]["subcontractors"] = [{"code": OTHER_SUB, "functions": ["f2"]}]
    assert _refused(services, data) == [
        f"contracts[0].subcontractors: {SUB} would no longer be allowed f1; "
        "2 delegations in force still use it: end or withdraw them first"
    ]

    data = minimal()
    data["contracts"][0]["main_contractor"] = OTHER_SUB
    data["contracts"][0]["subcontractors"] = [{"code": SUB, "functions": ["f1", "f2"]}]
    assert _refused(services, data) == [
        f"contracts[0].main_contractor: {MAIN} would no longer be the main contractor; "
        "2 delegations in force still use it: end or withdraw them first"
    ]
    assert dump(services, "c1") == before

    # what the delegations do not use may go
    data = minimal()
    data["contracts"][0]["subcontractors"][0]["functions"] = ["f1"]
    del data["contracts"][0]["municipalities"]["0308"]
    assert load(services, data, today=TODAY).updated == ["contract c1"]


def test_a_new_catalogue_may_not_renumber_a_delegated_function(services: Services) -> None:
    load(services, minimal())
    delegate(services, "c1", function="f1")  # as 02 02N01
    data = {"catalogues": minimal()["catalogues"], "contracts": minimal()["contracts"]}
    data["catalogues"][0].update(version=2)
    data["catalogues"][0]["functions"][0]["code"] = "02N07"
    data["contracts"][0]["catalogue"] = "cat@2"
    data["contracts"][0]["product_tariffs"] = {}
    assert _refused(services, data) == [
        "contracts[0].catalogue: f1 was delegated as 02 02N01; "
        "1 delegation in force still uses it: end or withdraw them first"
    ]


@pytest.mark.parametrize(
    ("einddatum", "status", "in_force"),
    [
        (None, "confirmed", True),
        (None, "sent", True),
        (TODAY, "confirmed", True),  # the last day still counts
        (date(2027, 5, 31), "confirmed", False),
        (None, "withdrawn", False),
    ],
)
def test_only_delegations_in_force_hold_a_contract(
    services: Services, einddatum: date | None, status: str, in_force: bool
) -> None:
    load(services, minimal())
    delegate(services, "c1", subcontractor=SUB, function="f2", einddatum=einddatum, status=status)
    data = minimal()
    data["contracts"][0]["subcontractors"][0]["functions"] = ["f1"]
    if in_force:
        assert _refused(services, data) == [
            f"contracts[0].subcontractors: {SUB} would no longer be allowed f2; "
            "1 delegation in force still uses it: end or withdraw them first"
        ]
    else:
        assert load(services, data, today=TODAY).updated == ["contract c1"]


def test_the_main_contractor_keeps_what_it_delivers_itself(services: Services) -> None:
    load(services, minimal())
    delegate(services, "c1", subcontractor=MAIN, function="f2")
    data = minimal()
    data["contracts"][0]["subcontractors"] = []
    assert load(services, data, today=TODAY).updated == ["contract c1"]


# --- iwmo contract -----------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_load_list_show(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "contract", "load", str(REGION), "--dry-run")
    assert code == 0 and out == ""
    assert err.splitlines()[-1] == "dry run: nothing was written"
    assert run(capsys, "contract", "list") == (0, "", "")

    code, out, err = run(capsys, "contract", "load", str(REGION))
    assert code == 0 and out == ""
    assert err.startswith("created: 11 participants (0307, 0308, 0313, 0327, 0267, 0342, ")
    assert "1 catalogue (amersfoort-wmo@1); 2 contracts" in err
    assert "0307: 02 02N01, 02 02N02" in err

    code, out, err = run(capsys, "contract", "load", str(REGION))
    assert code == 0 and err.startswith("unchanged: 11 participants") and "created" not in err

    code, out, _ = run(capsys, "contract", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].split() == [
        BEGELEIDING,
        "taakgericht",
        "2027-01-01..2035-12-31",
        MAIN,
        "0307,0308,0313,0327,0342,0351",
    ]
    assert lines[1].split()[0] == BESCHERMD_WONEN and lines[1].split()[-1].startswith("0267,")

    code, out, _ = run(capsys, "contract", "show", BESCHERMD_WONEN)
    shown = json.loads(out)
    assert code == 0 and shown["product_tariffs"] == {"15N01": 14500}
    assert set(shown["municipalities"]) == SIX | {NIJKERK}


def test_cli_show_output_loads_back(
    cli_env: None, services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "contract", "load", str(REGION))[0] == 0
    _, out, _ = run(capsys, "contract", "show", BEGELEIDING)
    saved = tmp_path / "begeleiding.json"
    saved.write_text(json.dumps({"contracts": [json.loads(out)]}), encoding="utf-8")
    code, _, err = run(capsys, "contract", "load", str(saved))
    assert code == 0 and err.strip() == f"unchanged: 1 contract ({BEGELEIDING})"


def test_cli_refuses_a_bad_file_and_loads_nothing(
    cli_env: None, services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = minimal()
    data["contracts"][0]["variant"] = "per-uur"
    data["contracts"][0]["subcontractors"][1]["functions"] = ["f9"]
    path = write_json(tmp_path / "bad.json", data)
    code, out, err = run(capsys, "contract", "load", str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"iwmo: {path}: 2 problems; nothing was loaded",
        "  contracts[0].variant: 'per-uur' is not one of taakgericht, inspanningsgericht, "
        "outputgericht",
        "  contracts[0].subcontractors[1].functions: f9 is not a function of cat@1",
    ]
    assert set(counts(services).values()) == {0}


def test_cli_usage_errors(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "c.yaml"
    odd.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "contract", "load", str(odd))
    assert code == 2 and err == f"iwmo: {odd}: expected a .toml or .json file\n"
    code, _, err = run(capsys, "contract", "show", "nothing")
    assert code == 2 and err == "iwmo: no contract nothing\n"
    with pytest.raises(SystemExit) as exited:
        main(["contract"])
    assert exited.value.code == 2


def test_a_municipality_code_the_service_adds_to_the_cbs_list_is_accepted(
    services: Services,
) -> None:
    """A code new since the shipped CBS list (a merger), named in IWMO_EXTRA_MUNICIPALITY_CODES,
    is accepted in a contract file as everywhere else; without the setting it is refused."""
    data = minimal()
    _set("participants.0.code", "9999")(data)
    for contract in data["contracts"]:
        contract["municipalities"] = {
            ("9999" if code == minimal()["participants"][0]["code"] else code): terms
            for code, terms in contract["municipalities"].items()
        }
    with services.database.read() as s:
        assert "participants[0].code: 9999 is not a CBS municipality code" in (
            contracts.validate(s, data)
        )
        assert contracts.validate(s, data, extra_municipalities=("9999",)) == []
    with services.database.write() as s:
        contracts.load(s, data, extra_municipalities=("9999",))
    assert counts(services)["participants"] > 0
