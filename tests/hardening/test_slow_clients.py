"""Slow and crowding clients, against a real server on a socket.

A client that never finishes its request head, or trickles its body, is answered 408 and
cut off; one connection too many is answered 503 and closed at once. The limits are small
here so that the tests are quick; what is asserted is what the server does, not how fast.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from app.api import create_app
from app.config import Settings
from app.server import GuardedHttpToolsProtocol, Limits
from app.services import Services

MESSAGE = b"<Bericht/>"


class _Server:
    def __init__(self, settings: Settings, header_timeout: float, max_connections: int) -> None:
        protocol = type(
            "TestProtocol",
            (GuardedHttpToolsProtocol,),
            {"limits": Limits(header_timeout, max_connections)},
        )
        app = create_app(settings, Services.build(settings))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, http=protocol, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> _Server:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def connect(self) -> socket.socket:
        conn = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return conn


@pytest.fixture
def server(settings: Settings, services: Services) -> Iterator[_Server]:
    quick = settings.replace(body_timeout=1.0, body_idle_timeout=0.6)
    with _Server(quick, header_timeout=0.5, max_connections=4) as s:
        yield s


def _answer(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := conn.recv(65536):
        received += chunk
    return received


def test_a_connection_that_sends_nothing_is_closed(server: _Server) -> None:
    with server.connect() as conn:
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"header_timeout" in answer


def test_a_head_that_never_ends_is_closed(server: _Server) -> None:
    with server.connect() as conn:
        conn.sendall(b"POST /v1/validate HTTP/1.1\r\nHost: test\r\nContent-Type: applic")
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_head_trickled_byte_by_byte_is_closed(server: _Server) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
    with server.connect() as conn:
        for byte in head[:-4]:
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break  # closed while trickling: what is asserted below
            time.sleep(0.05)
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_trickled_body_is_cut_off(server: _Server) -> None:
    head = (
        b"POST /v1/validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/xml\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    with server.connect() as conn:
        conn.sendall(head)
        for _ in range(40):  # one byte every 0.1 s: never idle long, but far too slow
            try:
                conn.sendall(b"<")
            except OSError:
                break
            time.sleep(0.1)
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"body_timeout" in answer


def test_a_body_that_stops_is_cut_off(server: _Server) -> None:
    head = (
        b"POST /v1/validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/xml\r\n"
        b"Content-Length: 100\r\n\r\n<Ber"
    )
    with server.connect() as conn:
        conn.sendall(head)
        answer = _answer(conn)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_connection_too_many_crowds_out_the_slowest_head(server: _Server) -> None:
    held = [server.connect() for _ in range(4)]  # connected, head not sent
    try:
        time.sleep(0.1)  # the server has accepted them, oldest first
        with server.connect() as prompt:
            prompt.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            assert _answer(prompt).startswith(b"HTTP/1.1 200 ")
        oldest = _answer(held[0])
        assert oldest.startswith(b"HTTP/1.1 408 ")
    finally:
        for conn in held:
            conn.close()


def test_a_connection_too_many_is_refused_when_all_are_busy(server: _Server) -> None:
    head = (
        b"POST /v1/validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/xml\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    held = [server.connect() for _ in range(4)]
    try:
        for conn in held:
            conn.sendall(head)  # a request under way: its body is still coming
        time.sleep(0.1)
        with server.connect() as extra:
            answer = _answer(extra)
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"too_many_connections" in answer
    finally:
        for conn in held:
            conn.close()


def test_ordinary_requests_on_a_kept_alive_connection_still_work(server: _Server) -> None:
    request = (
        b"POST /v1/validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/xml\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(MESSAGE), MESSAGE)
    )
    with server.connect() as conn:
        for _ in range(3):
            conn.sendall(request)
            received = b""
            while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
                received += conn.recv(65536)
            assert received.startswith(b"HTTP/1.1 200 ")
            time.sleep(0.3)  # a pause between requests, shorter than the keep-alive
