"""Signals for a supervised player: SIGTERM/SIGINT ask the render loop to quit (systemd stop, Ctrl+C),
SIGHUP asks it to reload the show (`systemctl reload aimoji`). Handlers only queue; the loop acts.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
import time
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
    # CPython runs Python-level handlers only on the main thread, but the kernel may deliver a signal
    # to any thread; with the main thread stuck in a C call (a hung driver) a second SIGTERM would then
    # never run _terminate. The wakeup fd receives every signal's number whichever thread caught it,
    # so the grace thread below watches it for the second SIGTERM.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)

    def _drain() -> bytes:
        try:
            return os.read(wake_r, 4096)
        except BlockingIOError:
            return b""

    def _terminate(signum, _frame) -> None:
        name = signal.Signals(signum).name
        if state["terminating"]:
            log.warning("second %s: exiting now", name)
            hard_exit(0)
            return
        state["terminating"] = True
        log.info("%s: stopping", name)
        while _drain():  # the bytes of this signal and of earlier SIGHUPs
            pass
        on_terminate()
        threading.Thread(target=_grace, args=(name,), name="aimoji-stop-grace", daemon=True).start()

    def _grace(name: str) -> None:
        stops = {int(signal.SIGTERM), int(signal.SIGINT)}
        deadline = time.monotonic() + grace_s
        while (left := deadline - time.monotonic()) > 0:
            if select.select([wake_r], [], [], left)[0] and stops & set(_drain()):
                log.warning("second %s: exiting now", name)
                hard_exit(0)
                return
        log.warning("render loop did not stop within %.1f s of %s: exiting without cleanup", grace_s, name)
        hard_exit(0)

    def _reload(_signum, _frame) -> None:
        log.info("SIGHUP: reloading the show")
        on_reload()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGHUP, _reload if on_reload is not None else signal.SIG_IGN)
