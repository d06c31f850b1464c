"""Frame pacing and frame statistics: pure, driven by times handed in (a monotonic clock in the player).

Frame n is due at start + n / fps. A frame slot that passes before its frame is shown is counted as
dropped, never silently skipped.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


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


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a sequence; 0.0 for an empty one."""
    s = sorted(values)
    if not s:
        return 0.0
    rank = max(1, math.ceil(q / 100.0 * len(s)))
    return float(s[min(rank, len(s)) - 1])


@dataclass
class FrameStats:
    """Counters the player keeps; `frame_ms` keeps a window of recent work times for percentiles."""
    window: int = 36_000  # ten minutes at 60 fps
    frames: int = 0
    dropped_frames: int = 0
    dry_frames: int = 0       # frames that repeated the last image because the buffer was empty
    frame_ms: deque = field(default_factory=deque)
    first_frame_s: float | None = None

    def record(self, work_ms: float, dropped: int = 0, dry: bool = False) -> None:
        self.frames += 1
        self.dropped_frames += dropped + (1 if dry else 0)
        self.dry_frames += 1 if dry else 0
        self.frame_ms.append(work_ms)
        if len(self.frame_ms) > self.window:
            self.frame_ms.popleft()

    def p50_ms(self) -> float:
        return percentile(self.frame_ms, 50)

    def p99_ms(self) -> float:
        return percentile(self.frame_ms, 99)


def measured_fps(show_times: deque | list) -> float:
    """Frames per second over a window of show times (monotonic s)."""
    if len(show_times) < 2 or show_times[-1] <= show_times[0]:
        return 0.0
    return (len(show_times) - 1) / (show_times[-1] - show_times[0])
