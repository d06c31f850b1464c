"""Thin pygame shell for the evolution scene: draws the cross-faded frames that scenes/evolution.py picks
from the model's decoded training timelapse (model/timelapse.py: decoded when the model was loaded)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pygame

from installation.model.timelapse import Replay
from installation.display.screen import Screen, scale_to, to_surface
from installation.scenes.evolution import Pick, caption, phases, pick
from installation.scenes.layout import Box, morph_box

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


def _caption_font(size_px: int):
    """pygame.freetype's built-in font, or None where freetype is missing (the caption is optional)."""
    try:
        import pygame.freetype
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        return pygame.freetype.Font(None, size_px)
    except (ImportError, pygame.error, OSError):
        return None


def _caption_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    light = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2] >= 128
    return (110, 110, 110) if light else (150, 150, 150)


class EvolutionView:
    """Replays training from noise to faces, placed and scaled like morph, looping every loop_s.

    The replay starts from noise at the scene's first drawn frame, so visitors see training from the
    beginning when the scene comes on. `colour` (the calibration's table) is applied to each mixed
    frame as it is first shown: microseconds on a small image.
    """

    name = "evolution"
    plan = None               # no generation: the frames come from the model's metadata
    stale_tiles = 0

    def __init__(self, replay: Replay, loop_s: float, scale: str, background: tuple[int, int, int],
                 show_caption: bool = True, colour: Callable[[np.ndarray], np.ndarray] | None = None):
        self.timelapse, self.frames, self.loop_s = replay.timelapse, replay.frames, loop_s
        self.scale, self.background, self.show_caption = scale, background, show_caption
        self.colour = colour
        self.still_s = phases(loop_s)[1]   # the final face is held this long on purpose (health)
        self._t0: float | None = None
        self._layout = None        # the screen's key the layout was made for; None: repaint everything
        self._box: Box | None = None   # the emoji's rect on the screen
        self._shown: tuple[tuple, pygame.Surface] | None = None   # (mix key, scaled surface)
        self._image: np.ndarray | None = None
        self._font = None
        self._caption_px = 0
        self._caption: tuple[str, pygame.Surface, tuple] | None = None   # (text, turned, screen rect)
        self._caption_rect: tuple[int, int, int, int] | None = None   # on the screen

    def accept(self, frames) -> None:
        """Nothing is generated for this scene."""

    def ready(self, t: float) -> bool:
        return True

    def invalidate(self) -> None:
        self._layout = None

    def _relayout(self, screen: Screen) -> None:
        self._layout = screen.key
        w, h = screen.size
        screen.fill(self.background)
        box = morph_box(w, h, self.timelapse.frame_px, self.scale)
        self._box = Box(*screen.rect(box))
        self._shown, self._caption, self._caption_rect = None, None, None
        size_px = min(w, h) // CAPTION_DIVISOR
        self._font = _caption_font(size_px) if self.show_caption and size_px >= CAPTION_MIN_PX else None
        self._caption_px = size_px

    def draw(self, screen: Screen, t: float) -> bool:
        if self._t0 is None:
            self._t0 = t
        if screen.key != self._layout:
            self._relayout(screen)
        canvas = screen.surface
        p = pick(t - self._t0, self.loop_s, len(self.frames))
        key = (p.a, p.b, round(p.w * 255))
        box = self._box
        if self._shown is None or self._shown[0] != key:
            image = mix(self.frames, p)
            self._image = image if self.colour is None else self.colour(image)
            self._shown = (key, scale_to(screen.orient(to_surface(self._image)), (box.w, box.h), self.scale))
        if self._caption_rect is not None:  # the old caption may stick out of the emoji's square
            canvas.fill(self.background, self._caption_rect)
        canvas.blit(self._shown[1], (box.x, box.y))
        if self._font is not None:
            self._draw_caption(screen, caption(self.timelapse, p.nearest))
        return True

    def _draw_caption(self, screen: Screen, text: str) -> None:
        if self._caption is None or self._caption[0] != text:
            surface, _ = self._font.render(text, _caption_colour(self.background))
            margin = self._caption_px
            w, h = screen.size
            rect = surface.get_rect(bottomright=(w - margin, h - margin))   # in the frame
            self._caption = (text, screen.orient(surface), screen.rect(tuple(rect)))
        self._caption_rect = self._caption[2]
        screen.surface.blit(self._caption[1], self._caption_rect[:2])

    def current_image(self) -> np.ndarray | None:
        return self._image

    def glance(self) -> np.ndarray | None:
        """What health looks at: the image on screen (small already)."""
        return self._image
