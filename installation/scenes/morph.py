"""The morph scene: one emoji filling the screen's height, a new generated image every frame.

Frame n shows the walk at t = n / fps.

A machine that makes every frame's emoji generates each one. One that cannot generates every k-th
frame (frames_per_image = k, a whole number so timing stays exact: rate fps / k) and the frames
between blend the two generated neighbours in pixel space: frame n shows image n - n % k moved
(n % k) / k of the way towards image n - n % k + k.
"""

from __future__ import annotations

import math

import numpy as np

from typing import Literal

from installation.scenes.base import Canvas, Frame, Request, SceneEntry, SceneKind, Sustained, ViewSpec, unchanged
from installation.geometry import Rect
from installation.scenes.layout import morph_box
from installation.scenes.walk import WalkParams, keyframe_position, latent_at


class MorphScene(SceneEntry):
    scene: Literal["morph"] = "morph"


def frame_index(t: float, fps: float) -> int:
    """The frame number of walk time t: floor(t * fps), t the wall clock's UNIX seconds, so every PC of
    a wall whose clock agrees draws the same frame. Frames are due on multiples of 1/fps
    (player/pacing.py): a due time a rounding error short of one is still that frame (at epoch seconds
    a double holds t x fps to about 1e-5 of a frame, so the tolerance is a thousandth)."""
    return math.floor(t * fps + 1e-3)


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


class MorphView:
    """Draws the pair the selector picks, blended and turned while small, in one upscale to its place,
    scaled into the surface of the image it replaces (no new surface a frame); the placed image is
    kept for the frames that repeat it."""
    name = "morph"
    stale_tiles = 0
    still_s = 0.0

    def __init__(self, plan: MorphPlan, image_px: int, scale: str):
        self.plan, self.image_px, self.scale = plan, image_px, scale
        self.selector = MorphSelector(plan.fps, plan.frames_per_image)
        self._layout = None   # the canvas key the layout was made for; None: repaint everything
        self._shown: tuple | None = None   # (image, blended in, weight) as placed
        self._placed = None   # the last placed image, drawn each frame, its surface reused by the next
        self._image: np.ndarray | None = None

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, f)

    def ready(self, t: float) -> bool:
        return self.selector.has(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._layout = None

    def image_box(self, canvas: Canvas) -> tuple[int, int]:
        return self._box_on(canvas)[2:]

    def _box_on(self, canvas: Canvas) -> Rect:
        return morph_box(*canvas.size, self.image_px, self.scale, canvas.inset)

    def lay_out(self, canvas: Canvas) -> None:
        """Nothing to make ready: a morph places each image as it draws it."""

    def draw(self, canvas: Canvas, t: float) -> bool:
        frame, towards, weight, fresh = self.selector.select(t)
        if canvas.key != self._layout:
            self._layout, self._shown = canvas.key, None
            self._box = self._box_on(canvas)
            canvas.fill(canvas.background)
        if frame is None:
            return False
        shown = self._shown
        if shown is None or shown[0] is not frame or shown[1] is not towards or shown[2] != weight:
            self._image = blend(frame.image, None if towards is None else towards.image, weight)
            # A blend is enlarged here: enlarging is not linear, so two enlarged images blended would differ.
            enlarged = frame.enlarged if self._image is frame.image else None
            self._placed = canvas.place(self._image, self._box, self.scale, self._placed, enlarged)
            self._shown = (frame, towards, weight)
        canvas.draw(self._placed)
        return fresh

    def current_image(self) -> np.ndarray | None:
        return self._image

    def glance(self) -> np.ndarray | None:
        """What health looks at: the image on screen, blended as shown (small already)."""
        return self._image

    def seam(self, t: float) -> int:
        """The walk's keyframe: the emoji is on its way to another one."""
        return keyframe_position(self.plan.walk, t)[0]


def view(entry: MorphScene, model, spec: ViewSpec) -> MorphView:
    plan = MorphPlan(spec.walk, spec.fps, steer=spec.steer, frames_per_image=spec.frames_per_image)
    return MorphView(plan, model.info.image_size, spec.scale)


def sustainable(entry: MorphScene, fps: float, images_per_s: float) -> Sustained:
    """A morph asks one image per frame; a machine that makes fewer generates every k-th frame and
    blends between (frames_per_image_within)."""
    if not 0 < images_per_s < fps:
        return Sustained(entry)
    every = frames_per_image_within(fps, images_per_s)
    return Sustained(entry, every, f"a morph at {fps:g} fps asks {fps:g} images/s",
                     f"generating {fps / every:.3g}/s, blending between them")


KIND = SceneKind("morph", MorphScene, view, sustainable, unchanged, colour="#3b7dd8")
