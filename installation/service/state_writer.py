"""The thread that rewrites the health state file (see health.py) from `player.snapshot()` every few seconds."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from installation.service import health

from installation.service import logs

log = logging.getLogger("aimoji.health")


class StateWriter(threading.Thread):
    """Daemon thread; `stop()` ends it and removes the file, so a stopped player reads as 'not running'."""

    def __init__(self, snapshot: Callable[[], Mapping], path: Path | str | None = None,
                 every_s: float = health.WRITE_EVERY_S, errors: Callable[[], list[dict]] | None = None):
        super().__init__(name="aimoji-state", daemon=True)
        self.snapshot = snapshot
        self.path = Path(path) if path is not None else health.state_path_for_writing()
        self.every_s = every_s
        self.errors = errors if errors is not None else logs.recent_errors.snapshot
        self._quit = threading.Event()
        self._boot = health.boot_id()

    def state(self) -> dict:
        """What the file holds, judged now (the status page serves it as /status.json)."""
        return health.build_state(self.snapshot(), time.time(), time.monotonic(), os.getpid(), self.errors(),
                                  self._boot)

    def write_once(self) -> None:
        health.write_state(self.path, self.state())

    def run(self) -> None:
        while not self._quit.is_set():
            try:
                self.write_once()
            except Exception as exc:  # noqa: BLE001 - health reporting must never take the show down
                log.warning("cannot write state file %s: %s", self.path, exc)
            self._quit.wait(self.every_s)

    def stop(self, remove: bool = True) -> None:
        self._quit.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=2.0)  # so a last write cannot recreate the file after we remove it
        if remove:
            try:
                self.path.unlink()
            except OSError:
                pass
