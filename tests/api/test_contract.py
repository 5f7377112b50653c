"""What the OpenAPI document promises about requests, checked one promise at a time: the
findings of fuzzing the API with every schemathesis check (see ``test_fuzz.py``), pinned."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app.services import Services
from app.validation import Validator
from tests.administration.helpers import party
from tests.api.conftest import offline_app, openapi_document

METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM = "application/problem+json"


def test_a_wrong_method_is_answered_with_every_method_the_path_allows() -> None:
    client = TestClient(offline_app())
    wrong = {}
    for path, item in openapi_document()["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)  # any id reaches the route
        documented = sorted(m.upper() for m in item if m in METHODS)
        r = client.options(url)
        if r.status_code != 405 or r.headers.get("allow") != ", ".join(documented):
            wrong[path] = (r.status_code, r.headers.get("allow"), documented)
    assert wrong == {}


def test_a_word_beside_an_id_is_not_taken_for_one() -> None:
    """GET /v1/clienten/zoeken is a wrong method on the search, not a client id."""
    client = TestClient(offline_app())
    r = client.get("/v1/clienten/zoeken")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 405


def test_an_id_that_is_not_digits_names_nothing() -> None:
    client = TestClient(offline_app())
    for url in ("/v1/berichten/abc", "/v1/berichten/-1", "/v1/berichten/1.0"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/problem+json"


# --- values are read as the document writes them ------------------------------------------------

# What pydantic's lax mode took for these types, and the document does not allow.
LAX_TEXT = {
    "integer": ["1.5", " 1", "1_0", "+1", "0x1", "1e0"],
    "boolean": ["0", "1", "yes", "True", "on"],
    "date": ["0", "20270301", "2027-03-01T00:00:00", "2027-03-01 ", "1700000000"],
}
LAX_JSON: dict[str, list[Any]] = {
    "integer": ["1", True, 1.5],
    "boolean": [0, 1, "true", "false"],
    "date": [0, 1700000000, "20270301", "2027-03-01T00:00:00"],
}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    branches = [b for b in schema.get("anyOf", ()) if b.get("type") != "null"]
    return _resolve(document, branches[0]) if len(branches) == 1 else schema


def _kind(schema: dict[str, Any]) -> str | None:
    if schema.get("type") == "string" and schema.get("format") in ("date", "date-time"):
        return "date"
    return schema.get("type") if schema.get("type") in ("integer", "boolean") else None


def _example(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    schema = _resolve(document, schema)
    return copy.deepcopy(schema["examples"][0]) if schema.get("examples") else {}


def _fields(
    document: dict[str, Any], schema: dict[str, Any], value: Any
) -> Iterator[tuple[list[Any], str]]:
    """Every integer, boolean and date field of a body schema: (where, kind). ``value`` is
    the body's part at this place, for the keys of maps."""
    schema = _resolve(document, schema)
    kind = _kind(schema)
    if kind:
        yield [], kind
        return
    for name, sub in schema.get("properties", {}).items():
        part = value.get(name) if isinstance(value, dict) and name in value else None
        part = _example(document, sub) if part is None else part
        for where, found in _fields(document, sub, part):
            yield [name, *where], found
    extra = _values(schema)
    if extra is not None and isinstance(value, dict):
        for key, part in value.items():
            for where, found in _fields(document, extra, part):
                yield [key, *where], found
    if schema.get("type") == "array" and isinstance(value, list) and value:
        for where, found in _fields(document, schema.get("items", {}), value[0]):
            yield [0, *where], found


def _values(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a map's values, for a map keyed by codes."""
    if isinstance(schema.get("additionalProperties"), dict):
        return dict(schema["additionalProperties"])
    patterns = list(schema.get("patternProperties", {}).values())
    return dict(patterns[0]) if patterns else None


def _bodies(
    document: dict[str, Any], schema: dict[str, Any]
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A documented example of the body, with its schema; one per branch of a union."""
    resolved = _resolve(document, schema)
    for branch in resolved.get("oneOf", [schema]):
        yield _example(document, branch), branch


def _put(
    document: dict[str, Any], schema: dict[str, Any], body: Any, where: list[Any], value: Any
) -> None:
    """Set ``value`` at ``where`` in ``body``, making the objects on the way from their
    schemas' examples."""
    for step, rest in ((where[i], where[i + 1 :]) for i in range(len(where))):
        schema = _resolve(document, schema)
        sub = schema.get("properties", {}).get(step) or _values(schema) or {}
        if not rest:
            body[step] = value
            return
        if isinstance(body, dict) and step not in body:
            body[step] = _example(document, sub)
        body, schema = body[step], sub


@pytest.fixture
def operator(app: Any, services: Services) -> TestClient:
    return party(app, services, "ops", "operator", "Operator").client


def _url(path: str, parameters: list[dict[str, Any]], **values: str) -> tuple[str, dict[str, Any]]:
    filled = {p["name"]: str(p.get("example", _first(p))) for p in parameters}
    filled.update(values)
    url = path.format(**{p["name"]: filled[p["name"]] for p in parameters if p["in"] == "path"})
    query = {
        p["name"]: filled[p["name"]]
        for p in parameters
        if p["in"] == "query" and (p.get("required") or p["name"] in values)
    }
    return url, query


def _first(parameter: dict[str, Any]) -> Any:
    examples = parameter.get("examples") or parameter["schema"].get("examples") or [1]
    if isinstance(examples, dict):
        return next(iter(examples.values()))["value"]
    return examples[0]


def test_parameters_take_only_what_the_document_writes(operator: TestClient) -> None:
    document = openapi_document()
    accepted, asked = [], 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            parameters = op.get("parameters", [])
            for parameter in parameters:
                kind = _kind(_resolve(document, parameter["schema"]))
                if kind is None:
                    continue
                for bad in LAX_TEXT[kind]:
                    url, query = _url(path, parameters, **{parameter["name"]: bad})
                    r = operator.request(method, url, params=query)
                    asked += 1
                    refused = r.status_code == 422 or (
                        parameter["in"] == "path" and r.status_code == 404
                    )
                    if not refused:
                        accepted.append((method, path, parameter["name"], bad, r.status_code))
    assert accepted == []
    assert asked > 100


def test_bodies_take_only_what_the_document_writes(operator: TestClient) -> None:
    document = openapi_document()
    accepted, asked = [], 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            url, query = _url(path, op.get("parameters", []))
            for base, schema in _bodies(document, content["schema"]):
                for where, kind in _fields(document, schema, base):
                    for bad in LAX_JSON[kind]:
                        body = copy.deepcopy(base)
                        _put(document, schema, body, where, bad)
                        r = operator.request(method, url, params=query, json=body)
                        asked += 1
                        problem = r.json() if r.status_code == 422 else {}
                        errors = problem.get("errors", [])
                        places = [e["loc"] for e in errors if isinstance(e, dict)]
                        if r.status_code != 422 or not any(
                            place[: len(where) + 1] == ["body", *where]
                            or place[-len(where) :] == where
                            for place in places
                        ):
                            accepted.append((method, path, where, bad, r.status_code))
    assert accepted == []
    assert asked > 40


# --- XML bodies ----------------------------------------------------------------------------------


def _xml_examples(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every example of an XML body in the document, request or response: (where, text)."""
    for path, item in document["paths"].items():
        for method, op in item.items():
            places = [("request", op.get("requestBody", {}))]
            places += [(status, response) for status, response in op.get("responses", {}).items()]
            for label, place in places:
                for media, content in place.get("content", {}).items():
                    if "xml" in media and "example" in content:
                        yield f"{method} {path} {label} {media}", content["example"]
                    for name, example in content.get("examples", {}).items():
                        if "xml" in media:
                            yield f"{method} {path} {label} {media} {name}", example["value"]


def test_every_xml_example_is_a_valid_iwmo_message(validator: Validator) -> None:
    """Whoever copies an example gets a message the service reads: well-formed, and valid
    against its schema."""
    found = dict(_xml_examples(openapi_document()))
    posted = {"post /v1/validate request application/xml"}
    assert posted <= set(found)
    assert any(where.startswith("post /v1/berichten request application/xml ") for where in found)
    problems = {}
    for where, text in found.items():
        etree.fromstring(text.encode())  # well-formed, or this fails naming nothing else
        report = validator.check(text.encode())
        if report.message_type is None or not report.schema_valid:
            problems[where] = [f.message for f in report.findings]
    assert problems == {}


def test_message_bodies_are_documented_as_the_bytes_sent() -> None:
    """A string schema under application/xml reads as an XML element holding the string
    (OpenAPI's XML object); a message is sent as it is."""
    document = openapi_document()
    for path in ("/v1/berichten", "/v1/validate"):
        content = document["paths"][path]["post"]["requestBody"]["content"]
        assert list(content) == ["application/xml"]
        schema = content["application/xml"]["schema"]
        assert (schema["type"], schema["format"], schema["minLength"]) == ("string", "binary", 1)


def test_the_validate_example_gets_the_documented_answer() -> None:
    document = openapi_document()
    op = document["paths"]["/v1/validate"]["post"]
    request = op["requestBody"]["content"]["application/xml"]["example"]
    answer = op["responses"]["200"]["content"]["application/json"]["example"]
    r = TestClient(offline_app()).post(
        "/v1/validate", content=request.encode(), headers={"content-type": "application/xml"}
    )
    assert r.status_code == 200
    got = r.json()
    for finding in got["findings"]:
        assert finding.pop("line") is None
    assert got == answer


def test_an_empty_body_is_no_message(app: Any, services: Services) -> None:
    """POST /v1/validate answers an empty body as POST /v1/berichten does: 400, a problem
    document saying the message is empty (only /v1/berichten stores it)."""
    gemeente = party(app, services, "0307", "municipality", "Amersfoort")
    xml = {"content-type": "application/xml"}
    sent = gemeente.client.post("/v1/berichten", content=b"", headers=xml)
    checked = TestClient(app).post("/v1/validate", content=b"", headers=xml)
    assert sent.status_code == checked.status_code == 400
    assert sent.headers["content-type"] == checked.headers["content-type"] == PROBLEM
    stored = sent.json()
    for name in ("instance", "message_id"):
        stored.pop(name)
    assert checked.json() == stored
    assert stored["type"] == "urn:iwmo-hub:problem:empty"


def test_a_number_without_a_fraction_is_an_integer(operator: TestClient) -> None:
    """JSON Schema counts 1.0 as an integer: the service takes it as 1, in a body and in a
    query."""
    function = {"key": "f1", "name": "F1", "categorie": "02", "code": "02N01"}
    body = {"key": "whole", "version": 1.0, "name": "Whole", "functions": [function]}
    r = operator.post("/v1/catalogues", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1
    assert operator.get("/v1/catalogues/whole/1").status_code == 200
    r = operator.get("/v1/berichten", params={"limit": "2.0", "after": "0.00"})
    assert r.status_code == 200, r.text


# --- what the document cannot state -----------------------------------------------------------


def _fits(
    document: dict[str, Any], method: str, path: str, body: Any, query: dict[str, str]
) -> None:
    """Fail unless the request fits the document's schemas."""
    import jsonschema_rs  # comes with schemathesis

    op = document["paths"][path][method]
    checks: list[tuple[dict[str, Any], Any]] = []
    if body is not None:
        checks.append((op["requestBody"]["content"]["application/json"]["schema"], body))
    for parameter in op.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] in query:
            checks.append((parameter["schema"], query[parameter["name"]]))
    for schema, value in checks:
        validator = jsonschema_rs.validator_for(
            {**schema, "components": document["components"]}, validate_formats=True
        )
        assert [e.message for e in validator.iter_errors(value)] == [], (method, path, value)


_FUNCTION = {"key": "f1", "name": "F1", "categorie": "02", "code": "02N01"}
_CONTRACT = {
    "name": "C",
    "main_contractor": "99000001",
    "variant": "inspanningsgericht",
    "begindatum": "2027-01-01",
    "catalogue": "nowhere@1",
    "municipalities": {"0307": {}},
}
# A request that fits the document, the problem it has, and how the service answers it.
UNSTATED = [
    ("post", "/v1/participants", {"code": "9999", "role": "municipality", "name": "X"}, {},
     409, "unknown_municipality"),
    ("post", "/v1/catalogues", {"key": "c", "version": 1, "name": "C", "functions": [_FUNCTION] * 2},  # noqa: E501
     {}, 409, "invalid_catalogue"),
    ("put", "/v1/contracts/{key}", _CONTRACT, {}, 409, "invalid_contract"),
    ("put", "/v1/contracts/{key}", {**_CONTRACT, "key": "other"}, {}, 409, "invalid_contract"),
    ("get", "/v1/reports/deployment", None, {"from": "2027-03-31", "to": "2027-01-01"},
     404, "invalid_period"),
    ("get", "/v1/reports/deployment", None, {"from": "2020-01-01", "to": "2027-01-01"},
     404, "invalid_period"),
]  # fmt: skip


@pytest.mark.parametrize("method, path, body, query, status, kind", UNSTATED)
def test_what_fits_the_document_is_not_refused_as_invalid(
    operator: TestClient,
    method: str,
    path: str,
    body: Any,
    query: dict[str, str],
    status: int,
    kind: str,
) -> None:
    """422 says a request does not fit the document; a rule the document cannot state (a
    code the CBS list lacks, a reference to what is not loaded, one thing twice, a relation
    between two values) is answered with a status the document lists for it."""
    document = openapi_document()
    _fits(document, method, path, body, query)
    op = document["paths"][path][method]
    r = operator.request(method, path.format(key="c1"), params=query, json=body)
    assert r.status_code == status, r.text
    assert r.json()["type"] == f"urn:iwmo-hub:problem:{kind}"
    assert str(status) in op["responses"]


def test_a_nul_in_a_name_is_refused_as_the_document_says(operator: TestClient) -> None:
    """PostgreSQL cannot store a NUL in text: the document says names hold none, and the
    request is refused as not fitting it (not as a value the database refused)."""
    document = openapi_document()
    body = {"code": "12345678", "role": "provider", "name": "Zorg\x00BV"}
    with pytest.raises(AssertionError):
        _fits(document, "post", "/v1/participants", body, {})
    r = operator.post("/v1/participants", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "urn:iwmo-hub:problem:invalid_request"
    assert [e["loc"][-1] for e in r.json()["errors"]] == ["name"]
