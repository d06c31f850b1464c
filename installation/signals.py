"""Signals for a supervised player: SIGTERM/SIGINT ask the render loop to quit (systemd stop, Ctrl+C),
SIGHUP asks it to reload the show (`systemctl reload aimoji`). Handlers only queue; the loop acts.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable

log = logging.getLogger("aimoji.signals")

STOP_GRACE_S = 1.8  # TimeoutStopSec=3 in aimoji.service; we must be gone within 2 s of SIGTERM


def install(on_terminate: Callable[[], None], on_reload: Callable[[], None] | None = None,
            grace_s: float = STOP_GRACE_S, hard_exit: Callable[[int], None] = os._exit) -> None:
    """Call from the main thread before the render loop starts.

    on_terminate: e.g. `lambda: player.post(Quit())`; must not block.
    on_reload: e.g. `lambda: player.post(ReloadShow())`; must not block. None: SIGHUP is ignored.
    If the loop has not exited `grace_s` after the first SIGTERM, or on a second one, the process
    exits at once, so a stop never waits for systemd's SIGKILL.
    """
    state = {"terminating": False}

    def _terminate(signum, _frame) -> None:
        name = signal.Signals(signum).name
        if state["terminating"]:
            log.warning("second %s: exiting now", name)
            hard_exit(0)
            return
        state["terminating"] = True
        log.info("%s: stopping", name)
        on_terminate()
        timer = threading.Timer(grace_s, _too_slow, args=(name,))
        timer.daemon = True
        timer.start()

    def _too_slow(name: str) -> None:
        log.warning("render loop did not stop within %.1f s of %s: exiting without cleanup", grace_s, name)
        hard_exit(0)

    def _reload(_signum, _frame) -> None:
        log.info("SIGHUP: reloading the show")
        on_reload()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGHUP, _reload if on_reload is not None else signal.SIG_IGN)
