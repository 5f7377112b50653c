"""``iwmo validate``: the contract of DESIGN.md (flags, exit codes, JSON lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import OUTBOUND


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, [line for line in out.splitlines() if line], err


def test_clean_files_exit_zero(capsys: pytest.CaptureFixture[str], reference: Path) -> None:
    files = [str(reference / "examples" / f"{n}.xml") for n in OUTBOUND if n != "WMO317"]
    code, lines, _ = run(capsys, "validate", *files)
    assert code == 0
    assert all(line.endswith(": ok") for line in lines) and len(lines) == len(files)


def test_json_is_one_object_per_line_and_file(
    capsys: pytest.CaptureFixture[str], reference: Path, tmp_path: Path
) -> None:
    good = reference / "examples" / "WMO305.xml"
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        good.read_bytes().replace(
            b"<wmo305:Begindatum>2025-04-03", b"<wmo305:Begindatum>2025-02-30"
        )
    )
    code, lines, _ = run(capsys, "validate", "--json", str(good), str(bad))
    assert code == 1
    first, second = (json.loads(line) for line in lines)
    assert first == {"file": str(good), "message": "WMO305", "schema_valid": True, "findings": []}
    assert second["file"] == str(bad)
    assert second["message"] == "WMO305"
    assert second["schema_valid"] is False
    [finding] = second["findings"]
    assert finding["rule"] == "XSD"
    assert finding["return_code"] == "0001"
    assert finding["path"] == "/Bericht/Client/StartProducten/StartProduct[1]/Begindatum"
    assert "'2025-02-30' is not a valid date" in finding["message"]


def test_not_an_iwmo_message_has_null_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.xml"
    other.write_text('<note xmlns="urn:x"/>')
    broken = tmp_path / "broken.xml"
    broken.write_text("<a>")
    code, lines, _ = run(capsys, "validate", "--json", str(other), str(broken))
    assert code == 1
    a, b = (json.loads(line) for line in lines)
    assert a["message"] is None and a["schema_valid"] is False
    assert a["findings"][0]["rule"] == "XSD"
    assert b["message"] is None and b["findings"][0]["rule"] == "XML"


def test_missing_file_is_an_io_error(
    capsys: pytest.CaptureFixture[str], reference: Path, tmp_path: Path
) -> None:
    code, lines, err = run(
        capsys, "validate", str(tmp_path / "nope.xml"), str(reference / "examples" / "WMO319.xml")
    )
    assert code == 2
    assert "nope.xml" in err
    assert lines[-1].endswith("WMO319: ok")  # the other files are still checked


def test_usage_error_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2


def test_schema_findings_have_readable_reasons_without_personal_data(
    capsys: pytest.CaptureFixture[str], reference: Path, tmp_path: Path
) -> None:
    src = (reference / "examples" / "WMO301.xml").read_bytes()
    bad = tmp_path / "bad.xml"
    bad.write_bytes(src.replace(b"<wmo301:Bsn>999900006", b"<wmo301:Bsn>99990000X"))
    _, lines, _ = run(capsys, "validate", "--json", str(bad))
    [finding] = json.loads(lines[0])["findings"]
    assert finding["path"] == "/Bericht/Client/Bsn"
    assert "99990000X" not in finding["message"]
    assert "9 digits" in finding["message"]


def test_schemas_check_passes_on_a_current_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "--check"]) == 0


def test_rules_command_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    import app.administration.rules  # noqa: F401
    from app.rules import REGISTRY

    code, lines, _ = run(capsys, "rules", "--json")
    assert code == 0
    listed = [json.loads(line) for line in lines]
    assert [r["code"] for r in listed] == sorted(REGISTRY)
    cd041 = next(r for r in listed if r["code"] == "CD041")
    assert cd041["messages"] == ["WMO301", "WMO315", "WMO317"]
    assert cd041["return_code"] == "0001"
    assert {r["scope"] for r in listed} == {"message", "administration", "external"}
    code, lines, _ = run(capsys, "rules", "--message", "wmo319", "--scope", "message")
    assert [line.split()[0] for line in lines] == ["CD085", "CD086"]


def test_readme_documents_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    import app.administration.rules  # noqa: F401
    from app.rules import REGISTRY
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code, lines, _ = run(capsys, "rules", "--markdown")
    assert code == 0
    assert "\n".join(lines) in readme, "README's rule table is stale: run iwmo rules --markdown"
    assert all(r.covers for r in REGISTRY.values()), "every rule says which elements it reads"


def test_new_secret_key_is_base64_of_32_random_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    import base64

    code, first, _ = run(capsys, "new-secret-key")
    _, second, _ = run(capsys, "new-secret-key")
    assert code == 0
    assert len(base64.b64decode(first[0], validate=True)) == 32
    assert first != second
