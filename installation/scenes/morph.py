"""Morph scene logic (pure): one emoji per displayed frame, frame n shows the walk at t = n / fps."""

from __future__ import annotations

import math

from installation.player.worker import Request
from installation.scenes.walk import WalkParams, latent_at


def frame_index(t: float, fps: float) -> int:
    """The display frame that shows walk time t (frame boundaries sit on multiples of 1/fps)."""
    return round(t * fps)


class MorphPlan:
    """Requests frame n, n+1, ... in order; a worker that fell behind jumps to the present."""

    def __init__(self, walk: WalkParams, fps: float, phase_keyframes: float = 0.0, steer=None):
        self.walk, self.fps, self.phase, self.steer = walk, fps, phase_keyframes, steer
        self.rate_hz = fps
        self.next_n: int | None = None

    def next_requests(self, now_t: float, max_n: int, until_t: float = math.inf) -> list[Request]:
        first_useful = frame_index(now_t, self.fps)
        if self.next_n is None or self.next_n < first_useful:
            self.next_n = first_useful
        out = []
        while len(out) < max_n:
            t = self.next_n / self.fps
            if t > until_t + 0.5 / self.fps:
                break
            z = latent_at(self.walk, t, self.phase)
            out.append(Request(self.next_n, t, self.steer(z) if self.steer else z))
            self.next_n += 1
        return out


MAX_PENDING = 256   # frames held ahead of the screen: ~4 s at 60 fps, far more than the worker's lead


class MorphSelector:
    """Keeps generated frames by index and picks the one for the frame being shown. Bounded: a scene
    that is never drawn (a hand-over that never comes) keeps the newest MAX_PENDING frames only."""

    def __init__(self, fps: float):
        self.fps = fps
        self.pending: dict[int, object] = {}
        self.current: object | None = None
        self.current_key: int | None = None

    def accept(self, key: int, payload: object) -> None:
        self.pending[key] = payload
        if len(self.pending) > MAX_PENDING:
            del self.pending[min(self.pending)]

    def has(self, t: float) -> bool:
        """Something to show at t (a hand-over waits for this)."""
        n = frame_index(t, self.fps)
        return self.current is not None or any(k <= n for k in self.pending)

    def select(self, t: float) -> tuple[object | None, bool]:
        """(payload to show, fresh). The newest frame up to t is shown; fresh only if it is the
        frame for t exactly (a repeat or a late frame counts as a drop). Never goes back in time."""
        n = frame_index(t, self.fps)
        last = -1 if self.current_key is None else self.current_key
        due = [k for k in self.pending if k <= n]
        for k in due:
            payload = self.pending.pop(k)
            if k == max(due) and k > last:
                self.current, self.current_key = payload, k
        return self.current, self.current_key == n
