"""One console for the dev server's many threads: every line reaches the terminal whole.

`make dev` runs all functions in one process — HTTP requests, the poller's schedule and the stream
consumer each in their own thread — and they all print: Powertools' Logger writes a line in one
call, but ``print()`` (Powertools Metrics' EMF lines, tracebacks) writes the text and its newline
separately, so another thread's log line could land between them and glue two JSON lines together
(unreadable for a person, for `jq` and for the end-to-end tests that read the server's output).
Each thread's text is held until its line is complete, then written with the line lock held.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

_LINE_LOCK = threading.Lock()


class LineAtomicStream:
    """A text stream that writes only whole lines (per thread) to the stream it wraps."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._pending = threading.local()

    def write(self, text: str) -> int:
        held: str = getattr(self._pending, "text", "") + text
        complete, newline, rest = held.rpartition("\n")
        self._pending.text = rest
        if newline:
            self._emit(complete + newline)
        return len(text)

    def flush(self) -> None:
        """Writes a pending partial line too (a prompt or progress text wants to be seen now)."""
        held: str = getattr(self._pending, "text", "")
        self._pending.text = ""
        self._emit(held)

    def _emit(self, text: str) -> None:
        with _LINE_LOCK:
            if text:
                self._target.write(text)
            self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:
        return self._target.encoding


def install() -> None:
    """Route sys.stdout and sys.stderr through whole-line writers (before any Logger is created:
    Powertools' handler keeps the stream it found at creation)."""
    if not isinstance(sys.stdout, LineAtomicStream):
        sys.stdout = LineAtomicStream(sys.stdout)
    if not isinstance(sys.stderr, LineAtomicStream):
        sys.stderr = LineAtomicStream(sys.stderr)
