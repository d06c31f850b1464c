"""One PNG showing every dataset image at 1:1 in a grid, in manifest order, to look at the data."""

from __future__ import annotations

import numpy as np
from PIL import Image

from trainer.image_grid import grid

GAP_PX = 2
GAP_RGB = (200, 200, 200)   # grey lines, so white backgrounds of neighbours stay apart


def contact_sheet(images: list[Image.Image]) -> np.ndarray:
    """The images (all one size) in a near-square grid with grey gaps, as uint8 [H, W, 3]."""
    return grid(np.stack([np.asarray(img) for img in images]), pad_px=GAP_PX, background=GAP_RGB)
