"""What the OpenAPI document promises about requests, checked one promise at a time: the
findings of fuzzing the API with every schemathesis check (see ``test_fuzz.py``), pinned."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.conftest import offline_app, openapi_document

METHODS = ("get", "put", "post", "delete", "patch")


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
