"""The documentation pages work without the internet and with a key: `/docs` and `/redoc`
load nothing from another host, every asset they name is served here, and the OpenAPI
document declares the bearer scheme on every operation that needs a key (Swagger UI's
Authorize button)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.api import docs
from tests.api.conftest import offline_app

ORIGIN = "http://testserver"
PAGES = ("/docs", "/redoc")
UNSECURED = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),  # its own token, IWMO_METRICS_TOKEN, not a participant's key
    ("post", "/v1/validate"),  # checks a message without storing it: for anyone
}


class _References(HTMLParser):
    """The URLs a page loads: src and href attributes, and quoted URLs in inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
            self.urls += re.findall(r"""(?:url|Url)\s*[:=]\s*['"]([^'"]+)['"]""", data)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(offline_app(), base_url=ORIGIN)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_and_everything_it_loads_come_from_this_service(
    client: TestClient, page: str
) -> None:
    r = client.get(page)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    # No address of another host anywhere in the page: not in a tag, not in its script.
    assert re.findall(r"https?://", html) == []
    assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html

    found = _References()
    found.feed(html)
    assets = [u for u in found.urls if not u.endswith("openapi.json")]
    assert any(u.endswith(".js") for u in assets), found.urls
    assert "/openapi.json" in found.urls or any("/openapi.json" in s for s in found.scripts)
    for url in found.urls:
        absolute = urljoin(ORIGIN + page, url)
        assert urlsplit(absolute).netloc == urlsplit(ORIGIN).netloc, url
        loaded = client.get(absolute)
        assert loaded.status_code == 200, url
        assert len(loaded.content) > 1000, url  # the real bundle, not an empty answer

    # The browser is told the same: scripts, styles and requests from this origin only.
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "http" not in policy


def test_swagger_ui_asks_no_validator_and_keeps_the_key(client: TestClient) -> None:
    html = client.get("/docs").text
    assert '"validatorUrl": null' in html
    assert '"persistAuthorization": true' in html
    assert "/docs/assets/swagger-ui-bundle.js" in html and "/docs/assets/swagger-ui.css" in html


def test_the_assets_are_the_package_files_with_their_types(client: TestClient) -> None:
    for name, media in docs.ASSET_TYPES.items():
        r = client.get(f"{docs.ASSET_PATH}/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"] == media
        assert r.content == (docs.ASSETS / name).read_bytes()
    # Only those: nothing else of the package, and no way out of its directory.
    for name in ("core.py", "..%2F__init__.py", "%2E%2E%2Fconsts.py", "other.js"):
        assert client.get(f"{docs.ASSET_PATH}/{name}").status_code == 404, name


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }


def test_every_operation_that_needs_a_key_declares_the_bearer_scheme(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    [(name, scheme)] = schemes.items()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operations = _operations(document)
    secured = {key for key, op in operations.items() if op.get("security") == [{name: []}]}
    assert set(operations) - secured == UNSECURED
    assert len(secured) > 30


def test_what_the_document_calls_secured_refuses_a_call_without_the_key(
    client: TestClient,
) -> None:
    """The scheme tells the truth: a secured operation answers 401 without the key, with
    the challenge Swagger UI's Authorize answers; an unsecured one does not."""
    document = client.get("/openapi.json").json()
    for (method, path), op in _operations(document).items():
        if method != "get" or "{" in path:
            continue
        r = client.get(path)
        if op.get("security"):
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"] == "Bearer", path
        else:
            assert r.status_code == 200, path
