"""HTTP API: FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from app import __version__
from app.api import health, validate
from app.config import Settings
from app.validation import Validator

DESCRIPTION = """
iwmo-hub validates, records and routes **iWmo 3.2** messages between municipalities,
a main contractor and its subcontractors.

* `POST /v1/validate` checks one message on its own (schema and message rules) without
  storing it.
* `/healthz` says the process is up; `/readyz` says it can serve (schemas compiled).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="iwmo-hub",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.validator = Validator(settings)
    app.include_router(health.router)
    app.include_router(validate.router, prefix="/v1")
    return app
