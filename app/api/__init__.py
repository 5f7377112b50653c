"""HTTP API: FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from app import __version__
from app.api import (
    administratie,
    berichten,
    docs,
    health,
    mailbox,
    management,
    problems,
    reports,
    routing,
    validate,
)
from app.api.bodies import DRAIN_FACTOR, BodyLimit
from app.api.deps import _KeyCache
from app.api.limits import (
    InFlight,
    Judging,
    LargeBodies,
    Requests,
    allocate_large_blocks_apart,
    collect_garbage_less_often,
)
from app.config import Settings
from app.console import install as install_console
from app.observability import logs, metrics
from app.observability.http import RequestLog
from app.services import Services

DESCRIPTION = """
iwmo-hub validates, records and routes **iWmo 3.2** messages between municipalities,
a main contractor and its subcontractors, and keeps the central client administration.

Authenticate every call with your participant's API key: `Authorization: Bearer <key>`.

* `POST /v1/berichten` sends an iWmo message (XML); the answer is its retour message.
* `/v1/berichten`, `/v1/clienten`, `/v1/toewijzingen`, `/v1/leveringen`, `/v1/verzoeken` and
  `/v1/declaraties` read the administration: each party sees what concerns it.
* `/v1/mailbox` holds what is addressed to you: fetch, then acknowledge.
* `/v1/decisions`, `/v1/delegations` and `/v1/relays`: generic decisions, functions a main
  contractor delegates to subcontractors, and their starts and stops relayed to the
  municipality at function level.
* `/v1/reports/deployment`: which subcontractor delivers what.
* `POST /v1/validate` checks a message without storing it.
* `/healthz` says the process is up; `/readyz` that schemas and database are available
  and the service has the key the database's personal data is encrypted with.

Errors are problem documents (`application/problem+json`, RFC 9457).
"""


def serve_app() -> FastAPI:
    """The application as ``iwmo serve`` runs it: with the service's own log format."""
    settings = Settings.from_env()
    logs.configure(settings.log_format, settings.log_level)
    allocate_large_blocks_apart()
    collect_garbage_less_often()
    return create_app(settings)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Raises ``SecretKeyError`` (through ``Services.build``) when the secret key is missing
    or not the one the database's personal data is encrypted with."""
    settings = settings or Settings.from_env()
    svc = services or Services.build(settings)
    if metrics.observe_message not in svc.intake.observers:
        svc.intake.observers.append(metrics.observe_message)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A few threads per worker do the blocking work (database, parsing): more only
        # contend for the interpreter lock and for database connections.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        yield
        if services is None:
            svc.close()

    app = FastAPI(
        title="iwmo-hub",
        version=__version__,
        description=DESCRIPTION,
        # Served by app.api.docs, with their assets from this service (no CDN).
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = svc
    app.state.validator = svc.validator
    app.state.key_cache = _KeyCache()
    app.state.large_bodies = LargeBodies(settings.large_bodies)
    app.state.judging = Judging(settings.intake_threads)
    problems.install(app)
    # JSON bodies are capped at 1 MiB; the XML endpoints cap their own body at the message
    # limit, and the middleware stops any that reads past it, or arrives too slowly. The
    # request log is outermost, so it sees the refusals too; inside it, the requests in
    # flight are counted for /readyz.
    app.add_middleware(
        BodyLimit,
        # The message endpoint reads an oversize body on (not keeping it) to hash it all.
        xml_limit=settings.max_message_bytes * DRAIN_FACTOR,
        body_timeout=settings.body_timeout,
        idle_timeout=settings.body_idle_timeout,
    )
    app.state.requests = Requests()
    app.add_middleware(InFlight, requests=app.state.requests)
    app.add_middleware(RequestLog)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(berichten.router, prefix="/v1")
    app.include_router(administratie.router, prefix="/v1")
    app.include_router(validate.router, prefix="/v1")
    app.include_router(mailbox.router, prefix="/v1")
    app.include_router(routing.router, prefix="/v1")
    app.include_router(management.router, prefix="/v1")
    app.include_router(reports.router, prefix="/v1")
    install_console(app, settings, svc.vault)
    return app
