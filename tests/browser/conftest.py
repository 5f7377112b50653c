"""A live service for the browser tests: the demo region (a short year, few clients) in a
database of its own, served by ``iwmo serve`` on a free 127.0.0.1 port in a subprocess,
and Debian's Chromium driven by Playwright (never a browser downloaded by Playwright).

Without Chromium or Playwright the tests fail in CI (``CI=true``) and are skipped
elsewhere, saying how to install them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.administration import participants
from app.administration.db import Database
from app.routing import models as rm
from tests.conftest import ROOT, TEST_KEY, migrate, own_database

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PARTIES = {
    "operator": "demo-operator",
    "municipality": "0307",
    "main_contractor": "99000001",
    "subcontractor": "99000002",
}


def _missing(what: str) -> None:
    message = (
        f"{what} is missing: install Debian's Chromium (`apt-get install -y chromium`) and "
        "the test extra (`pip install -e '.[test]'`, which brings Playwright)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop in this thread until it
    stops, which later tests that call asyncio.run() must not find running."""
    if not CHROMIUM.exists():
        _missing(f"Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # As root (CI runs so) Chromium runs only without its sandbox.
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Live:
    url: str
    keys: dict[str, str]  # role -> API key
    overdue_relay: int  # a relay's message id, made to wait past its term


def _seed(url: str, env: dict[str, str]) -> tuple[dict[str, str], int]:
    iwmo = str(Path(sys.executable).with_name("iwmo"))
    done = subprocess.run(
        [iwmo, "demo", "--clients", "16", "--json"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    database = Database(url)
    try:
        with database.write() as s:
            keys = {role: participants.rotate_key(s, code) for role, code in PARTIES.items()}
            # One relay to Baarn still unanswered, sent two weeks ago: overdue.
            relay = s.query(rm.Relay).filter(rm.Relay.municipality_code == "0308").first()
            assert relay is not None
            s.execute(
                update(rm.Relay)
                .where(rm.Relay.id == relay.id)
                .values(status="sent", created_at=datetime.now(UTC) - timedelta(days=14))
            )
            return keys, relay.relay_message_id
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    directory = tmp_path_factory.mktemp("browser")
    with own_database(directory) as url:
        migrate(url)
        env = {
            **os.environ,
            "IWMO_DATABASE_URL": url,
            "IWMO_SECRET_KEY": TEST_KEY,
            "IWMO_LOG_LEVEL": "warning",
        }
        keys, overdue = _seed(url, env)
        port = _free_port()
        iwmo = str(Path(sys.executable).with_name("iwmo"))
        server = subprocess.Popen(
            [iwmo, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None:
                    raise AssertionError(server.stderr.read().decode() if server.stderr else "")
                time.sleep(0.2)
            else:
                raise AssertionError("the service did not start")
            yield Live(base, keys, overdue)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
