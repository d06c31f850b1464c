"""Calibration test patterns as uint8 [H, W, 3] arrays (pure numpy; the UI adds the text labels).

Each generator takes the screen size in pixels. `PATTERNS` lists them in the order the UI shows them.
"""

from __future__ import annotations

import numpy as np

WHITE, BLACK = (255, 255, 255), (0, 0, 0)
# 75 % SMPTE/EBU bars: white, yellow, cyan, green, magenta, red, blue.
BARS_75 = [(191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191), (191, 0, 0), (0, 0, 191)]
BARS_100 = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)]
GAMMAS = (1.8, 2.0, 2.2, 2.4, 2.6)  # the patch that vanishes into the striped background is the screen's
ACTION_SAFE, TITLE_SAFE = 0.035, 0.05  # margins per side, fractions of width/height (EBU R 95)


def _canvas(width: int, height: int, colour=BLACK) -> np.ndarray:
    img = np.empty((height, width, 3), np.uint8)
    img[:] = colour
    return img


def grid_cell_px(width: int, height: int) -> int:
    """Square cells: 16 across the short side, at least 8 px."""
    return max(8, min(width, height) // 16)


def grid(width: int, height: int) -> np.ndarray:
    """Crosshatch for alignment, focus and aspect: square cells centred on the screen, a circle that
    must look round, a 3 px centre cross and a 1 px frame on the outermost pixels."""
    img = _canvas(width, height)
    cell = grid_cell_px(width, height)
    cx, cy = width // 2, height // 2
    img[:, (np.arange(width) - cx) % cell == 0] = WHITE
    img[(np.arange(height) - cy) % cell == 0, :] = WHITE
    yy, xx = np.ogrid[:height, :width]
    r = min(width, height) * 0.45
    dist = np.sqrt((xx - cx + 0.5) ** 2 + (yy - cy + 0.5) ** 2)
    img[np.abs(dist - r) < 1.0] = (255, 255, 0)
    img[cy - 1:cy + 2, :] = (255, 0, 0)
    img[:, cx - 1:cx + 2] = (255, 0, 0)
    _frame(img, 0, WHITE)
    return img


def _frame(img: np.ndarray, inset: int, colour, thickness: int = 1) -> None:
    h, w = img.shape[:2]
    t = thickness
    img[inset:inset + t, inset:w - inset] = colour
    img[h - inset - t:h - inset, inset:w - inset] = colour
    img[inset:h - inset, inset:inset + t] = colour
    img[inset:h - inset, w - inset - t:w - inset] = colour


def _columns(width: int, n: int) -> list[tuple[int, int]]:
    """n column spans that tile the width exactly (the last ones take the remainder)."""
    edges = [round(i * width / n) for i in range(n + 1)]
    return list(zip(edges[:-1], edges[1:]))


def colour_bars(width: int, height: int) -> np.ndarray:
    """Top two thirds: 75 % bars (saturation and hue); bottom third: 100 % R, G, B, white, black."""
    img = _canvas(width, height)
    split = height * 2 // 3
    for (x0, x1), colour in zip(_columns(width, len(BARS_75)), BARS_75):
        img[:split, x0:x1] = colour
    for (x0, x1), colour in zip(_columns(width, len(BARS_100)), BARS_100):
        img[split:, x0:x1] = colour
    return img


def grey_ramp(width: int, height: int) -> np.ndarray:
    """Bands top to bottom: a smooth 0..255 ramp (banding), 16 steps (0, 17, ..., 255), and near-black
    0..28 / near-white 227..255 steps of 4 (crushed shadows or clipped highlights merge)."""
    img = _canvas(width, height)
    b1, b2 = height * 2 // 5, height * 4 // 5
    ramp = np.floor(np.arange(width) * 255.0 / max(1, width - 1) + 0.5).astype(np.uint8)
    img[:b1] = ramp[None, :, None]
    for (x0, x1), level in zip(_columns(width, 16), range(0, 256, 17)):
        img[b1:b2, x0:x1] = level
    ends = list(range(0, 32, 4)) + list(range(227, 256, 4))
    for (x0, x1), level in zip(_columns(width, len(ends)), ends):
        img[b2:, x0:x1] = level
    return img


def gamma_patch_level(gamma: float) -> int:
    """The solid grey that looks as bright as 50 % black/white stripes on a screen of this gamma."""
    return int(np.floor(255 * 0.5 ** (1 / gamma) + 0.5))


def gamma_patch_rects(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of one patch per GAMMAS entry, in a row across the middle."""
    n = len(GAMMAS)
    size = min(height // 3, width // (n + 1))
    gap = (width - n * size) // (n + 1)
    y = (height - size) // 2
    return [(gap + i * (size + gap), y, size, size) for i in range(n)]


def gamma_check(width: int, height: int) -> np.ndarray:
    """1-pixel black/white stripes (50 % light) with solid patches for gamma 1.8..2.6; look from a
    few metres: the patch that disappears is the screen's gamma (labels added by the UI)."""
    img = _canvas(width, height)
    img[0::2] = WHITE
    for (x, y, w, h), gamma in zip(gamma_patch_rects(width, height), GAMMAS):
        img[y:y + h, x:x + w] = gamma_patch_level(gamma)
    return img


def safe_area(width: int, height: int) -> np.ndarray:
    """Overscan check: a white frame on the outermost pixels (cut off = the screen overscans), the
    action-safe frame (3.5 % in, green) and title-safe frame (5 % in, yellow), and a centre cross."""
    img = _canvas(width, height, (32, 32, 32))
    _frame(img, 0, WHITE, thickness=2)
    for margin, colour in ((ACTION_SAFE, (0, 255, 0)), (TITLE_SAFE, (255, 255, 0))):
        mx, my = round(width * margin), round(height * margin)
        img[my, mx:width - mx] = colour
        img[height - 1 - my, mx:width - mx] = colour
        img[my:height - my, mx] = colour
        img[my:height - my, width - 1 - mx] = colour
    cx, cy, arm = width // 2, height // 2, min(width, height) // 20
    img[cy, cx - arm:cx + arm + 1] = WHITE
    img[cy - arm:cy + arm + 1, cx] = WHITE
    return img


def fit_image(image: np.ndarray, width: int, height: int, background=(255, 255, 255)) -> np.ndarray:
    """A small square image blown up by the largest whole factor that fits 90 % of the screen,
    nearest neighbour (every generated pixel stays visible), centred on the background."""
    h, w = image.shape[:2]
    k = max(1, int(min(width, height) * 0.9) // max(h, w))
    big = np.repeat(np.repeat(image, k, axis=0), k, axis=1)
    img = _canvas(width, height, background)
    y, x = (height - big.shape[0]) // 2, (width - big.shape[1]) // 2
    img[y:y + big.shape[0], x:x + big.shape[1]] = big[:height, :width]
    return img


PATTERNS = {
    "grid": grid,
    "bars": colour_bars,
    "ramp": grey_ramp,
    "gamma": gamma_check,
    "safe area": safe_area,
}
