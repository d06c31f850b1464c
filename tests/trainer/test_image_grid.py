"""trainer/image_grid.py: the one grid of small images (sample grids, contact and mood sheets, video frames,
map atlases) and the one PNG writer."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from trainer.image_grid import fit_cells, grid, grid_shape, png_bytes, save_png


def numbered(n: int, px: int = 2) -> np.ndarray:
    """n flat images, image i filled with the value i + 1 (0 stays free for backgrounds)."""
    return np.stack([np.full((px, px, 3), i + 1, np.uint8) for i in range(n)])


@pytest.mark.parametrize("count, shape", [
    (0, (1, 1)), (1, (1, 1)), (2, (1, 2)), (4, (2, 2)), (5, (2, 3)), (16, (4, 4)), (17, (4, 5)),
    (64, (8, 8)), (3085, (56, 56)),
])
def test_grid_shape_is_near_square_and_wider_than_tall(count, shape):
    assert grid_shape(count) == shape


@pytest.mark.parametrize("n, columns, rows, pad, size, cells", [
    # (rows, columns) of cell values read at each cell's top-left pixel; 0 = background
    (5, None, None, 0, (4, 6), [[1, 2, 3], [4, 5, 0]]),    # near-square by default, row by row
    (5, 3, 2, 0, (4, 6), [[1, 2, 3], [4, 5, 0]]),
    (23, 10, 3, 0, (6, 20), [list(range(1, 11)), list(range(11, 21)), [21, 22, 23] + [0] * 7]),
    (4, None, None, 2, (10, 10), [[1, 2], [3, 4]]),        # 2 px around every cell: 2*(2+2)+2
    (3, 3, 4, 1, (13, 10), [[1, 2, 3], [0, 0, 0], [0, 0, 0], [0, 0, 0]]),  # more rows than needed
])
def test_grid_puts_image_i_at_its_row_and_column(n, columns, rows, pad, size, cells):
    out = grid(numbered(n), columns=columns, rows=rows, pad_px=pad, background=(0, 0, 0))
    assert out.shape == (*size, 3) and out.dtype == np.uint8
    step = 2 + pad
    assert [[int(out[pad + r * step, pad + c * step, 0]) for c in range(len(cells[0]))]
            for r in range(len(cells))] == cells


def test_grid_fills_gaps_and_empty_cells_with_the_background():
    out = grid(numbered(3), pad_px=2, background=(200, 100, 50))
    assert out.shape == (10, 10, 3)
    assert out[0:2].tolist() == [[[200, 100, 50]] * 10] * 2          # the top gap
    assert (out[6:8, 6:8] == (200, 100, 50)).all()                    # the fourth, empty cell
    assert (out[2:4, 2:4] == 1).all() and (out[6:8, 2:4] == 3).all()


def test_fit_cells_resizes_every_image():
    images = numbered(3, px=8)
    cells = fit_cells(images, 16)
    assert cells.shape == (3, 16, 16, 3) and (cells[2] == 3).all()  # a flat image stays flat
    assert fit_cells(images[:0], 16).shape == (0, 16, 16, 3)


def test_save_png_writes_the_exact_pixels_scaled(tmp_path):
    picture = grid(numbered(4), pad_px=1)
    save_png(picture, tmp_path / "deep" / "sheet.png", scale=3)
    back = np.asarray(Image.open(tmp_path / "deep" / "sheet.png"))
    assert back.shape == (picture.shape[0] * 3, picture.shape[1] * 3, 3)
    assert np.array_equal(back[::3, ::3], picture)
    assert png_bytes(picture) == png_bytes(picture)  # no time stamps: rebuilds are identical
    assert not [p for p in (tmp_path / "deep").iterdir() if p.name.startswith(".")]  # no temp file left
