"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.standard import catalogue

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The service can take messages",
    responses={503: {"model": Health, "description": "not ready"}},
)
def readyz(request: Request, response: Response) -> Health:
    try:
        for mt in catalogue.ALL:
            request.app.state.validator.schemas.compiled(mt)
    except Exception:  # any failure to load schemas means: do not send traffic here
        response.status_code = 503
        return Health(status="schemas unavailable")
    try:
        request.app.state.services.database.ping()
    except Exception:  # an unreachable database means the same
        response.status_code = 503
        return Health(status="database unavailable")
    return Health(status="ok")
