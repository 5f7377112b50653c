"""The console in a real headless Chromium, as each kind of party: log in, visit every
page, check what is there and what must not be, save a screenshot of each page, and see
that no request leaves 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import PARTIES, Live

PAGES = ["/console/", "/console/messages", "/console/clients", "/console/deployment"]
OPERATOR_PAGES = ["/console/participants", "/console/contracts", "/console/catalogues"]
OTHER_SUBCONTRACTORS = ("99000003", "99000004")


class Browser:
    """One party's browser tab; every request it makes is recorded, and any that would
    leave 127.0.0.1 is recorded and stopped."""

    def __init__(self, context: Any, live: Live, shots: Path, role: str) -> None:
        self.page = context.new_page()
        self.live, self.shots, self.role = live, shots, role
        self.outside: list[str] = []
        self.page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if urlparse(url).hostname != "127.0.0.1" and not url.startswith(("data:", "about:")):
            self.outside.append(url)
            route.abort()
        else:
            route.continue_()

    def go(self, path: str, shot: str | None = None) -> Any:
        response = self.page.goto(self.live.url + path)
        if shot:
            self.page.screenshot(path=str(self.shots / f"{self.role}-{shot}.png"), full_page=True)
        return response

    def text(self) -> str:
        body: str = self.page.inner_text("body")
        return body

    def login(self) -> None:
        self.go("/console/login", "login")
        self.page.fill("#api_key", self.live.keys[self.role])
        self.page.click("form[action='/console/login'] button")
        self.page.wait_for_url(re.compile(r".*/console/$"))


@pytest.fixture
def browser_for(chromium: Any, live: Live, screenshots: Path) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(role: str) -> Browser:
        context = chromium.new_context(viewport={"width": 1360, "height": 900}, locale="nl-NL")
        contexts.append(context)
        return Browser(context, live, screenshots, role)

    yield make
    for c in contexts:
        c.close()


def shot_name(path: str) -> str:
    return path.strip("/").replace("/", "-").replace("console", "").strip("-") or "overview"


def message_cells(b: Browser) -> list[str]:
    """Sender and receiver cells of the messages table."""
    cells: list[str] = b.page.eval_on_selector_all(
        "table.data tbody tr",
        "rows => rows.map(r => r.cells[3].innerText + ' ' + r.cells[4].innerText)",
    )
    return cells


@pytest.mark.parametrize("role", list(PARTIES))
def test_every_page_as_each_party(browser_for: Any, live: Live, role: str) -> None:
    b = browser_for(role)
    b.login()
    cookie = next(c for c in b.page.context.cookies() if c["name"] == "iwmo_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert live.keys[role] not in cookie["value"]

    for path in PAGES:
        r = b.go(path, shot_name(path))
        assert r.status == 200, path
        assert PARTIES[role] in b.text()  # who is logged in, on every page
    b.go("/console/")
    text = b.text()
    assert "Berichtenverkeer" in text and "Postbus" in text  # Dutch by default

    b.go("/console/messages", "messages")
    rows = message_cells(b)
    assert rows, "every party in the demo sent or received messages"
    if role != "operator":
        # Only messages to or from the party itself (the main contractor also sees its
        # subcontractors' starts and stops, copied into its mailbox).
        mine = [r for r in rows if PARTIES[role] in r]
        if role in ("municipality", "subcontractor"):
            assert mine == rows
    first = b.page.get_attribute("table.data tbody tr a", "href")
    assert first is not None
    r = b.go(first, "message")
    assert r.status == 200
    assert "Keten" in b.text() and "Bericht" in b.text()

    b.go("/console/deployment", "deployment")
    text = b.text()
    svg = b.page.locator("figure.chart svg").count()
    if role == "subcontractor":
        assert "Budget" not in text and "€" not in text and "Deel van budget" not in text
        assert all(other not in text for other in OTHER_SUBCONTRACTORS)
        assert svg >= 1
    else:
        assert "Budget" in text and "€" in text
        assert svg >= 2  # clients and budget
    if role == "municipality":
        assert "0308" not in b.page.inner_text("section.contract h2")

    for path in OPERATOR_PAGES:
        r = b.go(path, shot_name(path))
        assert r.status == (200 if role == "operator" else 403), path

    assert b.outside == []


def test_the_overview_shows_what_waits(browser_for: Any, live: Live) -> None:
    operator = browser_for("operator")
    operator.login()
    operator.go("/console/")
    overdue = operator.page.inner_text("#overdue")
    assert f"#{live.overdue_relay}" in overdue
    # Amersfoort does not see Baarn's relay.
    municipality = browser_for("municipality")
    municipality.login()
    municipality.go("/console/")
    assert f"#{live.overdue_relay}" not in municipality.page.inner_text("#overdue")
    assert municipality.outside == operator.outside == []


def test_english_and_logout(browser_for: Any) -> None:
    b = browser_for("main_contractor")
    b.login()
    b.page.click("a[hreflang=en]")
    b.page.wait_for_load_state()
    assert "Message traffic" in b.text()
    b.go("/console/deployment", "deployment-en")
    assert "Active clients" in b.text()
    b.page.click("form[action='/console/logout'] button")
    b.page.wait_for_url(re.compile(r".*/console/login$"))
    r = b.go("/console/messages")
    assert r.url.endswith("/console/login")  # the session is gone
    assert b.outside == []


def test_a_wrong_key_does_not_log_in(browser_for: Any) -> None:
    b = browser_for("municipality")
    b.go("/console/login")
    b.page.fill("#api_key", "iwmo_not-a-key")
    b.page.click("form[action='/console/login'] button")
    assert "Onbekende of ingetrokken sleutel" in b.text()
    assert b.go("/console/").url.endswith("/console/login")


def test_an_operator_issues_a_key_shown_once(browser_for: Any) -> None:
    b = browser_for("operator")
    b.login()
    b.go("/console/participants")
    b.page.fill("input[name=code]", "99000099")
    b.page.select_option("select[name=role]", "provider")
    b.page.fill("input[name=name]", "Browser test provider")
    b.page.click("form[action='/console/participants'] button[type=submit]")
    key = b.page.inner_text("#new-key")
    assert key.startswith("iwmo_")
    b.go("/console/participants", "participants-after")
    assert key not in b.page.content()  # shown once
    assert "Browser test provider" in b.text()
    assert b.outside == []


def test_a_subcontractor_cannot_open_another_partys_message(browser_for: Any, live: Live) -> None:
    operator = browser_for("operator")
    operator.login()
    operator.go("/console/messages?party=99000003")
    href = operator.page.get_attribute("table.data tbody tr a", "href")
    assert href is not None
    sub = browser_for("subcontractor")
    sub.login()
    assert sub.go(href).status == 404


@pytest.mark.parametrize(
    ("path", "drawn"),
    [("/docs", ".swagger-ui .opblock"), ("/redoc", "[role=navigation] li, .menu-content li")],
)
def test_the_api_docs_stay_on_the_host(browser_for: Any, path: str, drawn: str) -> None:
    b = browser_for("operator")
    response = b.go(path)
    assert response is not None and response.status == 200
    # Drawn from the OpenAPI document: the page's scripts ran, served from this host.
    b.page.wait_for_selector(drawn, timeout=30_000)
    b.page.wait_for_load_state("networkidle")
    b.page.screenshot(path=str(b.shots / f"operator-{shot_name(path)}.png"), full_page=False)
    assert "iwmo-hub" in b.text()
    assert b.outside == []
