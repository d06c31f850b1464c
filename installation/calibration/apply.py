"""A calibration profile ready to apply: its colour table on small images and colours, its turn and
mirror on small surfaces. Thin pygame shell over calibration/profile.py; the player's Screen
(display/screen.py) maps each scene's rects through the profile's geometry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygame

from installation.calibration import profile as cal
from installation.calibration.panel import dimmed_lut


class Calibration:
    """`apply_colour(uint8 HxWx3)` -> uint8 HxWx3, `colour(rgb)` and `orient(surface)`; identity costs nothing.
    `level` (0..1): panel care's brightness, folded into the same colour table."""

    def __init__(self, profile: cal.Profile = cal.IDENTITY, level: float = 1.0):
        self.profile, self.level = profile, level
        self.lut = dimmed_lut(cal.colour_lut(profile.colour), level)
        self.identity_colour = cal.is_identity_lut(self.lut)
        self.identity_geometry = cal.is_identity_geometry(profile.geometry)

    @classmethod
    def load(cls, path: Path | str) -> Calibration:
        """Raises calibration.ProfileError with a one-line message naming the file."""
        return cls(cal.load_profile(path))

    def at_level(self, level: float) -> Calibration:
        """The same profile with its colour table dimmed to `level` (a table of 768 entries: microseconds)."""
        return self if level == self.level else Calibration(self.profile, level)

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
