"""Morph scene logic (pure): one emoji per displayed frame, frame n shows the walk at t = n / fps."""

from __future__ import annotations

import math

from installation.generator import Request
from installation.walk import WalkParams, latent_at


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


class MorphSelector:
    """Keeps generated frames by index and picks the one for the frame being shown."""

    def __init__(self, fps: float):
        self.fps = fps
        self.pending: dict[int, object] = {}
        self.current: object | None = None
        self.current_key: int | None = None

    def accept(self, key: int, payload: object) -> None:
        self.pending[key] = payload

    def has(self, t: float) -> bool:
        return frame_index(t, self.fps) in self.pending or self.current_key == frame_index(t, self.fps)

    def select(self, t: float) -> tuple[object | None, bool]:
        """(payload to show, fresh). Not fresh = the frame for t is missing: the last one repeats."""
        n = frame_index(t, self.fps)
        fresh = n in self.pending or self.current_key == n
        if n in self.pending:
            self.current, self.current_key = self.pending.pop(n), n
        for k in [k for k in self.pending if k < n]:  # late arrivals: never shown out of order
            del self.pending[k]
        return self.current, fresh
