"""A fast clock for driving the player where time is the subject (back-offs, fades, schedules, clock
steps): monotonic and wall time run `speed` times faster than real time, and the player's waits are
shortened to match, so the render loop, its worker threads and the test all see one consistent,
quicker time. `step_wall` moves the wall clock alone, as NTP or an RTC fixed at boot does."""

from __future__ import annotations

import time


class FastClock:
    def __init__(self, speed: float = 4.0, wall_start: float | None = None):
        self.speed = speed
        self._t0 = time.monotonic()
        self._base = 1000.0
        self._wall_minus_mono = (time.time() if wall_start is None else wall_start) - self._base
        self._last = self._base

    def monotonic(self) -> float:
        self._last = self._base + (time.monotonic() - self._t0) * self.speed
        return self._last

    def time(self) -> float:
        """The wall clock at the monotonic clock's last reading: two readings a few real milliseconds
        apart would differ by `speed` times that, which the player would take for a clock step."""
        return self._last + self._wall_minus_mono

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.speed)

    def step_wall(self, seconds: float) -> None:
        self._wall_minus_mono += seconds

    def player_clocks(self) -> dict:
        """The Player's keyword arguments for this clock."""
        return {"clock": self.monotonic, "wall": self.time, "sleep": self.sleep}
