"""The player's calibration hook: a profile applied to pictures (colour LUT) and to each blit of a
scene's frame (geometry). Thin pygame shell over installation/calibration/profile.py and scenes/frame_map.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner in the technician's terminal
import pygame  # noqa: E402

from installation.calibration import profile as cal
from installation.calibration import frame_map


class Calibration:
    """`apply_colour(uint8 HxWx3)` -> uint8 HxWx3 and `place(surface, screen)`; identity costs nothing."""

    def __init__(self, profile: cal.Profile = cal.IDENTITY):
        self.profile = profile
        self.lut = cal.colour_lut(profile.colour)
        self.identity_colour = cal.is_identity_lut(self.lut)
        self.identity_geometry = cal.is_identity_geometry(profile.geometry)

    @classmethod
    def load(cls, path: Path | str) -> Calibration:
        """Raises calibration.ProfileError with a one-line message naming the file."""
        return cls(cal.load_profile(path))

    def apply_colour(self, image: np.ndarray) -> np.ndarray:
        """Apply to the small generated image before upscaling: microseconds instead of a 1080p pass."""
        return image if self.identity_colour else cal.apply_lut(image, self.lut)

    def colour(self, rgb: tuple[int, int, int]) -> tuple[int, int, int]:
        """One colour (e.g. the show's background) through the same table."""
        return tuple(int(self.lut[c, rgb[c]]) for c in range(3))

    def orient(self, surface: pygame.Surface) -> pygame.Surface:
        """The surface rotated and mirrored as the profile says (cheap on a small image)."""
        g = self.profile.geometry
        if g.rotation_deg:
            surface = pygame.transform.rotate(surface, -g.rotation_deg)  # pygame turns counter-clockwise
        if g.mirror_h or g.mirror_v:
            surface = pygame.transform.flip(surface, g.mirror_h, g.mirror_v)
        return surface

    def blit_scaled(self, small: pygame.Surface, rect: tuple[int, int, int, int], frame_size: tuple[int, int],
                    screen: pygame.Surface, smooth: bool = True) -> None:
        """Draw `small` scaled into `rect` of a frame_size frame, straight to its calibrated place on
        the screen: orient the small image, then one upscale. The fast path for the generated images
        (benchmarks/calibration.py); fill the screen with calib.colour(background) first."""
        x, y, w, h = cal.map_rect(rect, *frame_size, *screen.get_size(), self.profile.geometry)
        out = self.orient(small)
        if (w, h) != out.get_size():
            out = (pygame.transform.smoothscale if smooth else pygame.transform.scale)(out, (w, h))
        screen.blit(out, (x, y))

    def place(self, surface: pygame.Surface, screen: pygame.Surface, smooth: bool = True) -> None:
        """Blit `surface` (the composed frame) onto `screen` rotated, mirrored, scaled and shifted;
        the screen outside the picture is black (no light from a projector). Costs 1.5-10 ms at 1080p
        when the geometry is not identity: prefer blit_scaled for the big generated images."""
        size = screen.get_size()
        if self.identity_geometry and surface.get_size() == size:
            screen.blit(surface, (0, 0))
            return
        out = self.orient(surface)
        x, y, w, h = cal.placement(*surface.get_size(), *size, self.profile.geometry)
        if (w, h) != out.get_size():
            out = (pygame.transform.smoothscale if smooth else pygame.transform.scale)(out, (w, h))
        screen.fill((0, 0, 0))
        screen.blit(out, (x, y))


class FrameBlit:
    """A scene's frame drawn straight onto the screen through a calibration's geometry: the scene lays
    out on `size` (frame_map.frame_size), maps each rect with `rect`, turns each small image with
    `orient` before its one upscale, and fills with `fill`. No full-frame rotate, mirror or rescale."""

    def __init__(self, calibration: Calibration, screen: pygame.Surface):
        self.screen, self.geometry = screen, calibration.profile.geometry
        self.orient = calibration.orient
        self.picture = frame_map.picture_rect(screen.get_size(), self.geometry)
        self.size = frame_map.frame_size(screen.get_size(), self.geometry)
        self.key = (screen.get_size(), self.geometry)   # a view lays out again when this changes

    def rect(self, rect: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A rect of the frame -> its rect on the screen (same area, turned and shifted)."""
        return frame_map.screen_rect(rect, self.size, self.picture[:2], self.geometry)

    def fill(self, colour, rect: tuple[int, int, int, int] | None = None) -> None:
        """Fill a rect of the frame; None: the whole picture, and black around it (no light from a
        projector outside the picture)."""
        if rect is not None:
            self.screen.fill(colour, self.rect(rect))
            return
        for margin in frame_map.margins(self.picture, self.screen.get_size()):
            self.screen.fill((0, 0, 0), margin)
        self.screen.fill(colour, self.picture)
