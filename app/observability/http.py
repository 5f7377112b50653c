"""The request log and request metrics, as pure ASGI middleware.

Every request gets an id (the caller's ``X-Request-Id`` when it is a sane token, else a new
one), returned in the response's ``X-Request-Id`` and carried by every log line written
while it is handled. One line per request records the method, the route template and the
path (never the query string), the status, the duration and the participant's code.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability import logs, metrics

log = logging.getLogger("iwmo.request")


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = _header(scope, b"x-request-id")
        rid = logs.new_request_id(offered)
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            metrics.observe_request(scope["method"], route, status, seconds)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "participant": _state(scope).get("participant"),
                },
            )
            logs.request_id.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route(scope: Scope) -> str:
    """The matched route's template (``/v1/berichten/{message_id}``); ``unmatched`` for
    paths no route took, so odd paths cannot multiply the metric's labels. The template is
    the path with each path parameter's segment put back as ``{name}`` (the route object
    FastAPI leaves in the scope carries its router's path, without the prefix)."""
    if scope.get("route") is None:
        return "unmatched"
    segments = str(scope.get("path", "")).split("/")
    for name, value in (scope.get("path_params") or {}).items():
        for i in range(len(segments) - 1, -1, -1):
            if segments[i] == str(value):
                segments[i] = "{" + name + "}"
                break
    return "/".join(segments)


def _state(scope: Scope) -> dict[str, Any]:
    state = scope.get("state")
    return state if isinstance(state, dict) else {}
