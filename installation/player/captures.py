"""The S key's PNGs, written beside the render loop: the loop hands over copies and goes on; this thread
encodes each to a hidden temp file, reads it back, fsyncs and renames it, and only then keeps the folder
to its newest KEEP captures. A full or read-only disk is one log line and leaves the folder as it was
(pygame writes a 0-byte PNG on a full disk without a word, so nothing is believed until it is read back)."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pygame
from PIL import Image

from installation.atomic import fsync_dir, temp_path_for
from installation.display.screen import CalibratedScreen

KEEP = 200          # captures kept in the folder (pairs of small + screen PNGs count as two files)
PATTERN = "aimoji-*.png"
PNG_END = b"\0\0\0\0IEND\xaeB`\x82"   # the IEND chunk, the same in every PNG: length 0, name, CRC

log = logging.getLogger("aimoji.player")


def rotate(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` captures (by name: they are timestamped); returns the deleted."""
    old = sorted(folder.glob(PATTERN))[:-keep] if keep else sorted(folder.glob(PATTERN))
    for path in old:
        path.unlink(missing_ok=True)
    return old


def check_png(path: Path, size: tuple[int, int]) -> None:
    """OSError unless `path` is a whole PNG of `size` pixels: decoding it finds a 0-byte or cut-off file.
    The error says how much room its disk has left, the usual reason."""
    try:
        with Image.open(path) as image:
            if image.format != "PNG" or image.size != size:
                raise OSError(f"reads back as {image.format} {image.size[0]}x{image.size[1]}")
            image.verify()   # every chunk's CRC, up to IEND
        with Image.open(path) as image:
            image.load()     # and the pixels decode
        with open(path, "rb") as fh:   # PIL stops at IEND's name: its CRC, the last 4 bytes, is ours to see
            fh.seek(-len(PNG_END), os.SEEK_END)
            if fh.read() != PNG_END:
                raise OSError("it does not end with an IEND chunk")
    # PIL says "damaged" with OSError, SyntaxError (a bad CRC), EOFError or struct.error, by where the cut is
    except (OSError, SyntaxError, EOFError, struct.error) as exc:
        free_kb = shutil.disk_usage(path.parent).free // 1024
        raise OSError(f"the PNG was not written whole ({exc}); {free_kb} KB free on its disk") from None


def write_verified(images: dict[Path, pygame.Surface]) -> list[Path]:
    """Each surface to its path, all or none: every PNG is written to a temp file beside its path, fsynced
    (a full ext4 may only say so here) and read back; only when all are good are they renamed into place.
    On any error nothing new is left in the folder and the error is raised."""
    temps = {path: temp_path_for(path, ".png") for path in images}
    placed: list[Path] = []
    try:
        for path, surface in images.items():
            pygame.image.save(surface, str(temps[path]))
            with open(temps[path], "rb") as fh:
                os.fsync(fh.fileno())
            check_png(temps[path], surface.get_size())
        for path, tmp in temps.items():
            os.replace(tmp, path)
            placed.append(path)
    except BaseException:
        for path in (*temps.values(), *placed):
            path.unlink(missing_ok=True)
        raise
    fsync_dir(next(iter(images)).parent)
    return placed


class CaptureWriter(threading.Thread):
    """`submit()` from the render loop returns at once; a capture asked for while one is being written
    is dropped with one log line (a held-down S key must not queue up seconds of PNG encoding)."""

    def __init__(self, folder: Path, keep: int = KEEP):
        super().__init__(name="aimoji-captures", daemon=True)
        self.folder, self.keep = Path(folder), keep
        self._jobs: queue.Queue = queue.Queue(maxsize=1)
        self.start()

    def capture(self, screen: CalibratedScreen, view) -> bool:
        """The S key: the emoji on the wall at generated resolution (the view's image) and as shown (a
        copy of the screen), handed to this thread; the render loop only copies."""
        image = view.current_image() if view is not None else None
        stamp = time.strftime("%Y%m%d-%H%M%S-") + f"{int(time.time() * 1000) % 1000:03d}"
        return self.submit(stamp, screen.grab(), None if image is None else image.copy())

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
            images = {}
            if small is not None:
                images[self.folder / f"aimoji-{stamp}-small.png"] = pygame.image.frombuffer(
                    small.tobytes(), small.shape[1::-1], "RGB")
            images[self.folder / f"aimoji-{stamp}-screen.png"] = screen
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                saved = write_verified(images)
            except (OSError, pygame.error) as exc:
                log.error("capture not saved in %s: %s", self.folder, exc)
                continue
            log.info("saved %s", ", ".join(str(p) for p in saved))
            try:   # only now: a failed write must never cost a good capture
                rotate(self.folder, self.keep)
            except OSError as exc:
                log.error("old captures not rotated in %s: %s", self.folder, exc)

    def close(self, timeout_s: float = 2.0) -> None:
        try:
            self._jobs.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self.join(timeout_s)
