"""Drop exact copies (same pixels) and near copies (same drawing, re-exported or re-rendered).

Near copy = DCT perceptual hash (64 bits, grey levels) within PHASH_MAX_BITS bits AND no pixel of
the 16x16 colour thumbnails more than COLOUR_MAX_DIFF apart. The hash alone is too coarse: it
merges the five skin tones of a person and, among Google's blob faces, a frown with a smile (2 bits
apart). A mean difference misses that too (a mouth is a small area); the largest local difference
does not. Measured on the default sources: re-renders differ by at most 4, tones and expressions
by 16 or more.
"""

from __future__ import annotations

import hashlib

import imagehash
import numpy as np
from PIL import Image

PHASH_MAX_BITS = 6      # of 64 bits
COLOUR_MAX_DIFF = 12    # largest |difference| of any channel of any 16x16 thumbnail pixel (0-255)
THUMB_PX = 16


def pixel_sha256(img: Image.Image) -> str:
    return hashlib.sha256(img.tobytes()).hexdigest()


def phash64(img: Image.Image) -> int:
    bits = imagehash.phash(img).hash.flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def colour_thumb(img: Image.Image) -> np.ndarray:
    return np.asarray(img.resize((THUMB_PX, THUMB_PX), Image.BOX), dtype=np.int16).reshape(-1)


class Deduper:
    """Feed images in a fixed order; each is new, or a copy of one kept earlier (by index)."""

    def __init__(self, max_bits: int = PHASH_MAX_BITS, max_diff: int = COLOUR_MAX_DIFF):
        self.max_bits, self.max_diff = max_bits, max_diff
        self._sha: dict[str, int] = {}
        self._hashes = np.zeros(1024, dtype=np.uint64)
        self._thumbs = np.zeros((1024, THUMB_PX * THUMB_PX * 3), dtype=np.int16)
        self.kept = 0

    def check(self, img: Image.Image) -> tuple[str, int]:
        """("new", index it is kept as) or ("exact" | "near", index of the kept copy)."""
        sha = pixel_sha256(img)
        if sha in self._sha:
            return "exact", self._sha[sha]
        h, thumb = np.uint64(phash64(img)), colour_thumb(img)
        n = self.kept
        if n:
            bits = np.bitwise_count(self._hashes[:n] ^ h)
            for i in np.flatnonzero(bits <= self.max_bits):
                if np.abs(self._thumbs[i] - thumb).max() <= self.max_diff:
                    return "near", int(i)
        if n == len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.zeros_like(self._hashes)])
            self._thumbs = np.concatenate([self._thumbs, np.zeros_like(self._thumbs)])
        self._hashes[n], self._thumbs[n] = h, thumb
        self._sha[sha] = n
        self.kept += 1
        return "new", n
