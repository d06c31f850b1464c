"""The thread that rewrites the health state file (health/report.py) from the player's state every
few seconds."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from installation.player.state import PlayerState
from installation.service.health import logs, report
from installation.service.health.report import Companions, Report

log = logging.getLogger("aimoji.health")


class StateWriter(threading.Thread):
    """Daemon thread; `stop()` ends it and removes the file, so a stopped player reads as 'not running'.
    state(): the player's PlayerState; companions(): what runs beside it."""

    def __init__(self, state: Callable[[], PlayerState], *, companions: Callable[[], Companions] = Companions,
                 path: Path | str | None = None, every_s: float = report.WRITE_EVERY_S,
                 errors: Callable[[], tuple] | None = None):
        super().__init__(name="aimoji-state", daemon=True)
        self.state, self.companions = state, companions
        self.path = Path(path) if path is not None else report.state_path_for_writing()
        self.every_s = every_s
        self.errors = errors if errors is not None else logs.recent_errors.snapshot
        self._quit = threading.Event()
        self._boot = report.boot_id()

    def report(self) -> Report:
        """What the file holds, judged now (the status page serves it as /status.json)."""
        return report.build_report(self.state(), self.companions(), time.time(), time.monotonic(), os.getpid(),
                                   self.errors(), self._boot)

    def write_once(self) -> None:
        report.write_report(self.path, self.report())

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
