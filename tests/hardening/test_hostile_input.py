"""Hostile and broken input on POST /v1/berichten (and /v1/validate): every body is stored
first, refused with a problem document that names what is wrong, and never answered 5xx.

The TestClient re-raises any exception of the application, so a crash fails the test even
where a 500 would otherwise be sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.administration import models as db
from app.services import Services
from tests.administration.helpers import Party, approved
from tests.hardening.support import (
    XML,
    inside_client,
    message,
    on_root,
    raw,
    recorded,
    refused,
)

PASSWD = b"file:///etc/passwd"


def _with_prolog(prolog: bytes, body: Callable[[], bytes] = message) -> Callable[[], bytes]:
    """A message with ``prolog`` (say, a DOCTYPE) between its XML declaration and root."""

    def build() -> bytes:
        data = body()
        declaration, _, rest = data.partition(b"\n")
        return declaration + b"\n" + prolog + b"\n" + rest

    return build


def _referencing(entity: bytes, prolog: bytes) -> Callable[[], bytes]:
    """A message whose Achternaam is ``&entity;``, defined (or not) in ``prolog``."""

    def body() -> bytes:
        return message().replace(b">Wit<", b">&" + entity + b";<", 1)

    return _with_prolog(prolog, body) if prolog else body


def _recoded(codec: str, declared: str | None = "UTF-8") -> Callable[[], bytes]:
    def build() -> bytes:
        text = message().decode()
        if declared is None:
            text = text.partition("\n")[2]
        else:
            text = text.replace("encoding='UTF-8'", f"encoding='{declared}'", 1)
        return text.encode(codec)

    return build


def _spoiled(old: bytes, new: bytes) -> Callable[[], bytes]:
    return lambda: message().replace(old, new, 1)


def _nested(depth: int) -> bytes:
    return b"<a>" * depth + b"</a>" * depth


_LAUGHS = (
    b'<!DOCTYPE wmo301:Bericht [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]>"
)
_QUADRATIC = b'<!DOCTYPE wmo301:Bericht [<!ENTITY big "' + b"x" * 50_000 + b'">]>'


@dataclass(frozen=True)
class Case:
    id: str
    body: Callable[[], bytes]
    status: int
    kind: str
    words: tuple[str, ...]
    stored: str = "unreadable"  # the status the sender sees

    def __str__(self) -> str:
        return self.id


CASES = [
    # --- DTDs and entities: refused before any is looked at -------------------------------
    Case(
        "xxe-file",
        _referencing(b"x", b'<!DOCTYPE wmo301:Bericht [<!ENTITY x SYSTEM "' + PASSWD + b'">]>'),
        400,
        "doctype",
        ("DOCTYPE",),
    ),
    Case(
        "xxe-http",
        _referencing(
            b"x", b'<!DOCTYPE wmo301:Bericht [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
        ),
        400,
        "doctype",
        ("DOCTYPE",),
    ),
    Case(
        "xxe-external-dtd",
        _with_prolog(b'<!DOCTYPE wmo301:Bericht SYSTEM "http://127.0.0.1:9/evil.dtd">'),
        400,
        "doctype",
        ("DOCTYPE",),
    ),
    Case(
        "xxe-parameter-entity",
        _with_prolog(b'<!DOCTYPE wmo301:Bericht [<!ENTITY % p SYSTEM "' + PASSWD + b'"> %p;]>'),
        400,
        "doctype",
        ("DOCTYPE",),
    ),
    Case("billion-laughs", _referencing(b"lol9", _LAUGHS), 400, "doctype", ("DOCTYPE",)),
    Case(
        "quadratic-blowup",
        lambda: _referencing(b"big", _QUADRATIC)().replace(
            b">&big;<", b">" + b"&big;" * 5000 + b"<"
        ),
        400,
        "doctype",
        ("DOCTYPE",),
    ),
    Case(
        "doctype-name-only",
        _with_prolog(b"<!DOCTYPE wmo301:Bericht>"),
        400,
        "doctype",
        ("DOCTYPE",),
    ),
    Case(
        "doctype-after-comment-and-pi",
        _with_prolog(b"<!-- x -->\n<?pi x?>\n<!DOCTYPE wmo301:Bericht>"),
        400,
        "doctype",
        ("DOCTYPE",),
    ),
    Case("entity-without-doctype", _referencing(b"xxe", b""), 400, "doctype", ("entities",)),
    # --- nesting ------------------------------------------------------------------------------
    Case("nested-100000", lambda: _nested(100_000), 400, "not_well_formed", ("nested too deeply",)),
    Case(
        "message-nested-100000-inside",
        lambda: inside_client(message(), _nested(100_000)),
        400,
        "not_well_formed",
        ("nested too deeply",),
    ),
    Case(
        "message-nested-200-inside",
        lambda: inside_client(message(), _nested(200)),
        422,
        "schema",
        ("not expected",),
        stored="rejected",
    ),
    # --- encodings ----------------------------------------------------------------------------
    Case("utf-16-bom", _recoded("utf-16", "UTF-16"), 400, "encoding", ("UTF-8", "UTF-16")),
    Case(
        "utf-16be-bom",
        lambda: b"\xfe\xff" + _recoded("utf-16-be", "UTF-16")(),
        400,
        "encoding",
        ("byte order mark",),
    ),
    Case("utf-16le-no-bom", _recoded("utf-16-le", "UTF-16"), 400, "encoding", ("UTF-16",)),
    Case(
        "utf-16be-no-bom-no-declaration", _recoded("utf-16-be", None), 400, "encoding", ("UTF-16",)
    ),
    Case("utf-16le-no-bom-says-utf-8", _recoded("utf-16-le"), 400, "encoding", ("UTF-16",)),
    Case("utf-32-bom", _recoded("utf-32", "UTF-32"), 400, "encoding", ("UTF-32",)),
    Case("utf-32le-no-bom", _recoded("utf-32-le", "UTF-32"), 400, "encoding", ("UTF-32",)),
    Case(
        "iso-8859-1-declared",
        lambda: _recoded("latin-1", "ISO-8859-1")().replace(b">Wit<", b">Wit\xe9<"),
        400,
        "encoding",
        ("ISO-8859-1",),
    ),
    Case("windows-1252-declared", _recoded("cp1252", "windows-1252"), 400, "encoding", ("1252",)),
    Case("ebcdic", _recoded("cp037", "EBCDIC-US"), 400, "encoding", ("UTF-8",)),
    Case("invalid-utf-8", _spoiled(b">Wit<", b">W\xffit<"), 400, "encoding", ("invalid UTF-8",)),
    Case("overlong-utf-8", _spoiled(b">Wit<", b">W\xc0\xafit<"), 400, "encoding", ("UTF-8",)),
    Case("utf-8-surrogate", _spoiled(b">Wit<", b">W\xed\xa0\x80it<"), 400, "encoding", ("UTF-8",)),
    Case(
        "utf-8-cut-character",
        lambda: message().replace(b">Wit<", b">Wit\xc3<"),
        400,
        "encoding",
        ("UTF-8",),
    ),
    # --- broken, empty, not XML -----------------------------------------------------------
    Case(
        "truncated-half",
        lambda: message()[: len(message()) // 2],
        400,
        "not_well_formed",
        ("truncated",),
    ),
    Case(
        "truncated-in-tag",
        lambda: message().partition(b"<wmo301:Client>")[0] + b"<wmo301:Cli",
        400,
        "not_well_formed",
        ("truncated",),
    ),
    Case("empty", lambda: b"", 400, "empty", ("empty",)),
    Case("whitespace-only", lambda: b" \r\n\t \n", 400, "empty", ("empty",)),
    Case("nul-byte", _spoiled(b">Wit<", b">W\x00it<"), 400, "not_well_formed", ("NUL",)),
    Case("nul-bytes-only", lambda: b"\x00" * 100, 400, "not_well_formed", ("NUL",)),
    Case("control-character", _spoiled(b">Wit<", b">W\x01it<"), 400, "not_well_formed", ("line",)),
    Case("not-xml", lambda: b"hello, world", 400, "not_well_formed", ("line 1",)),
    Case("json", lambda: b'{"Bericht": {}}', 400, "not_well_formed", ("line 1",)),
    Case(
        "two-roots",
        lambda: message() + message().partition(b"\n")[2],
        400,
        "not_well_formed",
        ("Extra content",),
    ),
    Case("other-root", lambda: b"<Bericht/>", 400, "unknown_root", ("not an iWmo 3.2 message",)),
    # --- huge values and crowded elements -------------------------------------------------
    Case(
        "attribute-value-11mb",
        lambda: on_root(message(), b'a="' + b"x" * 11_000_000 + b'"'),
        400,
        "not_well_formed",
        ("longer than the parser allows",),
    ),
    Case(
        "text-11mb",
        _spoiled(b">Wit<", b">" + b"x" * 11_000_000 + b"<"),
        400,
        "not_well_formed",
        ("longer than the parser allows",),
    ),
    Case(
        "attribute-value-5mb",
        lambda: on_root(message(), b'a="' + b"x" * 5_000_000 + b'"'),
        422,
        "schema",
        ("attribute 'a'", "not allowed"),
        stored="rejected",
    ),
    Case(
        "bsn-5mb",
        _spoiled(b">999900006<", b">" + b"9" * 5_000_000 + b"<"),
        422,
        "schema",
        ("5000000 characters is too long",),
        stored="rejected",
    ),
    Case(
        "attributes-200000-on-root",
        lambda: on_root(message(), b" ".join(b'a%d="1"' % i for i in range(200_000))),
        400,
        "not_well_formed",
        ("200,000 attributes",),
    ),
    Case(
        "namespaces-200000-on-root",
        lambda: on_root(
            message(), b" ".join(b'xmlns:n%d="urn:n:%d"' % (i, i) for i in range(200_000))
        ),
        400,
        "not_well_formed",
        ("namespace declarations",),
    ),
    Case(
        "namespaces-200000-on-a-leaf",
        _spoiled(
            b"<wmo301:Bsn>",
            b"<wmo301:Bsn "
            + b" ".join(b'xmlns:n%d="urn:n:%d"' % (i, i) for i in range(200_000))
            + b">",
        ),
        400,
        "not_well_formed",
        ("namespace declarations",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_message_is_stored_and_refused(
    case: Case, services: Services, gemeente: Party, aanbieder: Party
) -> None:
    body = case.body()
    r = gemeente.client.post("/v1/berichten", content=body, headers=XML)
    problem = refused(r, case.status, case.kind)
    findings = problem["findings"]
    assert findings, "a refusal of the content says what is wrong"
    named = " ".join([problem["detail"], *(f["message"] for f in findings)]).lower()
    for word in case.words:
        assert word.lower() in named
    # Nothing is echoed back: a huge value is described, not repeated.
    assert len(r.content) < 10_000
    assert b"root:" not in r.content
    # Stored as sent, with the verdict, for the sender to see.
    seen = recorded(gemeente, problem["message_id"])
    assert seen["status"] == case.stored
    assert seen["size"] == len(body)
    assert [_plain(f) for f in seen["findings"]] == [_plain(f) for f in findings]
    assert raw(gemeente, problem["message_id"]) == body
    with services.database.read() as s:
        row = s.get(db.Message, problem["message_id"])
        assert row is not None
        assert row.problem == case.kind


def _plain(finding: dict[str, object]) -> tuple[object, ...]:
    return tuple(finding.get(k) for k in ("rule", "return_code", "path", "message", "line"))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_message_on_validate_gets_findings(
    case: Case, services: Services, anonymous: TestClient
) -> None:
    r = anonymous.post("/v1/validate", content=case.body(), headers=XML)
    if case.kind == "empty":
        # No message at all: refused as POST /v1/berichten refuses it (only not stored).
        assert r.status_code == 400, r.text[:2000]
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "urn:iwmo-hub:problem:empty"
        assert [f["rule"] for f in r.json()["findings"]] == ["XML"]
        return
    assert r.status_code == 200, r.text[:2000]
    report = r.json()
    assert report["schema_valid"] is False
    [rule] = {f["rule"] for f in report["findings"]}
    assert rule == ("XSD" if case.status == 422 or case.kind == "unknown_root" else "XML")
    assert len(r.content) < 10_000
    with services.database.read() as s:
        assert s.scalar(select(func.count()).select_from(db.Message)) == 0


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: b"\xef\xbb\xbf" + message(), id="utf-8-bom"),
        pytest.param(
            lambda: on_root(
                message(), b" ".join(b'xmlns:n%d="urn:n:%d"' % (i, i) for i in range(50))
            ),
            id="50-namespaces",
        ),
        pytest.param(lambda: on_root(message(), b'xmlns:xsi="urn:x"'), id="unused-namespace"),
        pytest.param(lambda: message().replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda: message() + b"\n\n  \n", id="trailing-whitespace"),
        pytest.param(
            lambda: inside_client(message(), b"<!--" + b"c" * 1_000_000 + b"-->"),
            id="1mb-comment",
        ),
    ],
)
def test_odd_but_valid_message_is_accepted(
    build: Callable[[], bytes], gemeente: Party, aanbieder: Party
) -> None:
    r = gemeente.client.post("/v1/berichten", content=build(), headers=XML)
    assert approved(r)
    message_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert recorded(gemeente, message_id)["status"] == "accepted"


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("text/plain", "text/plain"),
        ("application/json", "application/json"),
        (None, "missing"),
        ("multipart/form-data; boundary=b0undary", "multipart/form-data"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("application/xmlx", "application/xmlx"),
        ("", "missing"),
    ],
)
def test_wrong_content_type_is_stored_and_refused(
    content_type: str | None, shown: str, gemeente: Party, aanbieder: Party
) -> None:
    body = message()
    if content_type and content_type.startswith("multipart/"):
        body = (
            b"--b0undary\r\nContent-Disposition: form-data; name=file; filename=m.xml\r\n"
            b"Content-Type: application/xml\r\n\r\n" + body + b"\r\n--b0undary--\r\n"
        )
    headers = {} if content_type is None else {"content-type": content_type}
    r = gemeente.client.post("/v1/berichten", content=body, headers=headers)
    problem = refused(r, 415, "media_type", shown)
    seen = recorded(gemeente, problem["message_id"])
    assert (seen["status"], seen["size"]) == ("unreadable", len(body))
    assert raw(gemeente, problem["message_id"]) == body


@pytest.mark.parametrize(
    "content_type", ["application/xml; charset=utf-8", "text/xml", "APPLICATION/XML"]
)
def test_xml_content_types_are_accepted(
    content_type: str, gemeente: Party, aanbieder: Party
) -> None:
    r = gemeente.client.post(
        "/v1/berichten", content=message(), headers={"content-type": content_type}
    )
    assert approved(r)


def test_a_refusal_is_stored_once_and_answered_the_same(gemeente: Party) -> None:
    body = b"<wmo301:Bericht"
    first = gemeente.client.post("/v1/berichten", content=body, headers=XML)
    second = gemeente.client.post("/v1/berichten", content=body, headers=XML)
    assert first.status_code == second.status_code == 400
    same = ("type", "status", "message_id", "findings")
    assert {k: first.json()[k] for k in same} == {k: second.json()[k] for k in same}
    assert "received before" in second.json()["detail"]
    assert second.headers["x-iwmo-replayed"] == "true"
    assert len(gemeente.get("/v1/berichten").json()["items"]) == 1


def test_a_refused_message_is_only_its_senders(gemeente: Party, aanbieder: Party) -> None:
    r = gemeente.client.post("/v1/berichten", content=b"\x00" * 10, headers=XML)
    problem = refused(r, 400, "not_well_formed")
    assert aanbieder.get(f"/v1/berichten/{problem['message_id']}").status_code == 404
    assert aanbieder.get(f"/v1/berichten/{problem['message_id']}/xml").status_code == 404


def test_unauthenticated_hostile_body_is_not_stored(
    services: Services, anonymous: TestClient
) -> None:
    body = CASES[0].body()
    r = anonymous.post("/v1/berichten", content=body, headers=XML)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    with services.database.read() as s:
        assert s.scalar(select(func.count()).select_from(db.Message)) == 0
