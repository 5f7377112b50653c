"""The product code list: loaded from CSV by ``iwmo product-codes``, read over HTTP, and
what TR381 judges against."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.administration import product_codes
from app.cli import main
from app.config import Settings
from app.services import Services
from app.standard import messages as m
from tests.administration.helpers import Party, approved, retour_codes, toegewezen, toewijzingen

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


def test_import_then_list(cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
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
    services.ingest.product_codes.forget()  # a running service sees it within 30 s
    r = gemeente.send(toewijzingen(toegewezen(101)))  # 01A01: not on the list
    assert retour_codes(r.content)[PRODUCT] == ["S329"]
    other = toegewezen(101, Product=m.Product(Categorie="01", Code="01A02"))
    assert approved(gemeente.send(toewijzingen(other)))


def test_everyone_may_read_the_list(
    cli_env: None, tmp_path: Path, aanbieder: Party, anonymous
) -> None:
    assert load(tmp_path, "02,02A01,b\n01,01A01,a\n") == 0
    assert aanbieder.get("/v1/productcodes").json() == [
        {"categorie": "01", "code": "01A01", "omschrijving": "a"},
        {"categorie": "02", "code": "02A01", "omschrijving": "b"},
    ]
    assert aanbieder.get("/v1/productcodes", categorie="02").json()[0]["code"] == "02A01"
    assert anonymous.get("/v1/productcodes").status_code == 401
