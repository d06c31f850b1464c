"""One PNG showing every dataset image at 1:1 in a grid, in manifest order, to look at the data."""

from __future__ import annotations

import math

from PIL import Image

GAP_PX = 2
GAP_RGB = (200, 200, 200)   # grey lines, so white backgrounds of neighbours stay apart


def grid_shape(count: int) -> tuple[int, int]:
    """(columns, rows) of a near-square grid holding count images."""
    cols = max(1, math.ceil(math.sqrt(count)))
    return cols, max(1, math.ceil(count / cols))


def contact_sheet(images: list[Image.Image], size: int) -> Image.Image:
    cols, rows = grid_shape(len(images))
    step = size + GAP_PX
    sheet = Image.new("RGB", (cols * step + GAP_PX, rows * step + GAP_PX), GAP_RGB)
    for i, img in enumerate(images):
        row, col = divmod(i, cols)
        sheet.paste(img, (GAP_PX + col * step, GAP_PX + row * step))
    return sheet
