"""What a screendump shows, decided from its pixels alone (pure numpy, no QEMU).

A dump is an (H, W, 3) uint8 array. The checks are deliberately coarse: the question is "are emoji on
the wall", "is it black", "is it dim", not whether the picture is pretty; people look at the PNGs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLACK_MAX = 12         # a pixel no brighter than this (0-255) counts as black
LIVE_SHARE = 0.02      # at least 2 % of the screen must be lit for "something is shown"
FLAT_STD = 6.0         # a lit screen with less spread than this is a flat colour, not pictures
MOVED_MEAN = 0.5       # mean absolute change (0-255) between two dumps that counts as motion


def read_ppm(data: bytes) -> np.ndarray:
    """Decode a binary PPM (P6, maxval 255): what QEMU's screendump writes."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic != b"P6" or maxval != 255:
        raise ValueError(f"not an 8-bit binary PPM (magic {magic!r}, maxval {maxval})")
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height * 3, offset=pos + 1)
    return pixels.reshape(height, width, 3)


def luminance(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


@dataclass(frozen=True)
class Look:
    """Figures of one dump, and of its change from the one before."""
    lit_share: float     # share of pixels brighter than BLACK_MAX
    std: float           # spread of luminance over the lit screen
    mean: float          # mean luminance, 0-255
    change: float        # mean absolute difference from the previous dump (0 for the first)

    def __str__(self) -> str:
        return (f"lit {self.lit_share:.1%}, std {self.std:.1f}, mean {self.mean:.1f}, "
                f"change {self.change:.2f}")


def look(img: np.ndarray, previous: np.ndarray | None = None) -> Look:
    lum = luminance(img)
    change = 0.0
    if previous is not None and previous.shape == img.shape:
        change = float(np.abs(img.astype(np.int16) - previous.astype(np.int16)).mean())
    return Look(float((lum > BLACK_MAX).mean()), float(lum.std()), float(lum.mean()), change)


def emoji_problem(first: np.ndarray, second: np.ndarray) -> str | None:
    """None when two dumps ~2 s apart show live pictures: lit, not flat, and changing."""
    a, b = look(first), look(second, first)
    if b.lit_share < LIVE_SHARE:
        return f"the screen is black ({b})"
    if b.std < FLAT_STD:
        return f"the screen is one flat colour ({b})"
    if b.change < MOVED_MEAN:
        return f"the picture is frozen ({b})"
    if a.lit_share < LIVE_SHARE:
        return f"the first dump was black ({a})"
    return None


def black_problem(img: np.ndarray) -> str | None:
    """None when the whole screen is black (outside hours, action = "black")."""
    lum = luminance(img)
    if lum.max() > BLACK_MAX:
        return f"not black: {(lum > BLACK_MAX).mean():.2%} of pixels lit, brightest {lum.max():.0f}"
    return None


def dim_problem(first: np.ndarray, second: np.ndarray, open_mean: float) -> str | None:
    """None when the screen shows moving pictures at well under the brightness of open hours."""
    b = look(second, first)
    if b.lit_share == 0 or b.change == 0:
        return f"not a dim walk: nothing lit or nothing moving ({b})"
    if b.mean > 0.6 * open_mean:
        return f"not dim: mean {b.mean:.1f} against {open_mean:.1f} when open"
    return None


SEAM_RATIO = 2.5       # the step across a seam may be this many times the picture's own change over as many pixels
SEAM_FLOOR = 6.0       # ... or this much (0-255), for pictures flat at the seam
SEAM_CONTENT = 0.25    # share of the seam's rows that must show something other than the background
BACKGROUND_NEAR = 40   # a pixel within this of the background (each channel) counts as background


@dataclass(frozen=True)
class Seam:
    """The columns each side of the line where two screens' dumps meet."""
    step: float          # mean absolute difference (0-255) between left's last column and right's first
    texture: float       # the same measure inside each screen, between its edge column and one gap_px in
    content: float       # share of rows where either edge column is not the background

    @property
    def limit(self) -> float:
        return max(SEAM_FLOOR, SEAM_RATIO * self.texture)

    def __str__(self) -> str:
        return (f"step {self.step:.1f} across the seam, limit {self.limit:.1f} (the picture's own change "
                f"{self.texture:.1f}), content {self.content:.0%}")


def stitch(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Two screens' dumps side by side, as the wall hangs them."""
    if left.shape[0] != right.shape[0]:
        raise ValueError(f"screens of different heights: {left.shape[0]} and {right.shape[0]} rows")
    return np.hstack([left, right])


def seam(left: np.ndarray, right: np.ndarray, background: tuple[int, int, int], gap_px: int) -> Seam:
    """gap_px: how far apart the two edge columns lie on the picture (the bezels hide the pixels between),
    in screen pixels."""
    a, b = left[:, -1].astype(np.int16), right[:, 0].astype(np.int16)
    inner_a, inner_b = left[:, -1 - gap_px].astype(np.int16), right[:, gap_px].astype(np.int16)
    texture = (np.abs(a - inner_a).mean() + np.abs(b - inner_b).mean()) / 2
    bg = np.array(background, np.int16)
    shown = (np.abs(a - bg).max(axis=1) > BACKGROUND_NEAR) | (np.abs(b - bg).max(axis=1) > BACKGROUND_NEAR)
    return Seam(float(np.abs(a - b).mean()), float(texture), float(shown.mean()))


def seam_problem(left: np.ndarray, right: np.ndarray, background: tuple[int, int, int], gap_px: int) -> str | None:
    """None when one picture continues across the seam: the step from one screen's edge to the other's is
    no bigger than about the picture's own change over the same distance, and is not just background
    (two screens each showing the whole picture meet on background)."""
    s = seam(left, right, background, gap_px)
    if s.content < SEAM_CONTENT:
        return f"nothing but background at the seam ({s})"
    if s.step > s.limit:
        return f"the picture does not continue across the seam ({s})"
    return None
