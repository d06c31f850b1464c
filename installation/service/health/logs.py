"""Logging for unattended operation: one line per event on stderr (journald adds time and unit),
repeated errors rate-limited, and the last few errors kept for the health state file.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

# syslog priorities; journald reads a '<N>' prefix on each stderr line as the line's priority.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}

REPEAT_WINDOW_S = 60.0  # an identical warning/error is printed at most once per window
RECENT_ERRORS = 10  # how many warnings/errors the state file carries


def priority(levelno: int) -> int:
    for level in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= level:
            return _PRIORITY[level]
    return 7


class JournalFormatter(logging.Formatter):
    """'<3>aimoji.player: message' under journald, 'HH:MM:SS ERROR aimoji.player: message' on a terminal."""

    def __init__(self, journald: bool):
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info:
            # Keep one event on one line: the exception type and message, not the whole traceback.
            exc = record.exc_info[1]
            text = f"{text}: {type(exc).__name__}: {exc}"
        text = text.replace("\n", " | ")
        dropped = getattr(record, "repeats_dropped", 0)
        if dropped:
            text = f"{text} (+{dropped} identical since last shown)"
        if self.journald:
            return f"<{priority(record.levelno)}>{record.name}: {text}"
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        return f"{stamp} {record.levelname} {record.name}: {text}"


class RepeatFilter(logging.Filter):
    """Lets the first of identical warnings/errors through, drops repeats within `window_s`, and notes
    on the next one let through how many were dropped. Identical = same logger, level and template."""

    def __init__(self, window_s: float = REPEAT_WINDOW_S, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[tuple, tuple[float, int]] = {}  # key -> (time let through, dropped since)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        shown_at, dropped = self._seen.get(key, (None, 0))
        if shown_at is not None and now - shown_at < self.window_s:
            self._seen[key] = (shown_at, dropped + 1)
            return False
        record.repeats_dropped = dropped  # the formatter mentions them; the record stays unchanged
        self._seen[key] = (now, 0)
        return True


@dataclass(frozen=True)
class LogEntry:
    at: str           # UTC ISO time of the last occurrence
    level: str        # 'warning', 'error', ...
    message: str
    count: int = 1    # the same message this many times in a row


class RecentErrors(logging.Handler):
    """Keeps the last warnings/errors for the health state file."""

    def __init__(self, maxlen: int = RECENT_ERRORS):
        super().__init__(level=logging.WARNING)
        self.items: deque[LogEntry] = deque(maxlen=maxlen)

    def emit(self, record: logging.LogRecord) -> None:
        at = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="seconds")
        message = record.getMessage()
        if self.items and self.items[-1].message == message:
            # One crash-looping error must not push every other error out of the list.
            self.items[-1] = replace(self.items[-1], at=at, count=self.items[-1].count + 1)
            return
        self.items.append(LogEntry(at, record.levelname.lower(), message))

    def snapshot(self) -> tuple[LogEntry, ...]:
        return tuple(self.items)


recent_errors = RecentErrors()


def setup(level: int | str = logging.INFO, stream=None, journald: bool | None = None) -> logging.Logger:
    """Configure the 'aimoji' logger once; returns it. Under systemd $JOURNAL_STREAM is set."""
    logger = logging.getLogger("aimoji")
    logger.setLevel(level)
    journald = bool(os.environ.get("JOURNAL_STREAM")) if journald is None else journald
    for h in list(logger.handlers):
        logger.removeHandler(h)
    out = logging.StreamHandler(sys.stderr if stream is None else stream)
    out.setFormatter(JournalFormatter(journald))
    out.addFilter(RepeatFilter())
    logger.addHandler(out)
    recent_errors.items.clear()
    logger.addHandler(recent_errors)
    logger.propagate = False
    return logger
