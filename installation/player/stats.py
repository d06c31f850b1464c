"""What the player counts (pure): frames, drops, work and present times, the measured frame rate, and
the one percentile rule every figure in the stats JSON and the health file uses."""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from installation.player.state import FrameFacts, PlayerState

WINDOW = 36_000     # ten minutes at 60 fps of per-frame times, for the percentiles
FPS_WINDOW = 121    # show times over which fps is measured (two seconds at 60 fps)
DROP_WINDOW = 300   # frames over which the share of dropped slots is measured (five seconds at 60 fps)
# Upper bounds (s) of the frame-work histogram (/metrics aimoji_frame_seconds): around 60 and 30 fps
# budgets (16.7 ms, 33.3 ms) and the stalls beyond them.
FRAME_BUCKETS_S = (0.002, 0.005, 0.01, 0.0167, 0.025, 0.0333, 0.05, 0.1, 0.25, 1.0)


def percentile(values, q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of a sequence; None for an empty one."""
    s = sorted(values)
    if not s:
        return None
    rank = max(1, math.ceil(q / 100.0 * len(s)))
    return float(s[min(rank, len(s)) - 1])


def measured_fps(show_times) -> float:
    """Frames per second over a window of show times (monotonic s)."""
    if len(show_times) < 2 or show_times[-1] <= show_times[0]:
        return 0.0
    return (len(show_times) - 1) / (show_times[-1] - show_times[0])


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class FrameStats:
    """Counters the player keeps; windows of recent work and present times for percentiles."""
    window: int = WINDOW
    frames: int = 0
    dropped_frames: int = 0
    dry_frames: int = 0       # frames that repeated the last image because the buffer was empty
    first_frame_s: float | None = None
    frame_ms: deque = field(init=False)     # the loop's own work per frame
    present_ms: deque = field(init=False)   # drawing + presenting, calibration included
    shown: deque = field(init=False)        # monotonic show times
    recent_drops: deque = field(init=False)  # per recent frame: (slots missed before it, 1 if a dry repeat)
    work_counts: list = field(init=False)   # frames per FRAME_BUCKETS_S bucket (the last: beyond them all)
    work_sum_s: float = 0.0

    def __post_init__(self):
        self.frame_ms, self.present_ms = deque(maxlen=self.window), deque(maxlen=self.window)
        self.shown = deque(maxlen=FPS_WINDOW)
        self.recent_drops = deque(maxlen=DROP_WINDOW)
        self.work_counts = [0] * (len(FRAME_BUCKETS_S) + 1)

    def record(self, work_ms: float, dropped: int = 0, dry: bool = False) -> None:
        self.frames += 1
        self.dropped_frames += dropped + (1 if dry else 0)
        self.dry_frames += 1 if dry else 0
        self.frame_ms.append(work_ms)
        self.recent_drops.append((dropped, 1 if dry else 0))
        self.work_counts[bisect.bisect_left(FRAME_BUCKETS_S, work_ms / 1000)] += 1
        self.work_sum_s += work_ms / 1000

    def dropped_share(self) -> float:
        """Of the recent frame slots (each frame shown, and each missed), the share dropped: missed, or
        shown as a dry repeat of the last image."""
        missed = sum(m for m, _ in self.recent_drops)
        dry = sum(d for _, d in self.recent_drops)
        return (missed + dry) / max(1, len(self.recent_drops) + missed)

    def count(self, shown: float, work_ms: float, present_ms: float, dropped: int, fresh: bool, *,
              emoji: bool, open_: bool, started_at: float) -> bool:
        """A frame presented at monotonic `shown`. Figures count from the first frame with an emoji on
        the wall (start-up, the model's warm-up, is not counted), drops and dry frames only while open.
        True for that first frame."""
        self.shown.append(shown)
        first = emoji and self.first_frame_s is None
        if first:
            self.first_frame_s = shown - started_at
        if self.first_frame_s is not None:
            self.present_ms.append(present_ms)
            self.record(work_ms, dropped if open_ else 0, dry=open_ and not fresh)
        return first

    def fps(self) -> float:
        return measured_fps(self.shown)

    def facts(self, target_fps: float, last_monotonic: float | None, number: int | None = None) -> FrameFacts:
        cumulative = tuple(itertools.accumulate(self.work_counts[:-1]))
        return FrameFacts(self.frames, self.dropped_frames, round(self.fps(), 2), target_fps, last_monotonic,
                          round(self.dropped_share(), 3), cumulative, round(self.work_sum_s, 6), number)

    def summary(self) -> dict:
        """The frame figures of the stats JSON (`aimoji play --stats-json`, benchmarks)."""
        return {
            "frames": self.frames,
            "dropped_frames": self.dropped_frames,
            "dry_frames": self.dry_frames,
            "frame_ms_p50": _ms(percentile(self.frame_ms, 50)),
            "frame_ms_p99": _ms(percentile(self.frame_ms, 99)),
            "present_ms_p50": _ms(percentile(self.present_ms, 50)),
            "present_ms_p99": _ms(percentile(self.present_ms, 99)),
            "first_frame_s": _ms(self.first_frame_s),
        }


def stats_json(stats: FrameStats, state: PlayerState) -> dict:
    """What `aimoji play --stats-json` and the benchmarks get at exit."""
    return {**stats.summary(), "fps_target": state.frames.target_fps, "generated": state.generation.generated,
            "model": state.model, "scene": state.scene, "model_swaps": state.model_swaps,
            "rejected_files": state.rejected_files, "fps_measured": state.frames.fps,
            "asked_images_per_s": state.generation.asked_per_s, "uptime_s": state.uptime_s,
            "worker_error": state.generation.error}


def venue_iso(epoch_s: float, zone: str) -> str | None:
    """Epoch seconds as the venue's local ISO time (the schedule's next change, an override's end: what
    the staff there read), e.g. '2026-12-05T23:00:00+01:00'; None for 'never'."""
    return _iso(round(epoch_s), zone) if math.isfinite(epoch_s) else None


@lru_cache(maxsize=16)   # asked every frame; the answers change every few minutes
def _iso(epoch_s: int, zone: str) -> str:
    return datetime.fromtimestamp(epoch_s, ZoneInfo(zone)).isoformat(timespec="seconds")
