"""The screen the player draws on: the display surface, the calibration, and the one way to draw.

Scenes lay their picture out on a frame of `size` pixels and draw each small generated image into a
rect of it. The Screen maps every rect and turns every small image through the calibration's geometry
(rotation, mirror, scale, offset: calibration/frame_map.py), so a calibrated wall costs no full-frame
pass; without a calibration the mapping is the identity. The show's background goes through the
calibration's colour table, as the generated images do in the worker.
"""

from __future__ import annotations

import numpy as np
import pygame

from installation.calibration import frame_map
from installation.calibration.apply import Calibration
from installation.display import sharp

Rect = tuple[int, int, int, int]   # x, y, w, h in pixels
IDENTITY = Calibration()


def to_surface(image: np.ndarray) -> pygame.Surface:
    """[H, W, 3] uint8 -> a Surface (copied, so the array may go), in the display's pixel format
    when a display is open (blits between equal formats are the fast path)."""
    surf = pygame.image.frombuffer(np.ascontiguousarray(image).tobytes(), image.shape[1::-1], "RGB")
    return surf.convert() if pygame.display.get_init() and pygame.display.get_surface() else surf


def scale_to(surf: pygame.Surface, size: tuple[int, int], scale: str) -> pygame.Surface:
    """`surf` enlarged (or shrunk) to `size` the show's way, display.scale: 'smooth' bilinear, 'pixel'
    nearest-neighbour, 'sharp' enlarged with its edges kept (display/sharp.py), then bilinear."""
    w, h = surf.get_size()
    if (w, h) == size:
        return surf
    if scale == "pixel":
        return pygame.transform.scale(surf, size)
    k = sharp.factor((w, h), size) if scale == "sharp" else 0
    if k:
        small = np.frombuffer(pygame.image.tobytes(surf, "RGB"), np.uint8).reshape(h, w, 3)
        big = sharp.enlarge(small, k)
        # In the small surface's pixel format, so the scaled one blits on the fast path.
        surf = pygame.image.frombuffer(big.tobytes(), big.shape[1::-1], "RGB").convert(surf)
    return pygame.transform.smoothscale(surf, size)


class Screen:
    """`surface` is what the display shows; scenes draw through `rect`, `orient`, `fill` and `place`.
    `key` changes whenever a scene's layout would: the surface's size or the calibration's geometry."""

    def __init__(self, surface: pygame.Surface, calibration: Calibration | None = None,
                 background: tuple[int, int, int] = (0, 0, 0)):
        self.surface = surface
        self.calibration = calibration
        self.show_background = background
        self._layout()

    def _layout(self) -> None:
        calibration = self.calibration or IDENTITY
        self.geometry = calibration.profile.geometry
        size = self.surface.get_size()
        self.picture = frame_map.picture_rect(size, self.geometry)
        self.size = frame_map.frame_size(size, self.geometry)
        self.key = (size, self.geometry)
        self.orient = calibration.orient
        self.background = calibration.colour(self.show_background)

    def configure(self, *, surface: pygame.Surface | None = None, calibration: Calibration | None = None,
                  background: tuple[int, int, int] | None = None) -> None:
        """A new display surface (the F key), calibration (None: none) or show background."""
        self.surface = surface if surface is not None else self.surface
        self.calibration = calibration
        self.show_background = background if background is not None else self.show_background
        self._layout()

    @property
    def colour(self):
        """The calibration's colour table as a function on small images, or None (nothing to do)."""
        c = self.calibration
        return None if c is None or c.identity_colour else c.apply_colour

    def rect(self, rect: Rect) -> Rect:
        """A rect of the frame -> its rect on the display (same area, turned and shifted)."""
        return frame_map.screen_rect(rect, self.size, self.picture[:2], self.geometry)

    def fill(self, colour, rect: Rect | None = None) -> None:
        """Fill a rect of the frame; None: the whole picture, and black around it (no light from a
        projector outside the picture)."""
        if rect is not None:
            self.surface.fill(colour, self.rect(rect))
            return
        for margin in frame_map.margins(self.picture, self.surface.get_size()):
            self.surface.fill((0, 0, 0), margin)
        self.surface.fill(colour, self.picture)

    def clear(self) -> None:
        """The background over the whole picture."""
        self.fill(self.background)

    def place(self, small: pygame.Surface, rect: Rect, scale: str = "smooth") -> None:
        """Draw a small image into `rect` of the frame: turned while small, then one upscale
        (`scale_to`) into its place on the display."""
        x, y, w, h = self.rect(rect)
        self.surface.blit(scale_to(self.orient(small), (w, h), scale), (x, y))
