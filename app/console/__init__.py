"""The web console at ``/console``: server-rendered pages (Jinja2, no script to speak of,
its own small stylesheet, charts as server-side SVG) for the people the service serves —
municipal contract managers, the main contractor's back office, operators.

One job a module:

* ``routes``: every address;
* ``session``: the signed session cookie and CSRF tokens;
* ``web``: who is looking, rendering, the guards of pages and forms;
* ``i18n``: the words, in Dutch and English;
* ``auth``: logging in with an API key, out, and the language;
* ``overview``, ``messages``, ``clients``, ``deployment``, ``operators``: the pages;
* ``terms``: the standard's answer terms in working days;
* ``rules``: findings explained with their rule's text;
* ``timeline``, ``charts``: SVG drawn on the server.

What a page shows is decided by ``app.access``, never here.
"""

from __future__ import annotations

from starlette.applications import Starlette

from app.administration.crypto import Vault
from app.config import Settings
from app.console.session import Sessions

__all__ = ["install"]


def install(app: Starlette, settings: Settings, vault: Vault) -> None:
    """Add the console's routes to ``app``, with sessions signed by the service's key."""
    from app.console.routes import ROUTES  # the pages use the API's report: imported late

    app.state.console_sessions = Sessions(vault.console_key, settings.console_session_minutes * 60)
    app.router.routes.extend(ROUTES)
