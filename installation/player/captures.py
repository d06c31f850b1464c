"""The S key's PNGs, written beside the render loop: the loop hands over copies and goes on; this thread
encodes, writes atomically and keeps the folder to its newest KEEP captures. A full or read-only disk
is one log line, never an exception in the render loop."""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

import numpy as np
import pygame

from installation.display.screen import Screen, write_png

KEEP = 200          # captures kept in the folder (pairs of small + screen PNGs count as two files)
PATTERN = "aimoji-*.png"

log = logging.getLogger("aimoji.player")


def rotate(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` captures (by name: they are timestamped); returns the deleted."""
    old = sorted(folder.glob(PATTERN))[:-keep] if keep else sorted(folder.glob(PATTERN))
    for path in old:
        path.unlink(missing_ok=True)
    return old


class CaptureWriter(threading.Thread):
    """`submit()` from the render loop returns at once; a capture asked for while one is being written
    is dropped with one log line (a held-down S key must not queue up seconds of PNG encoding)."""

    def __init__(self, folder: Path, keep: int = KEEP):
        super().__init__(name="aimoji-captures", daemon=True)
        self.folder, self.keep = Path(folder), keep
        self._jobs: queue.Queue = queue.Queue(maxsize=1)
        self.start()

    def capture(self, screen: Screen, view) -> bool:
        """The S key: the emoji on the wall at generated resolution (the view's image) and as shown (a
        copy of the screen), handed to this thread; the render loop only copies."""
        image = view.current_image() if view is not None else None
        stamp = time.strftime("%Y%m%d-%H%M%S-") + f"{int(time.time() * 1000) % 1000:03d}"
        return self.submit(stamp, screen.snapshot().surface, None if image is None else image.copy())

    def submit(self, stamp: str, screen: pygame.Surface, small: np.ndarray | None) -> bool:
        """screen: a copy of the display surface; small: the generated image(s) on it, or None."""
        try:
            self._jobs.put_nowait((stamp, screen, small))
            return True
        except queue.Full:
            log.warning("capture skipped: the previous one is still being written")
            return False

    def run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            stamp, screen, small = job
            try:
                saved = []
                if small is not None:
                    surface = pygame.image.frombuffer(small.tobytes(), small.shape[1::-1], "RGB")
                    saved.append(write_png(surface, self.folder / f"aimoji-{stamp}-small.png"))
                saved.append(write_png(screen, self.folder / f"aimoji-{stamp}-screen.png"))
                rotate(self.folder, self.keep)
                log.info("saved %s", ", ".join(str(p) for p in saved))
            except (OSError, pygame.error) as exc:
                log.error("capture not saved in %s: %s", self.folder, exc)

    def close(self, timeout_s: float = 2.0) -> None:
        try:
            self._jobs.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self.join(timeout_s)
