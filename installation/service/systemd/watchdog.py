"""Tells systemd how the player is doing: READY=1 once the wall is first alive, WATCHDOG=1 only while it
stays alive (service/health/verdict.py: fresh frames of a changing, non-blank picture on the panel;
slow or degraded still counts, since a restart would not help), STATUS= with model, scene and fps and
what is degraded, or why not.

`notify_message` is the pure decision; `WatchdogPinger` is the thread that polls `player.snapshot()`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

from installation.player.state import PlayerState
from installation.service.health.verdict import STALL_S, Verdict, verdict
from installation.service.systemd import sdnotify

NO_WATCHDOG_POLL_S = 1.0  # without WatchdogSec= we still send READY and STATUS


def status_line(state: PlayerState, judged: Verdict) -> str:
    if judged.phase == "starting":
        return "starting: no emoji on screen yet"
    if judged.problems:
        return "; ".join(judged.problems)
    if state.activity == "closed":
        line = f"closed ({state.outside_action})"
    else:
        line = f"model {state.model or '?'}, scene {state.scene or '?'}, {state.frames.fps:.0f} fps"
    return line + "".join(f"; degraded: {d}" for d in judged.degraded)


def notify_message(state: PlayerState, now_mono: float, stale_s: float, ready_sent: bool,
                   last_status: str | None, pid: int) -> tuple[str, bool, str]:
    """(datagram to send or '', ready_sent after it, status line). READY and WATCHDOG only while the
    wall is alive (health/verdict.py): a stalled, frozen, blank or dead wall is not fed to the watchdog,
    a slow or degraded one is (a restart would not make it faster)."""
    judged = verdict(state, now_mono, stall_s=stale_s)
    lines = []
    # Not READY on an empty wall, even one waiting for its first images on a slow machine.
    if judged.alive and not ready_sent and not (state.activity == "playing" and state.picture.flat):
        # MAINPID: under cage the unit's main process is cage; this makes SIGHUP/SIGTERM reach us.
        lines += ["READY=1", f"MAINPID={pid}"]
        ready_sent = True
    if judged.alive:
        lines.append("WATCHDOG=1")
    status = status_line(state, judged)
    if status != last_status:
        lines.append(f"STATUS={status}")
    return "\n".join(lines), ready_sent, status


class WatchdogPinger(threading.Thread):
    """Daemon thread: every `interval_s`, read snapshot() and notify systemd. Call stop() to end it.

    With WatchdogSec=W: pings every W/4, and stops pinging once the last frame is older than W/2,
    so a hang is noticed within about 1.5 W.
    """

    def __init__(self, snapshot: Callable[[], PlayerState], notify: Callable[[str], bool] = sdnotify.notify,
                 watchdog_s: float | None = None, clock: Callable[[], float] = time.monotonic,
                 environ: Mapping[str, str] = os.environ):
        super().__init__(name="aimoji-watchdog", daemon=True)
        self.snapshot = snapshot
        self.notify = notify
        self.clock = clock
        if watchdog_s is None:
            watchdog_s = sdnotify.watchdog_interval_s(environ)
        self.interval_s = watchdog_s / 4 if watchdog_s else NO_WATCHDOG_POLL_S
        self.stale_s = watchdog_s / 2 if watchdog_s else STALL_S  # when WatchdogSec= is not set
        self._quit = threading.Event()

    def run(self) -> None:
        ready, status = False, None
        pid = os.getpid()
        while not self._quit.is_set():
            try:
                snap = self.snapshot()
            except Exception:  # noqa: BLE001 - a broken snapshot means no ping, which is the right answer
                snap = PlayerState()
            message, ready, status = notify_message(snap, self.clock(), self.stale_s, ready, status, pid)
            if message:
                self.notify(message)
            self._quit.wait(self.interval_s)

    def stop(self) -> None:
        self._quit.set()
