"""Image grids: many small images tiled into one picture, and the one PNG encoder for pictures.

Sample grids, the dataset's contact sheet, the mood sheets, the evaluation report, video frames and the
map's atlases are all `grid`; the pictures the trainer writes go through `png_bytes` / `save_png`.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image

from installation.atomic import write_bytes_atomic

WHITE = (255, 255, 255)


def grid_shape(count: int) -> tuple[int, int]:
    """(rows, columns) of the most nearly square grid with at least `count` cells, wider than tall."""
    columns = max(1, math.ceil(math.sqrt(count)))
    return max(1, math.ceil(count / columns)), columns


def grid(images: np.ndarray, columns: int | None = None, rows: int | None = None, pad_px: int = 2,
         background: tuple[int, int, int] = WHITE) -> np.ndarray:
    """uint8 [n, H, W, 3] -> one uint8 [rows*(H+pad)+pad, columns*(W+pad)+pad, 3] picture, row by row,
    with `pad_px` of background around every cell; cells past n stay background. `columns` defaults to
    the near-square grid_shape, `rows` to as many as n needs."""
    n, h, w, _ = images.shape
    columns = columns or grid_shape(n)[1]
    rows = rows or max(1, math.ceil(n / columns))
    cell_h, cell_w = h + pad_px, w + pad_px
    cells = np.empty((rows * columns, cell_h, cell_w, 3), np.uint8)
    cells[:] = background
    cells[:n, :h, :w] = images
    # [rows, columns, cell_h, cell_w, 3] -> rows of cells side by side
    tiled = cells.reshape(rows, columns, cell_h, cell_w, 3).transpose(0, 2, 1, 3, 4)
    out = np.empty((rows * cell_h + pad_px, columns * cell_w + pad_px, 3), np.uint8)
    out[:] = background
    out[pad_px:, pad_px:] = tiled.reshape(rows * cell_h, columns * cell_w, 3)
    return out


def fit_cells(images: np.ndarray | list[np.ndarray], cell_px: int) -> np.ndarray:
    """uint8 images [H, W, 3] (one size or several) -> [n, cell_px, cell_px, 3], resized with Lanczos
    (sheets a person looks at)."""
    if len(images) == 0:
        return np.zeros((0, cell_px, cell_px, 3), np.uint8)
    return np.stack([np.asarray(Image.fromarray(img).resize((cell_px, cell_px), Image.Resampling.LANCZOS))
                     for img in images])


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """uint8 [H, W, 3] as PNG bytes, each pixel repeated `scale` times each way. No colour profile, gamma
    or text chunks: a browser must show these exact pixels, and rebuilds give the same bytes."""
    pil = Image.fromarray(image)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def save_png(image: np.ndarray, path: Path, scale: int = 1) -> None:
    """Write png_bytes(image, scale) to `path` atomically, making its folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(Path(path), png_bytes(image, scale))
