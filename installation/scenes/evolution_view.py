"""Thin pygame shell for the evolution scene: decodes the model's timelapse strip once (off the render
loop, see OwnFramesPipeline), then draws the cross-faded frames that scenes/evolution.py picks."""

from __future__ import annotations

import threading

import numpy as np
import pygame

from installation.scenes.evolution import Pick, Timelapse, TimelapseError, caption, pick
from installation.scenes.layout import Box, morph_box
from installation.scenes.views import DirectBlit, scale_to, to_surface

CAPTION_DIVISOR = 45     # caption height = shorter screen side / this (24 px on a 1080p screen)
CAPTION_MIN_PX = 10      # below this the caption is unreadable: leave it out


def decode_strip(timelapse: Timelapse) -> np.ndarray:
    """The strip's frames as [N, S, S, 3] uint8 (frame n = columns n*S .. n*S+S-1 of the PNG)."""
    import base64
    import binascii
    import io

    from PIL import Image

    try:
        data = base64.b64decode(timelapse.png_base64, validate=True)
    except (binascii.Error, ValueError):
        raise TimelapseError("timelapse png_base64 is not valid base64") from None
    try:
        with Image.open(io.BytesIO(data)) as im:
            strip = np.asarray(im.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise TimelapseError(f"timelapse PNG cannot be read ({exc})") from None
    s, n = timelapse.frame_px, timelapse.frames
    if strip.shape[:2] != (s, n * s):
        raise TimelapseError(f"timelapse PNG is {strip.shape[1]}x{strip.shape[0]}, expected "
                             f"{n * s}x{s} ({n} frames of {s} px)")
    return strip.reshape(s, n, s, 3).transpose(1, 0, 2, 3).copy()


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
    beginning when the scene comes on. `load()` must run (once) before anything is drawn.
    """

    name = "evolution"
    plan = None               # no generation: the frames come from the model's metadata
    stale_tiles = 0

    def __init__(self, timelapse: Timelapse, loop_s: float, scale: str, background: tuple[int, int, int],
                 show_caption: bool = True):
        self.timelapse, self.loop_s = timelapse, loop_s
        self.crisp, self.background, self.show_caption = scale == "crisp", background, show_caption
        self.frames: np.ndarray | None = None   # [N, S, S, 3] uint8, set once by load()
        self.failed: str | None = None
        self._t0: float | None = None
        self._layout = None        # the blit's key the layout was made for; None: repaint everything
        self._box: Box | None = None   # the emoji's rect on the screen
        self._shown: tuple[tuple, pygame.Surface] | None = None   # (mix key, scaled surface)
        self._image: np.ndarray | None = None
        self._font = None
        self._caption_px = 0
        self._caption: tuple[str, pygame.Surface, tuple] | None = None   # (text, turned, screen rect)
        self._caption_rect: tuple[int, int, int, int] | None = None   # on the screen

    def load(self, colour=None) -> None:
        """Decode the strip (tens of ms for 120 frames: never inside a frame) and apply the
        calibration's colour to each frame, as the generator does for generated images."""
        try:
            frames = decode_strip(self.timelapse)
        except TimelapseError as exc:
            self.failed = str(exc)
            raise
        if colour is not None:
            frames = np.stack([colour(f) for f in frames])
        self.frames = frames

    def accept(self, frames) -> None:
        """Nothing is generated for this scene."""

    def ready(self, t: float) -> bool:
        # A strip that failed to decode is 'ready' too: the hand-over then puts the error into the
        # health state (worker_error) instead of waiting for ever.
        return self.frames is not None or self.failed is not None

    def invalidate(self) -> None:
        self._layout = None

    def _relayout(self, blit) -> None:
        self._layout = blit.key
        w, h = blit.size
        blit.fill(self.background)
        box = morph_box(w, h, self.timelapse.frame_px, "crisp" if self.crisp else "smooth")
        self._box = Box(*blit.rect(box))
        self._shown, self._caption, self._caption_rect = None, None, None
        size_px = min(w, h) // CAPTION_DIVISOR
        self._font = _caption_font(size_px) if self.show_caption and size_px >= CAPTION_MIN_PX else None
        self._caption_px = size_px

    def draw(self, canvas: pygame.Surface, t: float, blit=None) -> bool:
        """blit: a calibration_hook.FrameBlit onto canvas, or None to draw straight onto it."""
        blit = blit or DirectBlit(canvas)
        if self._t0 is None:
            self._t0 = t
        if blit.key != self._layout:
            self._relayout(blit)
        if self.frames is None:
            return False
        p = pick(t - self._t0, self.loop_s, len(self.frames))
        key = (p.a, p.b, round(p.w * 255))
        box = self._box
        if self._shown is None or self._shown[0] != key:
            self._image = mix(self.frames, p)
            self._shown = (key, scale_to(blit.orient(to_surface(self._image)), (box.w, box.h), self.crisp))
        if self._caption_rect is not None:  # the old caption may stick out of the emoji's square
            canvas.fill(self.background, self._caption_rect)
        canvas.blit(self._shown[1], (box.x, box.y))
        if self._font is not None:
            self._draw_caption(canvas, blit, caption(self.timelapse, p.nearest))
        return True

    def _draw_caption(self, canvas: pygame.Surface, blit, text: str) -> None:
        if self._caption is None or self._caption[0] != text:
            surface, _ = self._font.render(text, _caption_colour(self.background))
            margin = self._caption_px
            w, h = blit.size
            rect = surface.get_rect(bottomright=(w - margin, h - margin))   # in the frame
            self._caption = (text, blit.orient(surface), blit.rect(tuple(rect)))
        self._caption_rect = self._caption[2]
        canvas.blit(self._caption[1], self._caption_rect[:2])

    def current_image(self) -> np.ndarray | None:
        return self._image


class LoaderThread(threading.Thread):
    """Stands in for the generation worker of a scene that brings its own frames: runs the view's
    load() once, so decoding happens beside the render loop, never inside a frame."""

    def __init__(self, view, colour=None):
        super().__init__(name="aimoji-scene-loader", daemon=True)
        self.view, self.colour = view, colour
        self.generated = 0
        self.error: str | None = None

    def run(self) -> None:
        try:
            self.view.load(self.colour)
        except Exception as exc:  # degrade: reported as worker_error once the scene is on
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self, join_s: float = 0.0) -> None:
        """Loading takes milliseconds and holds nothing: there is nothing to interrupt."""


class OwnFramesPipeline:
    """generator.Pipeline's counterpart for a view whose plan is None (evolution): no model runs;
    the view is ready once its loader thread has finished."""

    def __init__(self, index: int, model_name: str, view, colour=None):
        self.index, self.model_name, self.view = index, model_name, view
        self.worker = LoaderThread(view, colour)
        self.worker.start()

    def pump(self, t: float, half_frame_s: float) -> None:
        """Nothing to hand over: the view holds every frame it will show."""

    def stop(self) -> None:
        self.worker.stop()
