"""display.scale = "sharp": a small generated image enlarged with its edges kept, cheap enough for every frame.

Pure array maths; display/screen.py's `scale_to` does the last, smooth (bilinear) step to the screen:
1. calm: a 3x3 bilateral filter on the small image averages the GAN's pixel-level mottle (neighbours
   within about CALM_LEVELS of each other) and leaves its edges (neighbours far apart) alone;
2. enlarge by a whole factor, bilinear, to about ENLARGED_PX (the same look on any screen, and a
   bounded cost), leaving a smooth step of at least FINAL_STEP; an image magnified less than that
   (an 8x8 grid's tile at 1080p) is left to smooth, whose edges are then within a few screen pixels;
3. sharpen: an unsharp mask clamped to each pixel's neighbourhood in the enlarged image (half a
   generated pixel each side), which steepens edges without halos.
Every step mixes or clamps to neighbouring values, so no value leaves the small image's range.
Looks and costs: docs/player.md, benchmarks/scaling.py.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

CALM_LEVELS = 20.0   # bilateral range sigma, in 0..255 levels (distance between two RGB colours)
ENLARGED_PX = 256    # enlarged to about this size, whatever the screen (the cost stays bounded)
FINAL_STEP = 4       # the smooth step after enlarging, at least this many screen pixels per pixel
AMOUNT = 3           # unsharp mask: the enlarged image plus AMOUNT times its detail
NEIGHBOURS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
COLOUR = np.float32(-1 / (2 * CALM_LEVELS ** 2))   # the bilateral's exponent per squared colour distance


def calm(image: np.ndarray) -> np.ndarray:
    """[H, W, 3] uint8 -> the same, each pixel a weighted mean of its 3x3 neighbourhood: nearer in
    colour and place weighs more (a bilateral filter, spatial sigma 1 pixel)."""
    f = image.transpose(2, 0, 1).astype(np.float32)   # channel planes: a third faster than pixels
    _, h, w = f.shape
    padded = np.pad(f, ((0, 0), (1, 1), (1, 1)), mode="edge")
    total, weights = f.copy(), np.ones((h, w), np.float32)
    for dy, dx in NEIGHBOURS:
        near = padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
        d = near - f
        d *= d
        weight = np.exp((d[0] + d[1] + d[2]) * COLOUR - np.float32((dy * dy + dx * dx) / 2))
        total += near * weight
        weights += weight
    return (total / weights + 0.5).astype(np.uint8).transpose(1, 2, 0)


def local_range(image: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Per channel, the lowest and highest value within r pixels (a (2r+1)-square, edges repeated)."""
    h, w, _ = image.shape
    padded = np.pad(image, ((r, r), (r, r), (0, 0)), mode="edge")
    rows = [padded[i:i + h] for i in range(2 * r + 1)]
    lo, hi = np.minimum.reduce(rows), np.maximum.reduce(rows)
    return (np.minimum.reduce([lo[:, j:j + w] for j in range(2 * r + 1)]),
            np.maximum.reduce([hi[:, j:j + w] for j in range(2 * r + 1)]))


def factor(small: tuple[int, int], out: tuple[int, int]) -> int:
    """How many times `enlarge` makes a (w, h) image bound for `out` (w, h); 0: not at all, the image
    is magnified less than FINAL_STEP times."""
    magnified = min(out[0] / small[0], out[1] / small[1])
    return min(int(magnified // FINAL_STEP), max(1, round(ENLARGED_PX / max(small))))


def ahead(image: np.ndarray, box: tuple[int, int] | None) -> np.ndarray | None:
    """[H, W, 3] uint8 -> `enlarge`d as display.scale 'sharp' will draw it into a box of (w, h) frame
    pixels, made ahead by the generation worker; None where there is no box or it is magnified too
    little (the screen then works from the small image)."""
    k = 0 if box is None else factor((image.shape[1], image.shape[0]), box)
    return enlarge(image, k) if k else None


def enlarge(image: np.ndarray, k: int) -> np.ndarray:
    """[H, W, 3] uint8 -> calmed, enlarged k times (k >= 1) and sharpened, ready for the smooth step."""
    picture = Image.fromarray(calm(image))
    if k > 1:
        picture = picture.resize((picture.width * k, picture.height * k), Image.Resampling.BILINEAR)
    big = np.asarray(picture)
    blurred = np.asarray(picture.filter(ImageFilter.BoxBlur(k))).astype(np.int16)
    sharpened = big + AMOUNT * (big.astype(np.int16) - blurred)
    lo, hi = local_range(big, max(1, k // 2))
    return np.clip(sharpened, lo, hi).astype(np.uint8)
