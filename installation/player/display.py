"""Opening the pygame display for the player: size, fullscreen, vsync where the driver gives it.

Also answers "is there any screen at all?" (X11, Wayland, or a usable console DRM/framebuffer device)
without touching SDL, so `aimoji play` on a headless box can say so in one line.
"""

from __future__ import annotations

import glob
import os
import time

import pygame

HEADLESS_SIZE = (1920, 1080)   # what --headless renders when the show says 'native'
WINDOWED_SIZE = (1280, 720)    # a window on a desktop when the show says 'native'


def display_available(environ=os.environ) -> bool:
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return True
    devices = glob.glob("/dev/dri/card*") + ["/dev/fb0"]
    return any(os.path.exists(d) and os.access(d, os.R_OK | os.W_OK) for d in devices)


def mode_size(resolution: tuple[int, int] | None, fullscreen: bool, headless: bool) -> tuple[int, int]:
    """Window size to ask SDL for; (0, 0) means the desktop's native size (fullscreen only)."""
    if resolution:
        return resolution
    if headless:
        return HEADLESS_SIZE
    return (0, 0) if fullscreen else WINDOWED_SIZE


def open_display(size: tuple[int, int], fullscreen: bool, title: str = "AImoji"):
    """Open the window; returns (screen surface, vsync_requested). Tries vsync first: SDL only
    grants it with the SCALED renderer, and some drivers (dummy, some X servers) refuse it."""
    pygame.display.init()
    pygame.display.set_caption(title)
    base = pygame.FULLSCREEN if fullscreen else 0
    if os.environ.get("SDL_VIDEODRIVER") != "dummy":
        try:
            return pygame.display.set_mode(size, base | pygame.SCALED, vsync=1), True
        except pygame.error:
            pass
    return pygame.display.set_mode(size, base), False


def toggle_fullscreen(size: tuple[int, int], currently_fullscreen: bool):
    """Reopen the display in the other mode; returns (screen, vsync_requested)."""
    want = not currently_fullscreen
    return open_display(size if size != (0, 0) or want else WINDOWED_SIZE, want)


def probe_vsync(fps: float, flips: int = 12) -> bool:
    """True when flips on this display arrive at the show's rate by themselves (vsync granted and
    the refresh rate equals fps): then the loop lets flips pace it instead of sleeping."""
    stamps = []
    for _ in range(flips):
        pygame.display.flip()
        stamps.append(time.monotonic())
    gaps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    median = gaps[len(gaps) // 2]
    return abs(median * fps - 1.0) < 0.15
