"""The OpenAPI document is complete: a description and an example for every endpoint and
schema, a description for every parameter, and errors documented as problem documents."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.api.deps import caller
from tests.api.conftest import endpoints, offline_app, openapi_document

METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM = "application/problem+json"
# Errors answered with the operation's own body rather than a problem document.
OWN_BODY = {("get", "/readyz", "503")}  # not ready: the same status document as when ready


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def has_example(
    document: dict[str, Any], schema: dict[str, Any], seen: frozenset[str] = frozenset()
) -> bool:
    """Whether a schema shows an example: its own (model level), or one for each of its
    fields (a field naming another schema counts when that one has an example)."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return True
        return has_example(document, resolve(document, schema), seen | {schema["$ref"]})
    if "example" in schema or schema.get("examples"):
        return True
    if schema.get("type") == "array":
        return has_example(document, schema.get("items", {}), seen)
    branches = [b for b in schema.get("anyOf", ()) if b.get("type") != "null"]
    if branches:
        return all(has_example(document, b, seen) for b in branches)
    properties = schema.get("properties")
    if properties:
        return all(has_example(document, p, seen) for p in properties.values())
    return False


def with_nulls(document: dict[str, Any], schema: dict[str, Any], example: Any) -> Any:
    """The example with the nulls FastAPI left out of the document (it writes the document
    without None values, examples included): a required field that may be null is null."""
    schema = resolve(document, schema)
    for branch in schema.get("anyOf", ()):
        if branch.get("type") != "null":
            example = with_nulls(document, branch, example)
    if isinstance(example, list) and "items" in schema:
        return [with_nulls(document, schema["items"], item) for item in example]
    if isinstance(example, dict) and "properties" in schema:
        for name, field in schema["properties"].items():
            nullable = {"type": "null"} in resolve(document, field).get("anyOf", ())
            if name not in example and name in schema.get("required", ()) and nullable:
                example[name] = None
            elif name in example:
                example[name] = with_nulls(document, field, example[name])
    return example


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    missing = [
        (method, path, field)
        for method, path, op in operations(document)
        for field in ("summary", "description")
        if not op.get(field, "").strip()
    ]
    assert missing == []


def test_every_response_body_has_an_example(document: dict[str, Any]) -> None:
    missing = []
    for method, path, op in operations(document):
        for status, response in op["responses"].items():
            assert response.get("description"), (method, path, status)
            for media, content in response.get("content", {}).items():
                shown = "example" in content or content.get("examples")
                if not shown and not has_example(document, content.get("schema", {})):
                    missing.append((method, path, status, media))
    assert missing == []


def test_every_component_schema_has_an_example(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    missing = [name for name, schema in schemas.items() if not has_example(document, schema)]
    assert missing == []


def test_every_parameter_has_a_description(document: dict[str, Any]) -> None:
    missing = {
        (method, path, parameter["name"])
        for method, path, op in operations(document)
        for parameter in op.get("parameters", ())
        if not parameter.get("description", "").strip()
    }
    assert missing == set(), "parameters without a description"


def test_errors_are_documented_as_problem_documents(document: dict[str, Any]) -> None:
    """Every 4xx and 5xx answer with a body is application/problem+json with the Problem
    schema, as the service sends it; FastAPI's own validation error schema is not used."""
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    wrong = []
    for method, path, op in operations(document):
        for status, response in op["responses"].items():
            if status < "400" or "content" not in response or (method, path, status) in OWN_BODY:
                continue
            content = response["content"]
            if list(content) != [PROBLEM] or content[PROBLEM]["schema"] != {
                "$ref": "#/components/schemas/Problem"
            }:
                wrong.append((method, path, status))
    assert wrong == []


def _dependants(route: APIRoute) -> Iterator[Dependant]:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        yield dependant
        stack.extend(dependant.dependencies)


def test_what_every_authenticated_or_parameterised_operation_may_answer(
    document: dict[str, Any],
) -> None:
    """An endpoint that needs an API key documents 401 (and 503: it reads the database); one
    with parameters or a body documents 422; one with a JSON body documents 400."""
    documented = [
        (method, path, route)
        for method, path, route in endpoints(offline_app())
        if isinstance(route, APIRoute) and route.include_in_schema
    ]
    assert len(documented) == sum(1 for _ in operations(document))
    missing = []
    for method, path, route in documented:
        op = document["paths"][path][method.lower()]
        expected = set()
        if any(d.call is caller for d in _dependants(route)):
            expected |= {"401", "503"}
        if any(
            d.path_params or d.query_params or d.header_params or d.body_params
            for d in _dependants(route)
        ):
            expected.add("422")  # FastAPI validates them
        if "application/json" in op.get("requestBody", {}).get("content", {}):
            expected.add("400")
        absent = expected - set(op["responses"])
        if absent:
            missing.append((method, path, sorted(absent)))
    assert missing == []


def test_every_example_fits_its_schema(document: dict[str, Any]) -> None:
    """An example that its own schema refuses would mislead whoever copies it."""
    import jsonschema_rs  # comes with schemathesis

    def errors(schema: dict[str, Any], example: Any) -> list[str]:
        validator = jsonschema_rs.validator_for(
            {**schema, "components": document["components"]}, validate_formats=True
        )
        example = with_nulls(document, schema, copy.deepcopy(example))
        return [e.message for e in validator.iter_errors(example)]

    found: dict[str, list[str]] = {}
    for name, component in document["components"]["schemas"].items():
        for example in component.get("examples", ()):
            found[f"schema {name}"] = errors(component, example)
        for field_name, field_schema in component.get("properties", {}).items():
            for example in field_schema.get("examples", ()):
                found[f"schema {name}.{field_name}"] = errors(field_schema, example)
    for method, path, op in operations(document):
        for parameter in op.get("parameters", ()):
            for example in parameter.get("examples", {}).values():
                found[f"{method} {path} {parameter['name']}"] = errors(
                    parameter["schema"], example["value"]
                )
        for status, response in op["responses"].items():
            for media, content in response.get("content", {}).items():
                if "example" in content and media.endswith("json") and "schema" in content:
                    found[f"{method} {path} {status} {media}"] = errors(
                        content["schema"], content["example"]
                    )
    assert {where: problems for where, problems in found.items() if problems} == {}
    assert len(found) > 300


def test_bounds_are_stated_in_json_schema_terms(document: dict[str, Any]) -> None:
    """Pydantic writes a bound it cannot put into a schema under its Python name (`ge`,
    `le`), which no client or validator reads as a bound."""
    found: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("integer", "number"):
                found.extend(f"{where}.{k}" for k in ("ge", "gt", "le", "lt") if k in node)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(document, "")
    assert found == []


def test_operations_that_need_a_key_say_so(document: dict[str, Any]) -> None:
    """The bearer scheme is declared, and named by exactly the operations that need a key:
    clients (and schemathesis, which sends them again without one) can tell which."""
    assert document["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "The participant's API key",
        }
    }
    wrong = []
    for method, path, route in endpoints(offline_app()):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        needs_key = any(d.call is caller for d in _dependants(route))
        declared = document["paths"][path][method.lower()].get("security")
        if declared != ([{"HTTPBearer": []}] if needs_key else None):
            wrong.append((method, path, declared))
    assert wrong == []
