"""Liveness and readiness."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.administration.keys import SchemaOutOfDate, WrongKey
from app.api.deps import Unauthorized
from app.observability import metrics
from app.standard import catalogue

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(
        description="ok, or what is wrong: schemas unavailable, database unavailable, "
        "database schema out of date, wrong secret key, stalled (a request has been in "
        "flight too long)",
        examples=["ok"],
    )


@router.get(
    "/healthz",
    response_model=Health,
    summary="The process is up",
    description="Always `ok` while the process answers (liveness); no API key needed.",
)
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The service can take messages",
    description="`ok` when every message schema is loaded, the database answers, the "
    "service's secret key is the one the database's personal data is encrypted with, and no "
    "request has been in flight longer than `IWMO_STALL_SECONDS` in this worker "
    "(readiness); otherwise 503 with what is wrong. No API key needed.",
    responses={
        503: {
            "model": Health,
            "description": "not ready",
            "content": {"application/json": {"example": {"status": "database unavailable"}}},
        }
    },
)
def readyz(request: Request, response: Response) -> Health:
    stalled = request.app.state.requests.oldest()
    if stalled > request.app.state.settings.stall_seconds:
        # A request this old is stuck: send the work elsewhere until it ends.
        response.status_code = 503
        return Health(status=f"stalled: a request has been in flight for {stalled:.0f} s")
    try:
        for mt in catalogue.ALL:
            request.app.state.validator.schemas.compiled(mt)
    except Exception:  # any failure to load schemas means: do not send traffic here
        response.status_code = 503
        return Health(status="schemas unavailable")
    try:
        # More than a ping: the key may have been rotated under a service left running.
        request.app.state.services.verify_key()
    except WrongKey:
        response.status_code = 503
        return Health(status="wrong secret key")
    except SchemaOutOfDate:
        response.status_code = 503
        return Health(status="database schema out of date")
    except Exception:  # an unreachable database means the same
        response.status_code = 503
        return Health(status="database unavailable")
    return Health(status="ok")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Messages by type and verdict, message and request latency histograms, "
    "mailbox backlog per recipient, in the Prometheus text format. When "
    "`IWMO_METRICS_TOKEN` is set, send it as `Authorization: Bearer <token>`.",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "example": "# TYPE iwmo_messages_total counter\n"
                    'iwmo_messages_total{message_type="WMO305",verdict="accepted"} 1234.0\n'
                }
            }
        },
        401: {"description": "IWMO_METRICS_TOKEN is set and was not sent"},
    },
)
def get_metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise Unauthorized()
    body = metrics.exposition(request.app.state.services)
    return Response(body, media_type=metrics.CONTENT_TYPE)
