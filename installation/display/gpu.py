"""The GPU path: SDL's renderer (pygame._sdl2.video) scales, blends and turns the picture.

The small generated images go up as textures (a 64x64 upload each, not a screen-sized one); the
renderer draws them scaled into `canvas`, a texture the size of the display that keeps the picture
between frames as the CPU path's surface does, turned and mirrored by the calibration on the way
(calibration/frame_map.py `renderer_turn`). Opacity (a grid's tiles blending, a crossfade out of a
snapshot) is the texture's alpha, dimming a multiplying fill. `present` copies the canvas to the window
and shows it. Health's `glance` draws the canvas into a small texture and reads only that back.

`open_gpu` opens the window and renderer and times one frame of the display's size there
(`frame_cost`); display/output.py decides with display/path_choice.py whether this path runs.
"""

from __future__ import annotations

import os
import time
from typing import NamedTuple

import numpy as np
import pygame
from pygame._sdl2 import video

from installation.calibration import frame_map
from installation.calibration.apply import Calibration
from installation.display import sdl_init
from installation.display.path_choice import Measured
from installation.display.screen import (GLANCE_PX, CalibratedScreen, glance_stride, moved, opacity_255, sharpened,
                                         to_surface)
from installation.geometry import Rect

HARDWARE = 0x02          # SDL_RENDERER_ACCELERATED in a driver's flags
TIMED_FRAMES = 5         # frames timed at open (the median counts), after one to warm up
SMOOTH, NEAREST = 1, 0   # a texture's scale quality: linear or nearest-neighbour sampling


class GpuPlaced(NamedTuple):
    """A small image as a texture, with where the renderer draws it: `rect` before the turn of
    `angle` degrees about its centre, mirrored first by flip_x/flip_y (frame_map.renderer_turn)."""
    texture: video.Texture
    rect: tuple[float, float, int, int]
    angle: int
    flip_x: bool
    flip_y: bool
    alpha: bool          # the image has its own transparency (text): always blended


class GpuSnapshot(NamedTuple):
    """The whole display as it was at one moment, as a texture of the renderer that drew it."""
    texture: video.Texture


class GpuDisplay:
    """A window shown by SDL's renderer. `canvas` is the picture (a target texture of the display's size);
    `present` copies it to the window and shows it, waiting for vsync where the renderer was granted it."""

    fallback = False

    def __init__(self, window: video.Window, renderer: video.Renderer, driver: str, hardware: bool,
                 fullscreen: bool, vsync: bool):
        self.window, self.renderer, self.driver, self.hardware = window, renderer, driver, hardware
        self.fullscreen, self.vsync = fullscreen, vsync
        self.size = window.size
        self.canvas = video.Texture(renderer, self.size, target=True, scale_quality=NEAREST)
        renderer.target = self.canvas
        renderer.draw_color = (0, 0, 0, 255)
        renderer.clear()
        self.line = f"{pygame.display.get_driver()} {self.size[0]}x{self.size[1]}"

    def present(self) -> None:
        r = self.renderer
        r.target = None
        self.canvas.blend_mode = pygame.BLENDMODE_NONE
        self.canvas.draw()
        r.present()
        r.target = self.canvas

    def screen(self, calibration: Calibration | None, background: tuple[int, int, int]) -> GpuScreen:
        return GpuScreen(self, calibration, background)

    def toggled(self) -> GpuDisplay:
        """The other mode (the F key), in the same window: its textures stay valid, the canvas keeps its
        size and the renderer stretches it over the window."""
        if self.fullscreen:
            self.window.set_windowed()
        else:
            self.window.set_fullscreen(desktop=True)
        self.fullscreen = not self.fullscreen
        return self

    def reopened(self) -> GpuDisplay:
        """A panel plugged back in: the window's mode set again. The renderer and its textures stay (a
        new renderer would orphan every texture the scenes hold)."""
        if self.fullscreen:
            self.window.set_windowed()
            self.window.set_fullscreen(desktop=True)
        return self

    def close(self) -> None:
        self.window.destroy()
        pygame.display.quit()


def open_gpu(size: tuple[int, int], fullscreen: bool, title: str) -> tuple[GpuDisplay, Measured]:
    """A window with SDL's renderer, hardware first, and what one frame of its size costs there.
    pygame.error (one line) when the video driver has no window or no renderer (the dummy driver)."""
    sdl_init.init()
    if pygame.display.get_driver() in ("dummy", "offscreen", "evdev"):
        raise pygame.error(f"{pygame.display.get_driver()} video driver")
    if size == (0, 0):   # the desktop's native size
        size = pygame.display.get_desktop_sizes()[0]
    window = video.Window(title, size, fullscreen_desktop=fullscreen)
    try:
        renderer, driver, hardware = _renderer(window)
    except pygame.error:
        window.destroy()
        raise
    try:
        display = GpuDisplay(window, renderer, driver, hardware, fullscreen, vsync=True)
        return display, Measured(driver, hardware, frame_cost(display) * 1000.0, display.size)
    except pygame.error:   # no target texture, no read-back: the renderer cannot carry the picture
        window.destroy()
        raise


def _renderer(window: video.Window) -> tuple[video.Renderer, str, bool]:
    """The first renderer SDL can open on the window, hardware ones first (SDL_RENDER_DRIVER may name
    one), with vsync and target textures."""
    drivers = list(video.get_drivers())
    wanted = os.environ.get("SDL_RENDER_DRIVER")
    order = sorted(range(len(drivers)), key=lambda i: (drivers[i].name != wanted,
                                                       not drivers[i].flags & HARDWARE))
    failures = []
    for i in order:
        try:
            renderer = video.Renderer(window, index=i, vsync=True, target_texture=True)
        except pygame.error as exc:
            failures.append(f"{drivers[i].name}: {exc}")
            continue
        return renderer, drivers[i].name, bool(drivers[i].flags & HARDWARE)
    raise pygame.error("no renderer opened (" + "; ".join(failures or ["SDL lists none"]) + ")")


def frame_cost(display: GpuDisplay, frames: int = TIMED_FRAMES) -> float:
    """Seconds the renderer takes for one frame of the display's size (median): a small image uploaded
    and drawn over the whole canvas, the canvas copied to the window, one pixel read back so the GPU has
    finished. No present: that waits for vsync, and a frame's work is what tells a GPU from software GL."""
    r, canvas = display.renderer, display.canvas
    small = pygame.Surface((64, 64))
    small.fill((200, 120, 40))
    times = []
    for _ in range(frames + 1):
        start = time.perf_counter()
        texture = video.Texture(r, small.get_size(), scale_quality=SMOOTH)
        texture.update(small)
        r.target = canvas
        texture.draw(dstrect=(0, 0, *display.size))
        r.target = None
        canvas.draw()
        r.to_surface(area=(0, 0, 1, 1))
        times.append(time.perf_counter() - start)
    r.target = canvas
    r.draw_color = (0, 0, 0, 255)
    r.clear()
    times = sorted(times[1:])
    return times[len(times) // 2]


class GpuScreen(CalibratedScreen):
    """The display's canvas seen through the calibration, drawn on by the GPU: the same methods as
    display/screen.py's Screen (the layout, fills and text are theirs in common)."""

    def __init__(self, display: GpuDisplay, calibration: Calibration | None = None,
                 background: tuple[int, int, int] = (0, 0, 0)):
        self.display, self.renderer, self.canvas = display, display.renderer, display.canvas
        self._glance: video.Texture | None = None
        super().__init__(calibration, background)

    def _display_px(self) -> tuple[int, int]:
        return self.display.size

    def _layout(self) -> None:
        super()._layout()
        self._turn = frame_map.renderer_turn(self.geometry)

    def _fill(self, colour, rect: Rect) -> None:
        r = self.renderer
        r.draw_blend_mode = pygame.BLENDMODE_NONE
        r.draw_color = (*colour[:3], 255)
        r.fill_rect(rect)

    # ---- scenes -------------------------------------------------------------------------------
    def place(self, image: np.ndarray | pygame.Surface, rect: Rect, scale: str = "smooth",
              replacing: GpuPlaced | None = None, enlarged: np.ndarray | None = None) -> GpuPlaced:
        """A small image as a texture, to be drawn scaled into `rect` of the frame and turned by the
        renderer. 'sharp' enlarges it on the CPU first (display/sharp.py), as the CPU path does.
        `replacing` is not needed here: a small texture is cheap, the scaling is the renderer's.
        `enlarged`: the image enlarged ahead by the worker for 'sharp', taken where it fits."""
        box = moved(self.rect(rect), self.shift)   # panel care's orbit: the renderer draws it anywhere
        surface = image if isinstance(image, pygame.Surface) else to_surface(image)
        if scale == "sharp":
            surface = sharpened(surface, (rect[2], rect[3]), None if enlarged is None else to_surface(enlarged))
        texture = video.Texture(self.renderer, surface.get_size(),
                                scale_quality=NEAREST if scale == "pixel" else SMOOTH)
        texture.update(surface)
        angle, flip_x, flip_y = self._turn
        return GpuPlaced(texture, frame_map.unturned_rect(box, angle), angle, flip_x, flip_y,
                         bool(surface.get_flags() & pygame.SRCALPHA))

    def place_tile(self, image: np.ndarray, rect: Rect, scale: str = "smooth",
                   enlarged: np.ndarray | None = None) -> GpuPlaced:
        """A grid's tile: the renderer scales and turns in one draw, so it is `place`."""
        return self.place(image, rect, scale, enlarged=enlarged)

    def draw(self, placed: GpuPlaced) -> None:
        self._draw(placed, None)

    def draw_blends(self, tiles: list[tuple[GpuPlaced, GpuPlaced | None, float]], upcoming=()) -> None:
        """Many placed images, each with another one over it at an opacity 0..1 (None or 0: none): the
        GPU blends as it draws, so `upcoming` (the CPU screen's cue to compose ahead) is not needed."""
        for base, over, alpha in tiles:
            self._draw(base, None)
            if over is not None and alpha > 0:
                self._draw(over, alpha)

    def _draw(self, p: GpuPlaced, alpha: float | None) -> None:
        texture = p.texture
        texture.blend_mode = pygame.BLENDMODE_BLEND if p.alpha or alpha is not None else pygame.BLENDMODE_NONE
        texture.alpha = 255 if alpha is None else opacity_255(alpha)
        texture.draw(dstrect=p.rect, angle=p.angle, flip_x=p.flip_x, flip_y=p.flip_y)

    # ---- the loop -----------------------------------------------------------------------------
    def darken(self, level: float) -> None:
        """Every pixel multiplied by `level` 0..1: a multiplying fill."""
        if level < 1:
            grey = round(255 * max(0.0, level))
            r = self.renderer
            r.draw_blend_mode = pygame.BLENDMODE_MOD
            r.draw_color = (grey, grey, grey, 255)
            r.fill_rect((0, 0, *self.display.size))
            r.draw_blend_mode = pygame.BLENDMODE_NONE

    def snapshot(self) -> GpuSnapshot:
        """A copy of the canvas, made by the GPU (no read-back)."""
        copy = video.Texture(self.renderer, self.display.size, target=True, scale_quality=NEAREST)
        self.renderer.target = copy
        self.canvas.blend_mode = pygame.BLENDMODE_NONE
        self.canvas.draw()
        self.renderer.target = self.canvas
        return GpuSnapshot(copy)

    def fade_in_snapshot(self, snapshot: GpuSnapshot, opacity: float) -> None:
        """An earlier snapshot over the picture at `opacity` 0..1 (a crossfade out of it)."""
        texture = snapshot.texture
        texture.blend_mode = pygame.BLENDMODE_BLEND
        texture.alpha = opacity_255(opacity)
        texture.draw()

    def draw_overlay(self, surface: pygame.Surface, at: tuple[int, int]) -> None:
        """A surface as it is, at a display position, over the picture and not turned with it."""
        texture = video.Texture.from_surface(self.renderer, surface)
        texture.blend_mode = pygame.BLENDMODE_BLEND
        texture.draw(dstrect=(*at, *surface.get_size()))

    # ---- reading it back ----------------------------------------------------------------------
    def glance(self, longest_px: int = GLANCE_PX) -> np.ndarray:
        """The display as presented, every k-th pixel down to about longest_px on its longer side,
        [h, w, 3] uint8: the canvas drawn into a small texture by nearest sampling (as the CPU path
        samples), and only that read back (320x180x4 bytes at most, not the 33 MB of a 2160p frame)."""
        w, h = self.display.size
        k = glance_stride((w, h), longest_px)
        size = (len(range(k // 2, w, k)), len(range(k // 2, h, k)))
        if self._glance is None or self._glance.get_rect().size != size:
            self._glance = video.Texture(self.renderer, size, target=True, scale_quality=NEAREST)
        r = self.renderer
        r.target = self._glance
        self.canvas.blend_mode = pygame.BLENDMODE_NONE
        self.canvas.draw()
        small = r.to_surface()
        r.target = self.canvas
        return _rgb(small)

    def pixels(self) -> np.ndarray:
        """The display as it is now, [H, W, 3] uint8 (a copy: a full read-back, for tests and renders)."""
        return _rgb(self.grab())

    def grab(self) -> pygame.Surface:
        """The canvas read back into a Surface (captures, --screenshot): tens of ms at 2160p."""
        self.renderer.target = self.canvas
        return self.renderer.to_surface()


def _rgb(surface: pygame.Surface) -> np.ndarray:
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))
