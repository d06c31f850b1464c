"""Frame pacing: pure, driven by times handed in (a monotonic clock in the player).

Frame n is due at start + n / fps. A frame slot that passes before its frame is shown is counted as
dropped, never silently skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Pacer:
    fps: float
    start: float            # monotonic time at which frame 0 is due
    index: int = 0          # the frame being prepared

    @property
    def period(self) -> float:
        return 1.0 / self.fps

    def due(self, index: int | None = None) -> float:
        """Monotonic time at which frame `index` (default: the current one) should be shown."""
        return self.start + (self.index if index is None else index) * self.period

    def sleep_s(self, now: float) -> float:
        """How long to wait before showing the current frame (0 if already due or late)."""
        return max(0.0, self.due() - now)

    def advance(self, now: float) -> int:
        """After showing the current frame at `now`: move to the next frame slot that is still in
        the future and return how many slots were missed on the way (the dropped frames)."""
        nxt = self.index + 1
        # A tiny tolerance: being a few microseconds past a deadline because of timer jitter is
        # not a missed frame when the flip itself happened on time.
        late_slots = math.floor((now - self.start) / self.period - 1e-3)
        target = max(nxt, late_slots + 1)
        dropped = target - nxt
        self.index = target
        return dropped


@dataclass
class VsyncPacer:
    """When the driver's vsync already paces flips at the show's rate: never sleep, and count a
    drop for every refresh interval that passed without a flip."""
    fps: float
    last_shown: float
    index: int = 0

    @property
    def period(self) -> float:
        return 1.0 / self.fps

    def due(self) -> float:
        return self.last_shown + self.period

    def sleep_s(self, now: float) -> float:
        return 0.0

    def advance(self, now: float) -> int:
        slots = max(1, round((now - self.last_shown) / self.period))
        self.last_shown = now
        self.index += slots
        return slots - 1


def aligned_start(now_mono: float, wall_offset: float, fps: float, lead_s: float) -> float:
    """A monotonic start time >= now + lead whose wall-clock time is a multiple of 1/fps, so every
    player on the same wall clock puts frame boundaries at the same instants (multi-screen sync)."""
    period = 1.0 / fps
    wall = now_mono + wall_offset + lead_s
    return math.ceil(wall / period) * period - wall_offset


class WalkClock:
    """Walk time: the monotonic clock plus an offset that makes it the wall clock's epoch seconds, so the
    walk and the schedule follow the wall clock while pacing stays monotonic. NTP, an RTC fixed at boot or
    a resume from suspend steps the wall clock; `follow` moves the offset with it."""

    def __init__(self, clock, wall):
        self.clock, self.wall = clock, wall
        self.offset = wall() - clock()

    def now(self) -> float:
        return self.clock() + self.offset

    def follow(self, threshold_s: float) -> float | None:
        """The step (seconds) when the wall clock moved at least threshold_s against the monotonic one
        since last asked, else None."""
        step = self.wall() - self.clock() - self.offset
        if abs(step) < threshold_s:
            return None
        self.offset += step
        return step

    def pacer(self, fps: float, lead_s: float) -> Pacer:
        """A pacer whose frames fall on the wall clock's multiples of 1/fps (aligned_start)."""
        return Pacer(fps, aligned_start(self.clock(), self.offset, fps, lead_s))
