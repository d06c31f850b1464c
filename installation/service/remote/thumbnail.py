"""The status page's live thumbnail: the small generated image the player has on the wall, as PNG.

The render loop only publishes a reference to the image it already looks at for health, four times a
second (Player.picture); the PNG is made here, on the status page's thread, when a client asks, and
kept until the picture changes, so a dozen phones watching cost one encode per picture.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import numpy as np
from PIL import Image


def encode(image: np.ndarray, brightness: float = 1.0) -> bytes:
    """[H, W, 3] uint8 -> PNG bytes, darkened to `brightness` (a blackout fading, a dim walk)."""
    if brightness < 1.0:
        image = (image.astype(np.float32) * max(0.0, brightness)).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), "RGB").save(out, "PNG", compress_level=1)
    return out.getvalue()


class Thumbnails:
    """picture(): (image, brightness) or None when nothing is on the wall (Player.picture)."""

    def __init__(self, picture: Callable[[], tuple | None]):
        self.picture = picture
        self._lock = threading.Lock()
        self._for: tuple | None = None   # the picture the cached PNG was made of (held: its id stays unique)
        self._png: bytes | None = None
        self.encoded = 0

    def png(self) -> bytes | None:
        """The PNG of the picture on the wall now, or None when there is none."""
        current = self.picture()
        if current is None:
            return None
        with self._lock:
            if self._for is None or self._for[0] is not current[0] or self._for[1] != current[1]:
                self._png, self._for = encode(*current), current
                self.encoded += 1
            return self._png
