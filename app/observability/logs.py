"""Structured logs: one JSON object per line, each carrying the id of the request it
belongs to.

What may be logged is decided where a line is written: identifiers the service made up
(message ids, request ids), codes of parties (CBS, AGB — organisations, not persons),
message types, statuses, rule codes, durations. Never a BSN, a name, an address or message
content; paths are logged without their query string.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Attributes every LogRecord has; everything else passed with extra= goes into the line.
# uvicorn adds a copy of its message with terminal colour codes: of no use in a log file.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def new_request_id(offered: str | None = None) -> str:
    """The caller's X-Request-Id when it is a sane token, else a fresh one."""
    if offered and _INCOMING_ID.fullmatch(offered):
        return offered
    return secrets.token_hex(8)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            line["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: an exception's text may quote what a client sent.
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = request_id.get()
        extra = {
            k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
        }
        fields = " ".join(f"{k}={v}" for k, v in extra.items())
        prefix = f"[{rid}] " if rid else ""
        head = f"{record.levelname.lower():<7} {record.name}: {prefix}{record.getMessage()}"
        return f"{head} {fields}".rstrip()


def configure(fmt: str = "json", level: str = "info") -> None:
    """Send every log line to stderr in one format (``IWMO_LOG_FORMAT``: json or text;
    ``IWMO_LOG_LEVEL``: debug, info, warning, error). Uvicorn's own access log is replaced
    by the service's request log, which knows the participant and the request id."""
    fmt = fmt.lower()
    level_name = level.upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level_name, logging.INFO))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # HTTP clients log whole URLs; the service has no business logging other parties' URLs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
