"""The status page's live thumbnail: the panel as presented (the whole wall, calibration, dimming and
blackout included, its aspect kept), as PNG.

The render loop only publishes the small copy it already made for health, four times a second
(Player.picture); the PNG is made here, on the status page's thread, when a client asks, and kept until
the picture changes, so a dozen phones watching cost one encode per picture.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import numpy as np
from PIL import Image


def encode(image: np.ndarray) -> bytes:
    """[H, W, 3] uint8 -> PNG bytes."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), "RGB").save(out, "PNG", compress_level=1)
    return out.getvalue()


class Thumbnails:
    """picture(): the panel as an [h, w, 3] array, or None before the player first looked (Player.picture)."""

    def __init__(self, picture: Callable[[], np.ndarray | None]):
        self.picture = picture
        self._lock = threading.Lock()
        self._for: np.ndarray | None = None   # the picture the cached PNG was made of (held: its id stays unique)
        self._png: bytes | None = None
        self.encoded = 0

    def png(self) -> bytes | None:
        """The PNG of the panel now, or None when there is no picture yet."""
        current = self.picture()
        if current is None:
            return None
        with self._lock:
            if self._for is not current:
                self._png, self._for = encode(current), current
                self.encoded += 1
            return self._png
