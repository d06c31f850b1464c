"""Opening the display the player and the calibration draw on, and presenting each frame on it.

Three kinds, one interface (`screen(calibration, background)`, `present()`, `vsync`, `line`, `toggled()`,
`reopened()`, `close()`):
* GpuDisplay (display/gpu.py): the GPU path, SDL's renderer, where it is a fast GPU (timed at open,
  chosen by display/path_choice.py) or the show asks for it; its screen is a GpuScreen.
* Window: SDL shows the picture, through the driver the environment asks for (kmsdrm on a console,
  x11 under cage or a desktop); `present` is SDL's flip, which waits for vsync where it was granted.
* FramebufferDisplay: the software path. Where SDL cannot open the console's screen (kmsdrm without a
  3D driver: "EGL not initialized"), SDL renders into memory and `present` copies the frame onto
  /dev/fb0 in the device's pixel layout (display/framebuffer.py), with the text console kept off it
  (display/console.py). No vsync there: the loop's own clock paces the frames.
The other two draw on the CPU into their `surface` (a display/screen.py Screen). `open_display` makes
the choice; `line` says it in one log line, starting with the path and why. Also answers "is there any
screen at all?" (X11, Wayland, or a usable console DRM/framebuffer device) without touching SDL, so
`aimoji play` on a headless box can say so in one line.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time

import numpy as np
import pygame

from installation.display import console, framebuffer, gpu, sdl_init
from installation.display.framebuffer import FramebufferError
from installation.display.path_choice import Renderer, choose
from installation.display.screen import Screen

HEADLESS_SIZE = (1920, 1080)   # what --headless renders when the show says 'native'
WINDOWED_SIZE = (1280, 720)    # a window on a desktop when the show says 'native'
SOFTWARE_DRIVER = "evdev"      # SDL's dummy video driver that still reads keyboards (evdev): no screen
# `aimoji play` and `aimoji calibrate` exit with this when there is nothing to draw on (sysexits'
# EX_UNAVAILABLE: `systemctl status` shows "status=69/UNAVAILABLE").
EXIT_NO_DISPLAY = 69


class DisplayUnavailable(Exception):
    """Neither SDL nor the framebuffer can show the picture: one line naming both causes."""


def display_available(environ=os.environ) -> bool:
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return True
    devices = glob.glob("/dev/dri/card*") + [framebuffer.DEVICE]
    return any(os.path.exists(d) and os.access(d, os.R_OK | os.W_OK) for d in devices)


def mode_size(resolution: tuple[int, int] | None, fullscreen: bool, headless: bool) -> tuple[int, int]:
    """Window size to ask SDL for; (0, 0) means the desktop's native size (fullscreen only)."""
    if resolution:
        return resolution
    if headless:
        return HEADLESS_SIZE
    return (0, 0) if fullscreen else WINDOWED_SIZE


class Window:
    """A display SDL shows: a window, or the whole screen through kmsdrm."""

    def __init__(self, surface: pygame.Surface, *, vsync: bool = False, fullscreen: bool = False,
                 title: str = "AImoji", accelerated: bool = True):
        self.surface, self.vsync, self.fullscreen, self.title = surface, vsync, fullscreen, title
        self.accelerated = accelerated
        self.line = f"{pygame.display.get_driver()} {surface.get_width()}x{surface.get_height()}"
        self.fallback = False

    def present(self) -> None:
        pygame.display.flip()

    def screen(self, calibration, background: tuple[int, int, int]) -> Screen:
        """The CPU path's Screen on this window's surface."""
        return Screen(self.surface, calibration, background)

    def toggled(self) -> Window:
        """The same size in the other mode (the F key)."""
        return _window(self.surface.get_size(), not self.fullscreen, self.title, self.accelerated)

    def reopened(self) -> Window:
        """The same window opened again (a panel plugged back in: kmsdrm must set its mode anew). Where
        the driver cannot open it yet, this one stays (pygame.error is one line in the caller's log)."""
        size = self.surface.get_size()
        self.close()
        return _window(size, self.fullscreen, self.title, self.accelerated)

    def close(self) -> None:
        pygame.display.quit()


class FramebufferDisplay:
    """The software path: SDL renders into memory at the framebuffer's size; `present` copies the frame
    onto the device. The device is always the whole screen, and has no vsync."""

    vsync = False
    fullscreen = True
    fallback = True

    def __init__(self, device: framebuffer.Framebuffer, why: str, quieted: console.Console,
                 title: str = "AImoji"):
        """why: what happened to SDL's own display, for the log line. quieted: what was done to keep the
        console off the screen (undone by close)."""
        self.device, self.console = device, quieted
        self.surface = _software_surface((device.layout.width, device.layout.height), title)
        self._masks = self.surface.get_masks()[:3]
        self._rows = (device.layout.height, self.surface.get_pitch())
        self.line = f"{why}; drawing to {device.description} in software, {quieted.note}"

    def present(self) -> None:
        # A view of the surface's pixels: the surface stays locked only while it exists (this call).
        pixels = np.frombuffer(self.surface.get_buffer(), np.uint8).reshape(self._rows)
        self.device.show(pixels, self._masks)

    def screen(self, calibration, background: tuple[int, int, int]) -> Screen:
        """The CPU path's Screen on the surface copied to the device."""
        return Screen(self.surface, calibration, background)

    def toggled(self) -> FramebufferDisplay:
        return self   # the framebuffer is the whole screen: there is no window to switch to

    def reopened(self) -> FramebufferDisplay:
        return self   # the kernel keeps /dev/fb0 and its mapping across a panel's hotplug

    def close(self) -> None:
        self.console.restore()
        self.device.close()
        pygame.display.quit()


def open_display(size: tuple[int, int], fullscreen: bool, title: str = "AImoji", *,
                 device: str = framebuffer.DEVICE, renderer: Renderer = "auto"):
    """The display to draw on. The GPU path (display/gpu.py) where SDL's renderer is a fast GPU, or the
    show's `renderer` asks for it (display/path_choice.py); else the CPU path: SDL's display, through the
    driver the environment asks for; where that fails or presents slowly on a console
    (framebuffer.fallback_applies), the framebuffer `device` in software, at its own size; where it
    presents slowly elsewhere, SDL's window without GL if that is faster. Its `line` starts with the
    path and why. DisplayUnavailable (one line) when nothing works."""
    if renderer == "cpu":
        choice = choose(renderer, None)
    else:
        try:
            display, measured = gpu.open_gpu(size, fullscreen, title)
        except pygame.error as exc:
            pygame.display.quit()
            choice = choose(renderer, None, str(exc))
        else:
            choice = choose(renderer, measured)
            if choice.gpu:
                display.line = f"{choice.why}, {display.line}"
                return display
            display.close()
    display = _cpu_display(size, fullscreen, title, device)
    display.line = f"{choice.why}, {display.line}"
    return display


def _cpu_display(size: tuple[int, int], fullscreen: bool, title: str, device: str):
    try:
        window = _window(size, fullscreen, title)
    except pygame.error as exc:
        driver = pygame.display.get_driver() if pygame.display.get_init() else \
            os.environ.get("SDL_VIDEODRIVER") or "SDL video"
        pygame.display.quit()
        failed = f"{driver} unavailable ({exc})"
    else:
        cost = present_cost(window)
        if cost <= SLOW_PRESENT_S:
            return window
        if framebuffer.fallback_applies(os.environ):
            # kmsdrm opened, but on Mesa's software GL every present is a full-screen texture upload and
            # render (415 ms a frame in the gallery VM): the framebuffer copy is far cheaper, if there is one.
            try:
                fb = framebuffer.open_device(device)
            except FramebufferError:
                return window
            failed = f"{window.line} presents take {cost * 1000:.0f} ms (software GL)"
            window.close()
            return _framebuffer_display(fb, failed, title)
        return _plainer_if_faster(window, cost, size, fullscreen, title)
    if not framebuffer.fallback_applies(os.environ):
        raise DisplayUnavailable(f"display: {failed}; the framebuffer is tried only on a console "
                                 "(SDL_VIDEODRIVER=kmsdrm, or unset without DISPLAY/WAYLAND_DISPLAY)")
    try:
        fb = framebuffer.open_device(device)
    except FramebufferError as exc:
        raise DisplayUnavailable(f"display: {failed}; {exc}") from None
    return _framebuffer_display(fb, failed, title)


SLOW_PRESENT_S = 0.05  # a GPU presents within a refresh (17 ms at 60 Hz, 33 at 30); software GL takes far longer


def present_cost(window: Window, presents: int = 5) -> float:
    """Seconds one present takes here: the median of a few, after the first (which sets the mode)."""
    window.present()
    times = []
    for _ in range(presents):
        start = time.perf_counter()
        window.present()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _plainer_if_faster(window: Window, cost: float, size: tuple[int, int], fullscreen: bool,
                       title: str) -> Window:
    """SDL draws through a GL texture wherever GL exists, even Mesa's software GL (Xwayland under cage
    on a GPU without a 3D driver: 252-260 ms a present in the gallery VM). Its plain window surface
    (XShm on x11) took 4.6 ms there. Reopen without GL, keep whichever presents faster. Drivers with no
    surface of their own refuse, and keep the GL window."""
    window.close()
    try:
        plain = _window(size, fullscreen, title, accelerated=False)
    except pygame.error:
        return _window(size, fullscreen, title)
    plain_cost = present_cost(plain)
    if plain_cost >= cost:
        plain.close()
        return _window(size, fullscreen, title)
    plain.line += f", without GL (GL presents took {cost * 1000:.0f} ms, these {plain_cost * 1000:.0f} ms)"
    return plain


def _framebuffer_display(fb: framebuffer.Framebuffer, failed: str, title: str) -> FramebufferDisplay:
    quieted = console.quiet()
    try:
        return FramebufferDisplay(fb, failed, quieted, title)
    except pygame.error as exc:
        quieted.restore()
        fb.close()
        raise DisplayUnavailable(f"display: {failed}; SDL's {SOFTWARE_DRIVER} driver for drawing "
                                 f"in memory: {exc}") from None


def _window(size: tuple[int, int], fullscreen: bool, title: str, accelerated: bool = True) -> Window:
    """SDL's display. Tries vsync first: SDL only grants it with the SCALED renderer, and some drivers
    (dummy, some X servers) refuse it. Not `accelerated`: SDL's own window surface, never a GL texture
    (SDL decides that once per display init, from SDL_FRAMEBUFFER_ACCELERATION). pygame.error when the
    driver cannot open at all, or has no surface of its own."""
    with _environment(SDL_FRAMEBUFFER_ACCELERATION=None if accelerated else "0"):
        sdl_init.init()
        pygame.display.set_caption(title)
        base = pygame.FULLSCREEN if fullscreen else 0
        if accelerated and pygame.display.get_driver() != "dummy":
            try:
                surface = pygame.display.set_mode(size, base | pygame.SCALED, vsync=1)
                return Window(surface, vsync=True, fullscreen=fullscreen, title=title)
            except pygame.error:
                pass
        return Window(pygame.display.set_mode(size, base), fullscreen=fullscreen, title=title,
                      accelerated=accelerated)


@contextlib.contextmanager
def _environment(**values: str | None):
    """Set (or, for None, leave alone) environment variables SDL reads, and restore them afterwards."""
    saved = {k: os.environ.get(k) for k, v in values.items() if v is not None}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _software_surface(size: tuple[int, int], title: str) -> pygame.Surface:
    """SDL again, with no screen of its own: the frame stays in memory (keyboards are still read)."""
    with _environment(SDL_VIDEODRIVER=SOFTWARE_DRIVER):   # SDL reads it once, in init
        sdl_init.init()
    pygame.display.set_caption(title)
    return pygame.display.set_mode(size)


def probe_vsync(display, fps: float, flips: int = 12) -> bool:
    """True when presents on this display arrive at the show's rate by themselves (vsync granted and
    the refresh rate equals fps): then the loop lets them pace it instead of sleeping."""
    stamps = []
    for _ in range(flips):
        display.present()
        stamps.append(time.monotonic())
    gaps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    median = gaps[len(gaps) // 2]
    return abs(median * fps - 1.0) < 0.15
