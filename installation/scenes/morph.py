"""Morph scene logic (pure): frame n shows the walk at t = n / fps.

A machine that makes every frame's emoji generates each one. One that cannot generates every k-th
frame (frames_per_image = k, a whole number so timing stays exact: rate fps / k) and the frames
between blend the two generated neighbours in pixel space: frame n shows image n - n % k moved
(n % k) / k of the way towards image n - n % k + k.
"""

from __future__ import annotations

import math

import numpy as np

from installation.player.worker import Request
from installation.scenes.walk import WalkParams, latent_at


def frame_index(t: float, fps: float) -> int:
    """The display frame that shows walk time t (frame boundaries sit on multiples of 1/fps)."""
    return round(t * fps)


def frames_per_image_within(fps: float, images_per_s: float) -> int:
    """Displayed frames per generated image for a morph on a machine that can spend images_per_s on
    it: 1 (every frame) when that is enough, else the smallest k with fps / k <= images_per_s."""
    return max(1, math.ceil(fps / images_per_s - 1e-9))


def neighbours(n: int, frames_per_image: int) -> tuple[int, int, float]:
    """Display frame n between generated frames: (the one at or before n, the next, blend weight
    0..1 towards the next)."""
    base = n - n % frames_per_image
    return base, base + frames_per_image, (n - base) / frames_per_image


def blend(image: np.ndarray, towards: np.ndarray | None, weight: float) -> np.ndarray:
    """image [H, W, 3] uint8 moved `weight` of the way towards `towards`, per pixel, rounded; image
    itself when there is nothing to blend in."""
    if towards is None or weight <= 0:
        return image
    a = image.astype(np.float32)
    return (a + (towards.astype(np.float32) - a) * weight + 0.5).astype(np.uint8)


class MorphPlan:
    """Requests the generated frames (every frames_per_image-th) in order; a worker that fell
    behind jumps to the present. A frame is needed from the first displayed frame that blends it in."""

    def __init__(self, walk: WalkParams, fps: float, phase_keyframes: float = 0.0, steer=None,
                 frames_per_image: int = 1):
        self.walk, self.fps, self.phase, self.steer = walk, fps, phase_keyframes, steer
        self.frames_per_image = frames_per_image
        self.rate_hz = fps / frames_per_image
        self.next_n: int | None = None

    def next_requests(self, now_t: float, max_n: int, until_t: float = math.inf) -> list[Request]:
        k = self.frames_per_image
        first_useful = neighbours(frame_index(now_t, self.fps), k)[0]
        if self.next_n is None or self.next_n < first_useful:
            self.next_n = first_useful
        out = []
        while len(out) < max_n:
            need_t = (self.next_n - k + 1) / self.fps
            if need_t > until_t + 0.5 / self.fps:
                break
            z = latent_at(self.walk, self.next_n / self.fps, self.phase)
            out.append(Request(self.next_n, need_t, self.steer(z) if self.steer else z))
            self.next_n += k
        return out


MAX_PENDING = 256   # generated frames held ahead of the screen: ~4 s at 60 fps, far more than the worker's lead


class MorphSelector:
    """Keeps generated frames by index and picks the pair to show for a displayed frame. Bounded: a
    scene that is never drawn (a hand-over that never comes) keeps the newest MAX_PENDING frames only."""

    def __init__(self, fps: float, frames_per_image: int = 1):
        self.fps, self.frames_per_image = fps, frames_per_image
        self.pending: dict[int, object] = {}
        self.shown: tuple[object | None, object | None, float] = (None, None, 0.0)
        self.current_key: int | None = None   # the generated frame shown (blended from)

    def accept(self, key: int, payload: object) -> None:
        self.pending[key] = payload
        if len(self.pending) > MAX_PENDING:
            del self.pending[min(self.pending)]

    def has(self, t: float) -> bool:
        """Something to show at t (a hand-over waits for this)."""
        n = frame_index(t, self.fps)
        return self.shown[0] is not None or any(k <= n for k in self.pending)

    def select(self, t: float) -> tuple[object | None, object | None, float, bool]:
        """(image, image blended in or None, its weight, fresh). Fresh when both neighbours of t are here
        (only the one at t when t falls on a generated frame); otherwise a drop: the newest frame up to t
        that is newer than the one shown, alone, or else the picture shown last, held. Never goes back
        in time; frames before the one shown are forgotten."""
        base, after, weight = neighbours(frame_index(t, self.fps), self.frames_per_image)
        fresh = base in self.pending and (weight == 0 or after in self.pending)
        if fresh:
            self.current_key = base
            self.shown = (self.pending[base], self.pending[after] if weight else None, weight)
        else:
            last = -math.inf if self.current_key is None else self.current_key
            due = [k for k in self.pending if last < k <= base]
            if due:
                self.current_key = max(due)
                self.shown = (self.pending[self.current_key], None, 0.0)
        for k in [k for k in self.pending if self.current_key is not None and k < self.current_key]:
            del self.pending[k]
        return (*self.shown, fresh)
