"""The product code list: loaded from CSV by ``iwmo product-codes``, read over HTTP, and
what TR381 judges against."""

from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.administration import product_codes
from app.cli import main
from app.config import Settings
from app.services import Services
from app.standard import messages as m
from tests.administration.helpers import (
    Party,
    approved,
    party,
    retour_codes,
    toegewezen,
    toewijzingen,
)

PRODUCT = "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]"


@pytest.fixture
def cli_env(settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI on the test database (``services`` empties it afterwards)."""
    monkeypatch.setenv("IWMO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("IWMO_SECRET_KEY", settings.secret_key or "")


def load(tmp_path: Path, text: str, *extra: str) -> int:
    f = tmp_path / "codes.csv"
    f.write_text(text, encoding="utf-8")
    return main(["product-codes", "import", str(f), *extra])


def listed(capsys: pytest.CaptureFixture[str], *extra: str) -> list[str]:
    capsys.readouterr()
    assert main(["product-codes", "list", *extra]) == 0
    return capsys.readouterr().out.splitlines()


def test_import_then_list(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "categorie,code,omschrijving\n02,02A01,Begeleiding individueel\n02,02A02,Groep\n"
    assert load(tmp_path, text) == 0
    assert listed(capsys) == [
        "categorie,code,omschrijving",
        "02,02A01,Begeleiding individueel",
        "02,02A02,Groep",
    ]


def test_import_replaces_only_the_categories_it_names(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load(tmp_path, "01,01A01,a\n02,02A01,b\n02,02A02,c\n") == 0
    assert load(tmp_path, "02,02A09,d\n") == 0
    assert listed(capsys)[1:] == ["01,01A01,a", "02,02A09,d"]
    assert load(tmp_path, "03,03A01,e\n", "--replace") == 0
    assert listed(capsys)[1:] == ["03,03A01,e"]
    assert listed(capsys, "--categorie", "01")[1:] == []


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("99,99A01,x", "not a ProductCategorie"),
        ("02,02A0001,x", "not a ProductCode"),
        ("02", "expected categorie,code"),
        ("02,02A01,y", "listed twice"),
    ],
)
def test_a_bad_line_changes_nothing(
    line: str,
    reason: str,
    cli_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert load(tmp_path, "02,02A01,x\n") == 0
    capsys.readouterr()
    assert load(tmp_path, f"02,02A01,x\n{line}\n", "--replace") == 2
    assert reason in capsys.readouterr().err
    assert listed(capsys)[1:] == ["02,02A01,x"]


def test_parse_names_the_line() -> None:
    with pytest.raises(product_codes.ProductCodeError, match="line 3"):
        product_codes.parse("02,02A01\n\n1x,02A02\n")


def test_tr381_judges_against_the_imported_list(
    cli_env: None, tmp_path: Path, services: Services, gemeente: Party, aanbieder: Party
) -> None:
    assert load(tmp_path, "01,01A02,huishoudelijke hulp\n") == 0
    services.intake.product_codes.forget()  # a running service sees it within 30 s
    r = gemeente.send(toewijzingen(toegewezen(101)))  # 01A01: not on the list
    assert retour_codes(r.content)[PRODUCT] == ["S329"]
    other = toegewezen(101, Product=m.Product(Categorie="01", Code="01A02"))
    assert approved(gemeente.send(toewijzingen(other)))


def test_everyone_may_read_the_list(
    cli_env: None, tmp_path: Path, aanbieder: Party, anonymous: TestClient
) -> None:
    assert load(tmp_path, "02,02A01,b\n01,01A01,a\n") == 0
    assert aanbieder.get("/v1/productcodes").json() == [
        {"categorie": "01", "code": "01A01", "omschrijving": "a", "gemeente": None},
        {"categorie": "02", "code": "02A01", "omschrijving": "b", "gemeente": None},
    ]
    assert aanbieder.get("/v1/productcodes", categorie="02").json()[0]["code"] == "02A01"
    assert anonymous.get("/v1/productcodes").status_code == 401


# --- a list per municipality --------------------------------------------------------------------

AMERSFOORT, NIJMEGEN = "0307", "0268"


@pytest.fixture
def two_regions(app: Any, services: Services, aanbieder: Party) -> dict[str, Party]:
    """Amersfoort and Nijmegen, both allocating to the provider."""
    return {
        code: party(app, services, code, "municipality", name)
        for code, name in ((AMERSFOORT, "Amersfoort"), (NIJMEGEN, "Nijmegen"))
    }


_numbers = count(101)


def allocate(municipality: Party, code: str, categorie: str = "02") -> Any:
    """A new allocation (a number of its own) of one product code."""
    product = toegewezen(next(_numbers), Product=m.Product(Categorie=categorie, Code=code))
    return municipality.send(toewijzingen(product, gemeente=municipality.code))


def test_two_regions_with_other_codes_in_one_category_each_judged_by_their_own(
    cli_env: None,
    tmp_path: Path,
    services: Services,
    two_regions: dict[str, Party],
    gemeente: Party,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Both use category 02, with different codes: on one service-wide list one of them
    # would be refused for the other's codes, or both accepted with both.
    assert load(tmp_path, "02,02N01,IN1\n02,02N02,IN2\n", "--gemeente", AMERSFOORT) == 0
    assert load(tmp_path, "02,02A01,Individueel\n", "--gemeente", NIJMEGEN) == 0
    assert load(tmp_path, "02,02Z99,default\n") == 0
    services.intake.product_codes.forget()
    amersfoort, nijmegen = two_regions[AMERSFOORT], two_regions[NIJMEGEN]
    assert approved(allocate(amersfoort, "02N01"))
    assert approved(allocate(nijmegen, "02A01"))
    assert retour_codes(allocate(amersfoort, "02A01").content)[PRODUCT] == ["S329"]
    assert retour_codes(allocate(nijmegen, "02N01").content)[PRODUCT] == ["S329"]
    # A municipality without codes of its own in a category has the default's.
    assert retour_codes(allocate(gemeente, "02N01").content)[PRODUCT] == ["S329"]
    assert approved(allocate(gemeente, "02Z99"))
    # Each list as stored, and as TR381 applies it.
    assert listed(capsys, "--gemeente", AMERSFOORT, "--own")[1:] == ["02,02N01,IN1", "02,02N02,IN2"]
    assert listed(capsys)[1:] == ["02,02Z99,default"]
    assert listed(capsys, "--gemeente", gemeente.code)[1:] == ["02,02Z99,default"]


def test_an_own_list_replaces_the_default_per_category_only(
    cli_env: None, tmp_path: Path, services: Services, two_regions: dict[str, Party]
) -> None:
    assert load(tmp_path, "01,01A01,hh\n02,02Z99,default\n") == 0
    assert load(tmp_path, "02,02N01,IN1\n", "--gemeente", AMERSFOORT, "--gemeente", NIJMEGEN) == 0
    services.intake.product_codes.forget()
    for municipality in two_regions.values():
        assert approved(allocate(municipality, "02N01"))
        assert retour_codes(allocate(municipality, "02Z99").content)[PRODUCT] == ["S329"]
        # Category 01 has no own codes: the default's apply.
        assert approved(allocate(municipality, "01A01", "01"))
        assert retour_codes(allocate(municipality, "01A09", "01").content)[PRODUCT] == ["S329"]


def test_an_unknown_municipality_gets_no_list(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert load(tmp_path, "02,02N01,IN1\n", "--gemeente", "9999") == 2
    assert "9999 is not a CBS municipality code" in capsys.readouterr().err
    assert load(tmp_path, "02,02N01,IN1\n", "--gemeente", "307") == 2


def test_lists_over_the_api(
    services: Services, two_regions: dict[str, Party], operator: Party, aanbieder: Party
) -> None:
    put = operator.client.put
    body = {"gemeente": AMERSFOORT, "codes": [{"categorie": "02", "code": "02N01"}]}
    r = put("/v1/productcodes", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"gemeente": AMERSFOORT, "categories": ["02"], "count": 1}
    default = {
        "codes": [{"categorie": "02", "code": "02Z99"}, {"categorie": "01", "code": "01A01"}]
    }
    assert put("/v1/productcodes", json=default).json()["gemeente"] is None
    # Amersfoort's list as TR381 applies it: its own 02, the default's 01.
    found = aanbieder.get("/v1/productcodes", gemeente=AMERSFOORT).json()
    assert [(c["categorie"], c["code"], c["gemeente"]) for c in found] == [
        ("01", "01A01", None),
        ("02", "02N01", AMERSFOORT),
    ]
    assert [c["code"] for c in aanbieder.get("/v1/productcodes").json()] == ["01A01", "02Z99"]
    # Only operators load lists; a bad code changes nothing.
    assert aanbieder.client.put("/v1/productcodes", json=body).status_code == 403
    bad = {"gemeente": AMERSFOORT, "codes": [{"categorie": "99", "code": "X"}]}
    r = put("/v1/productcodes", json=bad)
    assert r.status_code == 422  # the document states the categories
    assert r.json()["errors"][0]["loc"] == ["body", "codes", 0, "categorie"]
    twice = {"gemeente": AMERSFOORT, "codes": [{"categorie": "02", "code": "X"}] * 2}
    r = put("/v1/productcodes", json=twice)
    assert r.status_code == 409  # what no schema states
    assert "twice" in r.json()["errors"][0]
    unknown = put("/v1/productcodes", json={**body, "gemeente": "9999"})
    assert unknown.status_code == 409
    assert len(aanbieder.get("/v1/productcodes", gemeente=AMERSFOORT).json()) == 2
    # A municipality the service has no participant for, and no codes: nothing listed
    # beyond the default.
    assert aanbieder.get("/v1/productcodes", gemeente="0363").json()[0]["gemeente"] is None
