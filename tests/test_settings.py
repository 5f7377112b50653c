"""One settings object reads the environment; nothing else in the service does."""

from __future__ import annotations

import ast
import re
from datetime import date

import pytest

from app.config import Settings
from tests.conftest import ROOT


def test_nothing_but_the_settings_reads_the_environment() -> None:
    readers = []
    written: set[int] = set()
    for path in sorted((ROOT / "app").rglob("*.py")):
        if path.name == "config.py" and path.parent.name == "app":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # ``os.environ[...] = ...`` hands a setting to child processes: no reading.
            if isinstance(node, ast.Assign):
                written.update(id(t.value) for t in node.targets if isinstance(t, ast.Subscript))
            reading = (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            )
            if reading and id(node) not in written:
                assert isinstance(node, ast.Attribute)  # as ``reading`` found
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == [], readers


def test_every_variable_in_the_readme_is_a_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(IWMO_[A-Z_]+)`", table))
    fields = {f"IWMO_{name.upper()}" for name in Settings.model_fields} - {
        "IWMO_PROMETHEUS_MULTIPROC_DIR"
    }
    assert documented == fields


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IWMO_MAX_FINDINGS", "7")
    monkeypatch.setenv("IWMO_DELEGATION_NUMBERS", "800000000-800000099")
    monkeypatch.setenv("IWMO_EXTRA_MUNICIPALITY_CODES", "0457, 1234")
    monkeypatch.setenv("IWMO_XSD_DIR", "")
    settings = Settings.from_env()
    assert settings.max_findings == 7
    assert settings.delegation_numbers == (800_000_000, 800_000_099)
    assert settings.extra_municipality_codes == ("0457", "1234")
    assert settings.xsd_dir is None
    assert settings.today is None
    assert Settings().max_findings == 100  # Settings(...) reads nothing
    monkeypatch.setenv("IWMO_TODAY", "2027-12-31")
    assert Settings.from_env().today == date(2027, 12, 31)
    monkeypatch.setenv("IWMO_TODAY", "")
    assert Settings.from_env().today is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IWMO_MAX_FINDINGS", "many"),
        ("IWMO_MAX_FINDINGS", "0"),
        ("IWMO_JUDGE_SECONDS", "-1"),
        ("IWMO_DELEGATION_NUMBERS", "9-1"),
        ("IWMO_LOG_FORMAT", "xml"),
        ("IWMO_TODAY", "2027-02-30"),
        ("IWMO_TODAY", "31-12-2027"),
    ],
)
def test_a_value_that_does_not_fit_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"^{name}: "):
        Settings.from_env()
