"""What counts as a picture with nothing to see: one rule for the player's health (player/content.py,
the picture on the wall) and the loader's probe (model/load.py, a model's first images), so a model that
passes `aimoji check` and `aimoji-train adopt` does not go blank on the wall."""

from __future__ import annotations

import numpy as np

FLAT_STD = 2.0      # below this spread (of 255) the picture is one flat colour: nothing to see
DARK_MEAN = 8.0     # below this mean level (of 255) the picture is black


def is_flat(image: np.ndarray) -> bool:
    """uint8 pixels (any shape) that are one flat colour."""
    return float(image.std()) < FLAT_STD


def is_dark(image: np.ndarray) -> bool:
    """uint8 pixels (any shape) that are black."""
    return float(image.mean()) < DARK_MEAN
