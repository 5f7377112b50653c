"""A progress bar on stderr: redrawn in place on a terminal, a plain line every few
seconds otherwise (a log, a pipe)."""

from __future__ import annotations

import time
from datetime import date
from typing import TextIO

WIDTH = 28


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class Progress:
    def __init__(self, stream: TextIO, total: int, *, interval: float | None = None) -> None:
        self.stream = stream
        self.total = max(total, 1)
        self.tty = stream.isatty()
        self.interval = interval if interval is not None else (0.2 if self.tty else 10.0)
        self.started = time.perf_counter()
        self._shown = 0.0
        self._drawn = False

    def update(
        self, done: int, day: date, messages: int, rejected: int, *, force: bool = False
    ) -> None:
        now = time.perf_counter()
        if not force and now - self._shown < self.interval:
            return
        self._shown = now
        share = min(done / self.total, 1.0)
        text = (
            f"{day.isoformat()}  {messages:,} messages, {rejected:,} rejected  "
            f"{clock(now - self.started)}"
        )
        if self.tty:
            filled = round(share * WIDTH)
            bar = "#" * filled + "." * (WIDTH - filled)
            self.stream.write(f"\r[{bar}] {share:4.0%} {text}\x1b[K")
            self._drawn = True
        else:
            self.stream.write(f"demo: {share:4.0%} {text}\n")
        self.stream.flush()

    def done(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
