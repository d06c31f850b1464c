"""A real full disk, for the captures' tests and benchmarks/faults.py: a small tmpfs of its own (mounting
needs root), filled to the last page, with good captures made on it beforehand."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pygame


class MountRefused(RuntimeError):
    """No tmpfs here (not root, or mount refused); the message says why."""


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` ('2m') mounted on the folder `where` (made), unmounted after."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        raise MountRefused("a real full disk needs root to mount a tmpfs (mount -t tmpfs)")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise MountRefused(f"mount -t tmpfs refused here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave_kb: int = 0) -> Path:
    """Take all of the disk's room but leave_kb, in a file outside the captures folder (returned)."""
    with open(disk / "filler", "wb") as fh:
        try:
            while shutil.disk_usage(disk).free > leave_kb * 1024:
                fh.write(b"\0" * 4096)
                fh.flush()
        except OSError:
            pass
    return disk / "filler"


def good_captures(folder: Path, n: int) -> dict[Path, bytes]:
    """n small, valid captures, older by name than any the player makes; {path: bytes}."""
    folder.mkdir(parents=True, exist_ok=True)
    surface = pygame.Surface((8, 8))
    out = {}
    for i in range(n):
        surface.fill((i % 256, 40, 90))
        path = folder / f"aimoji-20240101-{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}-000-screen.png"
        pygame.image.save(surface, str(path))
        out[path] = path.read_bytes()
    return out
