"""Display off/on at the schedule's transitions (outside_hours.action = "display_off").

`command_for` is the pure rule; `DisplayPower` runs the command from a side thread with a timeout,
so a hung `ddcutil` or `xset` never blocks the render loop.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable, Sequence

from installation.show.config import OutsideHours

log = logging.getLogger("aimoji.display_power")

COMMAND_TIMEOUT_S = 15.0  # DDC/CI monitors can take several seconds to answer


def command_for(previous_open: bool | None, now_open: bool, outside: OutsideHours) -> list[str] | None:
    """The argv to run now, or None. `previous_open` None = first call since start: the display is put
    in the state the schedule wants, since a restarted player cannot know what was done before."""
    if outside.action != "display_off" or previous_open == now_open:
        return None
    command = outside.display_on_command if now_open else outside.display_off_command
    return list(command) or None


class DisplayPower:
    """Call `update(is_open)` from the render loop as often as you like; it returns at once."""

    def __init__(self, outside: OutsideHours, timeout_s: float = COMMAND_TIMEOUT_S,
                 run: Callable[..., subprocess.CompletedProcess] = subprocess.run):
        self.outside = outside
        self.timeout_s = timeout_s
        self._run = run
        self._previous: bool | None = None
        self._pending: list[str] | None = None  # only the newest command matters
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="aimoji-display-power", daemon=True)
        self._thread.start()

    def set_outside(self, outside: OutsideHours) -> None:
        """After a show reload: new commands; the next update() re-applies the current state."""
        self.outside = outside
        self._previous = None

    def update(self, is_open: bool) -> None:
        command = command_for(self._previous, is_open, self.outside)
        self._previous = is_open
        if command is not None:
            with self._wake:
                self._pending = command
                self._wake.notify()

    def close(self, timeout_s: float = 1.0) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout_s)

    def _work(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                command, self._pending = self._pending, None
            self._execute(command)

    def _execute(self, command: Sequence[str]) -> None:
        try:
            done = self._run(list(command), capture_output=True, text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            log.error("display command timed out after %g s: %s", self.timeout_s, " ".join(command))
            return
        except OSError as exc:
            log.error("display command cannot run: %s: %s", " ".join(command), exc.strerror)
            return
        if done.returncode != 0:
            detail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or [""]
            log.error("display command failed (exit %d): %s %s", done.returncode, " ".join(command), detail[0])
        else:
            log.info("display command ok: %s", " ".join(command))
