"""Display power: switch the screen off outside opening hours and back on, when a show asks for
`outside_hours.action = "display_off"` and the service has commands for it (power_commands.py).

The pure parts: `desired_power` (what the screen should be now) and `PowerMachine` (what to send and
when, given what last succeeded; failures retried with back-off). `DisplayPower` is the shell: the render
loop tells it whether the show is open and returns at once; the commands run on its own thread with a
timeout, so a hung `ddcutil` or `xset` never blocks a frame.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from installation.service.power.power_commands import PowerCommands, PowerConfigError
from installation.show.config import OutsideHours

log = logging.getLogger("aimoji.display_power")

FIRST_RETRY_S = 5.0   # a failed command is tried again after 5 s, 10 s, 20 s ...
MAX_RETRY_S = 300.0   # ... but at least every 5 minutes, for as long as the wish stands


def desired_power(is_open: bool, action: str, has_commands: bool) -> str | None:
    """'off' while closed with action display_off, else 'on'; None when there is nothing to switch
    with. 'on' whatever the action: a screen left off by an earlier show must come back on."""
    if not has_commands:
        return None
    return "off" if action == "display_off" and not is_open else "on"


def retry_delay_s(failures: int, first_s: float = FIRST_RETRY_S, max_s: float = MAX_RETRY_S) -> float:
    """Seconds to wait after the n-th failure in a row (n >= 1): doubling from first_s, capped at max_s."""
    return min(first_s * 2 ** (failures - 1), max_s)


@dataclass
class PowerMachine:
    """What to send and when; takes the time as a value, runs nothing.

    `confirmed` is what the last successful command set. It is None at start (a restarted player cannot
    know what was done before, so the desired state is sent once) and after a failure (a command that
    timed out may have acted anyway)."""
    first_retry_s: float = FIRST_RETRY_S
    max_retry_s: float = MAX_RETRY_S
    confirmed: str | None = None
    target: str | None = None      # the state being sent or retried
    failures: int = 0              # in a row, for `target`
    retry_at: float = 0.0
    last_error: str | None = None
    _errors_logged: set[str] = field(default_factory=set)

    def step(self, desired: str | None, now: float) -> tuple[str | None, float | None]:
        """(state to send now, or None; seconds until it is worth asking again, None = until `desired`
        changes). A new wish is tried at once; the back-off only spaces retries of the same wish."""
        if desired is None or desired == self.confirmed:
            self._forget()
            return None, None
        if desired != self.target:
            self._forget()
            self.target, self.retry_at = desired, now
        if now >= self.retry_at:
            return desired, None
        return None, self.retry_at - now

    def done(self, error: str | None, now: float) -> str | None:
        """Record how sending `target` went (error None = success). Returns the line to log, or None:
        each distinct error of one wish is logged once, and the success that ends a run of failures."""
        target = self.target
        if error is None:
            line = None if not self.failures else \
                f"display {target}: ok after {self.failures} failed tr{'y' if self.failures == 1 else 'ies'}"
            self.confirmed = target
            self._forget()
            return line
        self.failures += 1
        self.confirmed = None
        self.last_error = error
        self.retry_at = now + retry_delay_s(self.failures, self.first_retry_s, self.max_retry_s)
        if error in self._errors_logged:
            return None
        self._errors_logged.add(error)
        return (f"display {target} failed ({error}); retrying after {self.first_retry_s:g} s, then less "
                f"often, at least every {self.max_retry_s:g} s, until it works or the wish changes")

    def status(self) -> str:
        """One line for the health state file."""
        if self.target is None:
            return {"on": "on", "off": "off"}.get(self.confirmed, "unknown")
        if not self.failures:
            return f"switching {self.target}"
        times = "1 time" if self.failures == 1 else f"{self.failures} times"
        return f"switching {self.target}: failed {times} in a row, last: {self.last_error}"

    def _forget(self) -> None:
        self.target, self.failures, self.last_error = None, 0, None
        self._errors_logged = set()


def fallback_line(problem: PowerConfigError) -> str:
    return f"{problem}; outside hours the screen shows black instead of display_off"


class DisplayPower:
    """Call `update(is_open)` from the render loop as often as you like; it returns at once. `status`
    is a line for the health state file."""

    def __init__(self, outside: OutsideHours, commands: PowerCommands | None,
                 problem: PowerConfigError | None = None, *,
                 run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
                 clock: Callable[[], float] = time.monotonic,
                 first_retry_s: float = FIRST_RETRY_S, max_retry_s: float = MAX_RETRY_S):
        if commands is None and problem is None:
            problem = PowerConfigError("no display power commands given", missing=True)
        self.commands, self.problem = commands, problem
        self._run, self._clock = run, clock
        self._machine = PowerMachine(first_retry_s, max_retry_s)
        self._outside, self._open = outside, None
        self._problem_logged = False
        if problem is not None and not problem.missing:
            # A file that is there but unusable is a mistake worth a line even before a show needs it.
            log.error(fallback_line(problem))
            self._problem_logged = True
        self.status = "starting"
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="aimoji-display-power", daemon=True)
        self._thread.start()

    def set_outside(self, outside: OutsideHours) -> None:
        """After a show reload; the worker re-evaluates (an action changed while closed may mean 'on')."""
        with self._wake:
            self._outside = outside
            self._wake.notify()

    def update(self, is_open: bool) -> None:
        if is_open != self._open:  # a plain read most frames; the lock only at a change
            with self._wake:
                self._open = is_open
                self._wake.notify()

    def close(self, timeout_s: float = 1.0) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout_s)

    # ---- the worker thread ----------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._wake:
                while True:
                    if self._closed:
                        return
                    send, wait_s = self._evaluate()
                    if send is not None:
                        break
                    self._wake.wait(wait_s)
            error = self._execute(send)
            with self._wake:
                line = self._machine.done(error, self._clock())
                self.status = self._machine.status()
            argv = " ".join(getattr(self.commands, send))
            if line is not None:
                (log.error if error else log.info)("%s: %s", line, argv)
            elif error is None:
                log.info("display %s: ok: %s", send, argv)

    def _evaluate(self) -> tuple[str | None, float | None]:
        """Called with the lock held, on the worker thread."""
        if self._open is None:
            return None, None  # the render loop has not said yet
        action = self._outside.action
        desired = desired_power(self._open, action, self.commands is not None)
        if desired is None:
            fallback = action == "display_off"
            if fallback and not self._problem_logged:
                log.error(fallback_line(self.problem))
                self._problem_logged = True
            self.status = f"black instead of display_off: {self.problem}" if fallback else \
                f"no display commands ({self.problem})"
            return None, None
        send, wait_s = self._machine.step(desired, self._clock())
        self.status = self._machine.status()
        return send, wait_s

    def _execute(self, state: str) -> str | None:
        """Run the command for 'on' or 'off'; None on success, else the error in a few words."""
        argv = list(getattr(self.commands, state))
        timeout_s = self.commands.timeout_s
        try:
            done = self._run(argv, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return f"timed out after {timeout_s:g} s"
        except OSError as exc:
            return f"cannot run: {exc.strerror or exc}"
        if done.returncode != 0:
            detail = (done.stderr or done.stdout or "").strip().splitlines()[-1:]
            return f"exit {done.returncode}" + (f": {detail[0]}" if detail else "")
        return None
