"""Errors as RFC 9457 problem documents (application/problem+json)."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from app.administration.store import ConnectionLost
from app.api.deps import Forbidden, Unauthorized

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


class NotFound(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Refused(Exception):
    """A request the service understood but will not carry out (409 for a conflict with
    what exists, 422 for a request that cannot be right). ``extra`` goes into the body."""

    def __init__(self, status: int, kind: str, title: str, detail: str = "", **extra: Any):
        super().__init__(detail or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extra = extra


def problem_response(
    status: int,
    kind: str,
    title: str,
    detail: str = "",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": f"urn:iwmo-hub:problem:{kind}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class Problem(BaseModel):
    """What went wrong, as an RFC 9457 problem document. Some problems carry members of
    their own: `errors` (every problem with a request or a definition), `findings` (why a
    message the service wrote itself was refused)."""

    type: str = Field(
        description="`urn:iwmo-hub:problem:<kind>`: what kind of problem it is",
        examples=["urn:iwmo-hub:problem:not_found"],
    )
    title: str = Field(description="the kind of problem in words", examples=["not found"])
    status: int = Field(description="the HTTP status code", examples=[404])
    detail: str | None = Field(
        default=None,
        description="what went wrong in this case",
        examples=["no message 17 for you"],
    )
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:iwmo-hub:problem:not_found",
                    "title": "not found",
                    "status": 404,
                    "detail": "no message 17 for you",
                }
            ]
        },
    )


def problem(
    status: int, description: str, kind: str, title: str, detail: str = "", **extra: Any
) -> dict[str, Any]:
    """An error response for the OpenAPI document, with an example body as
    ``problem_response`` writes it."""
    example: dict[str, Any] = {
        "type": f"urn:iwmo-hub:problem:{kind}",
        "title": title,
        "status": status,
    }
    if detail:
        example["detail"] = detail
    example.update(extra)
    return {
        "description": description,
        "content": {
            PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}
        },
    }


def not_found(description: str, detail: str) -> dict[str, Any]:
    return problem(404, description, "not_found", "not found", detail)


def forbidden(description: str, detail: str) -> dict[str, Any]:
    return problem(403, description, "forbidden", "not allowed", detail)


UNAUTHORIZED = problem(
    401,
    "no API key, or one the service does not know",
    "unauthorized",
    "authentication required",
    "send your API key as 'Authorization: Bearer <key>'",
)
INVALID_REQUEST = problem(
    422,
    "a parameter or the body does not fit its description; `errors` says where",
    "invalid_request",
    "the request is not valid",
    errors=[{"loc": ["query", "limit"], "msg": "Input should be less than or equal to 500"}],
)
NOT_JSON = problem(
    400,
    "the body is not JSON",
    "http",
    "There was an error parsing the body",
)
UNAVAILABLE = problem(
    503,
    "the database is unavailable; nothing was changed",
    "database_unavailable",
    "the database is unavailable",
    "nothing was changed; send the message again later",
)

AUTHENTICATED: dict[int | str, dict[str, Any]] = {401: UNAUTHORIZED, 503: UNAVAILABLE}
"""What every endpoint that needs an API key may answer."""


def _document(app: FastAPI) -> None:
    """Put the Problem schema the error responses refer to into the OpenAPI document
    (FastAPI lists only the schemas of response models)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # built once, then cached by FastAPI
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("Problem", Problem.model_json_schema())
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _route_table(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Every route's path pattern and methods, once per application."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "route_table", None
    )
    if table is None:
        try:  # FastAPI 0.16x keeps included routers as such in app.routes
            from fastapi.routing import iter_route_contexts
        except ImportError:
            contexts: Any = app.routes
        else:
            contexts = iter_route_contexts(app.routes)
        table = []
        for context in contexts:
            path, methods = getattr(context, "path", None), getattr(context, "methods", None)
            if path and methods:
                table.append((compile_path(path)[0], frozenset(methods)))
        app.state.route_table = table
    return table


def allowed_methods(app: FastAPI, scope: Mapping[str, Any]) -> list[str]:
    """The methods some route serves on the request's path, sorted."""
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    found: set[str] = set()
    for pattern, methods in _route_table(app):
        if pattern.match(path):
            found |= methods
    return sorted(found)


def install(app: FastAPI) -> None:
    _document(app)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return problem_response(
            401,
            "unauthorized",
            "authentication required",
            "send your API key as 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem_response(403, "forbidden", "not allowed", exc.detail)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem_response(404, "not_found", "not found", exc.what)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return problem_response(exc.status, exc.kind, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # The router names the methods of the one route it tried; a path served by
            # several routes (GET and POST /v1/participants) allows all of theirs.
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return problem_response(exc.status_code, "http", str(exc.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return problem_response(422, "invalid_request", "the request is not valid", errors=errors)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold or compare (a number out of range, a NUL in a
        # text): the request's fault, and sending it again will not help.
        log.warning("value refused by the database: %s", type(exc.orig).__name__)
        return problem_response(
            422,
            "invalid_value",
            "a value does not fit",
            "a number or text in the request is out of range; nothing was changed",
        )

    @app.exception_handler(ConnectionLost)
    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(sqlite3.OperationalError)
    @app.exception_handler(sqlite3.InterfaceError)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", type(exc).__name__)
        return problem_response(
            503,
            "database_unavailable",
            "the database is unavailable",
            "nothing was changed; send the message again later",
            headers={"Retry-After": "5"},
        )

    # The intake talks to the driver directly (app.administration.store), so the
    # driver's own connection errors arrive unwrapped.
    try:
        import psycopg
    except ImportError:  # a SQLite-only installation
        return
    app.add_exception_handler(psycopg.OperationalError, _database)
    app.add_exception_handler(psycopg.InterfaceError, _database)
