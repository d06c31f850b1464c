"""The S key's captures on a real full disk (a small tmpfs mounted for the test): a failed write is one
line and leaves the folder as it was, no empty PNG, no good capture deleted; "saved" means a PNG that
reads back whole, and old captures go only after such a write."""

import itertools
import logging
import os
from contextlib import ExitStack

import numpy as np
import pygame
import pytest

from installation.display.output import Window
from installation.model.load import load
from installation.player.captures import KEEP, CaptureWriter, check_png
from installation.player.loop import Player
from installation.show.config import load_show
from tests.support.disks import MountRefused, fill, good_captures, tmpfs


@pytest.fixture
def small_disk(tmp_path):
    """make(size) -> a tmpfs of that size, mounted for this test: a filesystem that really fills up."""
    with ExitStack() as mounts:
        names = itertools.count()

        def make(size: str):
            try:
                return mounts.enter_context(tmpfs(tmp_path / f"disk{next(names)}", size))
            except MountRefused as exc:
                pytest.skip(str(exc))
        yield make


def press_s(player, presses: int, seconds: float = 30.0) -> list[str]:
    """Press S on a playing player, each press once the last one's line is out; the capture lines."""
    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            if message.startswith(("saved ", "capture ")):
                lines.append(message)
    pressed = [0]

    def on_frame(p):
        if len(lines) >= presses:
            p.running = False
        elif p.snapshot().activity == "playing" and pressed[0] == len(lines):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0))
            pressed[0] += 1
    logger, handler = logging.getLogger("aimoji.player"), Lines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)   # "saved" is an INFO line
    try:
        player.on_frame = on_frame
        player.run(seconds=seconds)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return lines


@pytest.fixture
def player_on(screen, tiny_model_path, show_file):
    def make(folder):
        return Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", Window(screen),
                      keys=True, captures_dir=folder)
    return make


def test_a_full_disk_saves_nothing_says_so_once_and_keeps_every_good_capture(small_disk, player_on):
    disk = small_disk("2m")
    folder = disk / "captures"
    kept = good_captures(folder, KEEP)   # the audit's case: the folder already at its 200
    filler = fill(disk)

    lines = press_s(player_on(folder), presses=3)

    assert len(lines) == 3 and all(line.startswith(f"capture not saved in {folder}: ") for line in lines), lines
    assert "KB free on its disk" in lines[0]
    assert sorted(os.listdir(folder)) == sorted(p.name for p in kept)          # no empty PNG, no temp file
    assert all(path.read_bytes() == data for path, data in kept.items())     # none deleted or touched

    # Room again: the next press saves a whole capture, and only then the oldest make way for it.
    filler.unlink()
    lines = press_s(player_on(folder), presses=1)
    assert len(lines) == 1 and lines[0].startswith("saved "), lines
    names = sorted(os.listdir(folder))
    new = [folder / n for n in names if not n.startswith("aimoji-20240101-")]
    assert len(names) == KEEP and len(new) == 2
    for path in new:
        check_png(path, pygame.image.load(str(path)).get_size())
    oldest = sorted(kept)[:2]
    assert not any(p.exists() for p in oldest) and all(p.exists() for p in sorted(kept)[2:])


def test_a_pair_that_only_half_fits_leaves_neither(small_disk):
    # Room for the small image (a few KB) but not the noisy screen (about 230 KB as PNG).
    disk = small_disk("512k")
    folder = disk / "captures"
    fill(disk, leave_kb=64)
    rng = np.random.default_rng(1)
    screen = pygame.surfarray.make_surface(rng.integers(0, 255, (320, 240, 3), np.uint8))
    writer = CaptureWriter(folder)
    try:
        writer.submit("20250101-120000-000", screen, np.full((16, 16, 3), 200, np.uint8))
    finally:
        writer.close(timeout_s=10)
    assert os.listdir(folder) == []


def _png(tmp_path, size=(12, 8)):
    path = tmp_path / "x.png"
    pygame.image.save(pygame.Surface(size), str(path))
    return path


@pytest.mark.parametrize("spoil, problem", [
    (lambda p: p.write_bytes(b""), "cannot identify image file"),
    (lambda p: p.write_bytes(p.read_bytes()[:-20]), "[Tt]runcated"),   # cut in the last IDAT chunk
    (lambda p: p.write_bytes(p.read_bytes()[:-2]), "does not end with an IEND chunk"),  # the pixels whole
    (lambda p: p.write_bytes(p.read_bytes()[:33]), ""),             # the header only
    (lambda p: pygame.image.save(pygame.Surface((4, 4)), str(p)), "reads back as PNG 4x4"),
    (lambda p: p.write_bytes(b"GIF89a" + bytes(40)), "cannot identify image file"),
    (lambda p: None, None),
])
def test_a_capture_counts_only_when_it_reads_back_whole(tmp_path, spoil, problem):
    path = _png(tmp_path)
    spoil(path)
    if problem is None:
        check_png(path, (12, 8))
    else:
        with pytest.raises(OSError, match=f"the PNG was not written whole \\(.*{problem}.*\\); \\d+ KB free"):
            check_png(path, (12, 8))
