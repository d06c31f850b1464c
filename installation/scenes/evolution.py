"""The evolution scene: training replayed from noise to faces, from the timelapse inside the model
file (decoded when the model was loaded: model/timelapse.py). Which recorded frames to show, and how
blended, at time t of a loop that replays training, holds the final face, then fades back to noise;
placed and scaled like morph."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from installation.model.timelapse import Replay, Timelapse
from installation.scenes.base import (Canvas, SceneEntry, SceneKind, SceneUnavailable, ViewSpec, as_asked)
from installation.scenes.layout import morph_box


class EvolutionScene(SceneEntry):
    scene: Literal["evolution"]
    loop_s: float = Field(60, gt=1, description="length of one replay of training, noise to faces")

# Shares of one loop. The replay gets most of it; visitors need a moment with the result; the fade
# back to the first (noise) frame makes the loop join without a cut.
PLAY_SHARE = 0.80
HOLD_SHARE = 0.15
RETURN_SHARE = 0.05


@dataclass(frozen=True)
class Pick:
    a: int       # frame shown
    b: int       # frame blended in over it
    w: float     # weight of b, 0..1 (0: only a)

    @property
    def nearest(self) -> int:
        """The frame that dominates the mix (for the caption)."""
        return self.b if self.w >= 0.5 else self.a


def phases(loop_s: float) -> tuple[float, float, float]:
    """(play_s, hold_s, return_s): seconds of replay, of holding the final frame, of fading to noise."""
    return loop_s * PLAY_SHARE, loop_s * HOLD_SHARE, loop_s * RETURN_SHARE


def smoothstep(x: float) -> float:
    """0..1 -> 0..1 with zero slope at both ends (the fade back starts and lands gently)."""
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def pick(t: float, loop_s: float, frames: int) -> Pick:
    """The frames to mix at t seconds after the replay started (t wraps every loop_s).

    Replay: frame position moves linearly from 0 to N-1, blending each recorded frame into the next.
    Hold: the last frame alone. Return: the last frame fades into frame 0, which is where the next
    loop begins, so the image is continuous in t everywhere, the loop seam included.
    """
    if frames <= 1:
        return Pick(0, 0, 0.0)
    play_s, hold_s, return_s = phases(loop_s)
    u = t % loop_s
    last = frames - 1
    if u < play_s:
        x = u / play_s * last
        a = min(math.floor(x), last - 1)
        return Pick(a, a + 1, min(1.0, x - a))
    if u < play_s + hold_s:
        return Pick(last, last, 0.0)
    return Pick(last, 0, smoothstep((u - play_s - hold_s) / return_s))


def caption(timelapse: Timelapse, index: int) -> str:
    """The small corner label for recorded frame `index`."""
    return f"epoch {timelapse.epochs[index]} · step {timelapse.steps[index]:,}"


CAPTION_DIVISOR = 45     # caption height = shorter screen side / this (24 px on a 1080p screen)
CAPTION_MIN_PX = 10      # below this the caption is unreadable: leave it out


def mix(frames: np.ndarray, p: Pick) -> np.ndarray:
    """Frame a blended towards frame b by weight w, in whole 1/255 steps (exact integer maths)."""
    q = round(p.w * 255)
    if q == 0 or p.a == p.b:
        return frames[p.a]
    if q == 255:
        return frames[p.b]
    a, b = frames[p.a].astype(np.uint16), frames[p.b].astype(np.uint16)
    return ((a * (255 - q) + b * q + 127) // 255).astype(np.uint8)


def caption_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    light = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2] >= 128
    return (110, 110, 110) if light else (150, 150, 150)


class EvolutionView:
    """Replays training from noise to faces, looping every loop_s, with the epoch as a small caption.

    The replay starts from noise at the scene's first drawn frame, so visitors see training from the
    beginning when the scene comes on; on a wall (`clocked`) it runs on the wall clock instead (a loop
    starts at every multiple of loop_s since the epoch), so every PC, and one that joins late, shows
    the same frame. `colour` (the calibration's table) is applied to each mixed
    frame as it is first shown: microseconds on a small image.
    """

    name = "evolution"
    plan = None               # no generation: the frames come from the model's metadata
    stale_tiles = 0

    def __init__(self, replay: Replay, loop_s: float, scale: str, show_caption: bool = True, colour=None,
                 clocked: bool = False):
        self.timelapse, self.frames, self.loop_s = replay.timelapse, replay.frames, loop_s
        self.scale, self.show_caption = scale, show_caption
        self.colour = colour
        self.still_s = phases(loop_s)[1]   # the final face is held this long on purpose (health)
        self._t0: float | None = 0.0 if clocked else None
        self._layout = None        # the canvas key the layout was made for; None: repaint everything
        self._box = None           # the emoji's rect in the frame
        self._shown: tuple | None = None   # (mix key, placed)
        self._image: np.ndarray | None = None
        self._caption_px = 0
        self._caption: tuple | None = None      # (text, placed, its rect in the frame)
        self._caption_rect = None               # where the last caption was drawn, in the frame

    def accept(self, frames) -> None:
        """Nothing is generated for this scene."""

    def ready(self, t: float) -> bool:
        return True

    def invalidate(self) -> None:
        self._layout = None

    def image_box(self, canvas: Canvas) -> None:
        """None: nothing is generated for it (it replays the timelapse)."""
        return None

    def lay_out(self, canvas: Canvas) -> None:
        """Nothing to make ready: it places each mix as it draws it."""

    def _relayout(self, canvas: Canvas) -> None:
        self._layout = canvas.key
        w, h = canvas.size
        canvas.fill(canvas.background)
        self._box = morph_box(w, h, self.timelapse.frame_px, self.scale, canvas.inset)
        self._shown, self._caption, self._caption_rect = None, None, None
        size_px = min(w, h) // CAPTION_DIVISOR
        self._caption_px = size_px if self.show_caption and size_px >= CAPTION_MIN_PX else 0

    def draw(self, canvas: Canvas, t: float) -> bool:
        if self._t0 is None:
            self._t0 = t
        if canvas.key != self._layout:
            self._relayout(canvas)
        p = pick(t - self._t0, self.loop_s, len(self.frames))
        key = (p.a, p.b, round(p.w * 255))
        if self._shown is None or self._shown[0] != key:
            image = mix(self.frames, p)
            self._image = image if self.colour is None else self.colour(image)
            self._shown = (key, canvas.place(self._image, self._box, self.scale,
                                             self._shown[1] if self._shown else None))
        if self._caption_rect is not None:  # the old caption may stick out of the emoji's square
            canvas.fill(canvas.background, self._caption_rect)
        canvas.draw(self._shown[1])
        if self._caption_px:
            self._draw_caption(canvas, caption(self.timelapse, p.nearest))
        return True

    def _draw_caption(self, canvas: Canvas, text: str) -> None:
        if self._caption is None or self._caption[0] != text:
            margin = self._caption_px
            w, h = canvas.size
            placed = canvas.place_text(text, self._caption_px, caption_colour(canvas.background),
                                       (w - margin, h - margin))
            if placed is None:      # no font here: no caption
                self._caption_px = 0
                return
            self._caption = (text, *placed)
        canvas.draw(self._caption[1])
        self._caption_rect = self._caption[2]

    def current_image(self) -> np.ndarray | None:
        return self._image

    def glance(self) -> np.ndarray | None:
        """What health looks at: the image on screen (small already)."""
        return self._image

    def seam(self, t: float) -> int:
        """The replay: it starts again from noise."""
        return 0 if self._t0 is None else math.floor((t - self._t0) / self.loop_s)


def view(entry: EvolutionScene, model, spec: ViewSpec) -> EvolutionView:
    if model.replay is None:
        raise SceneUnavailable(f"model '{model.info.title or model.name}' {model.replay_problem}")
    return EvolutionView(model.replay, entry.loop_s, spec.scale, colour=spec.colour, clocked=spec.region is not None)


def looped(entry: EvolutionScene, seconds: float) -> EvolutionScene:
    """One replay of training per loop."""
    return entry.model_copy(update={"loop_s": seconds})


KIND = SceneKind("evolution", EvolutionScene, view, as_asked, looped, colour="#4aa564", walks=False)
