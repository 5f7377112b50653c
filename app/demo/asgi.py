"""A minimal in-process HTTP client: it calls the service's ASGI application exactly as
an ASGI server (uvicorn) does, through every middleware, route, dependency and check.

httpx's ASGITransport does the same with a general-purpose client around it, which on
this machine costs about 1.3 ms of CPU per request (URL and cookie handling, its auth
and redirect flow, a trio probe per request): more than some of the service's own
requests take, and most of the demo's requests are small ones.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any
from urllib.parse import urlencode


class Response:
    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class Client:
    """Requests to ``app`` as one party: its API key goes with every request."""

    def __init__(self, app: Any, key: str) -> None:
        self.app = app
        self._headers = [
            (b"host", b"iwmo-hub"),
            (b"authorization", f"Bearer {key}".encode("ascii")),
        ]

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> Response:
        body = content or b""
        headers = list(self._headers)
        if json is not None:
            body = jsonlib.dumps(json).encode("utf-8")
            content_type = "application/json"
        if content_type is not None:
            headers.append((b"content-type", content_type.encode("ascii")))
        if body or method in ("POST", "PUT", "PATCH"):
            headers.append((b"content-length", str(len(body)).encode("ascii")))
        query = urlencode(params or {}).encode("ascii")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("ascii"),
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "server": ("iwmo-hub", 80),
            "client": ("127.0.0.1", 50000),
        }
        sent = False
        complete = asyncio.Event()
        status = 500
        response_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await complete.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    response_headers[name.decode("latin-1").lower()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    complete.set()

        try:
            await self.app(scope, receive, send)
        finally:
            complete.set()
        return Response(status, response_headers, b"".join(chunks))

    async def get(self, path: str, **params: Any) -> Response:
        return await self.request("GET", path, params=params)
