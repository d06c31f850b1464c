"""What the player reports: the snapshot other threads read every frame (health file, systemd
STATUS) and the statistics returned at exit (`--stats-json`, benchmarks)."""

from __future__ import annotations

import math
from datetime import datetime

from installation.player.pacing import measured_fps


def snapshot_of(player, shown: float | None) -> dict:
    """The player's state after a frame shown at monotonic time `shown` (None before the first)."""
    cur = player.current
    return {
        "uptime_s": round(player.clock() - player.started_at, 3),
        "fps": round(measured_fps(player._shown_times), 2),
        "fps_target": player.show.display.fps,
        "frames": player.stats.frames,
        "dropped_frames": player.stats.dropped_frames,
        "generated": player.generated(),
        "model": cur.model_name if cur else None,
        "scene": cur.view.name if cur else ("closed" if player.closed else None),
        "show": player.show.title,
        "state": "closed" if player.closed else ("playing" if cur else "starting"),
        "last_frame_monotonic": shown,
        "model_swaps": player.model_swaps,
        "rejected_files": player.rejected_files,
        "stale_tiles": cur.view.stale_tiles if cur else 0,
        "worker_error": cur.worker.error if cur else None,
        "open": not player.closed,
        "next_change": next_change(player._showing[1]),
        "models": list(player._model_names),
        "calibrated": player.calibration is not None,
    }


_iso_cache: dict[float, str] = {}


def next_change(until: float) -> str | None:
    """The schedule's next change (epoch seconds) as local ISO time; None when nothing ever changes."""
    if not math.isfinite(until):
        return None
    if until not in _iso_cache:  # asked every frame, changes every few minutes
        _iso_cache.clear()
        _iso_cache[until] = datetime.fromtimestamp(until).astimezone().isoformat(timespec="seconds")
    return _iso_cache[until]


def quantile(values, q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def stats_of(player, snap: dict) -> dict:
    stats = player.stats
    return {
        "frames": stats.frames,
        "dropped_frames": stats.dropped_frames,
        "fps_target": player.show.display.fps,
        "frame_ms_p50": round(stats.p50_ms(), 3),
        "frame_ms_p99": round(stats.p99_ms(), 3),
        "first_frame_s": None if stats.first_frame_s is None else round(stats.first_frame_s, 3),
        "generated": player.generated(),
        "model": snap["model"],
        "scene": snap["scene"],
        "model_swaps": player.model_swaps,
        "rejected_files": player.rejected_files,
        "dry_frames": stats.dry_frames,
        "present_ms_p50": quantile(player._present_ms, 0.5),  # draw + present, calibration included
        "present_ms_p99": quantile(player._present_ms, 0.99),
        "fps_measured": snap["fps"],
        "uptime_s": snap["uptime_s"],
        "worker_error": snap["worker_error"],
    }
