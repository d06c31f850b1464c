"""What every scene is made of, and what it may ask of the rest of the player.

A scene is one module (morph.py, grid.py, evolution.py) holding four things, listed once in
registry.py as a `SceneKind`:
* its playlist entry: a pydantic model (a subclass of `SceneEntry`) that a show's [[playlist]] holds;
* its plan (pure): which latent vectors to generate, as `Request`s in the order the screen needs them
  (None for a scene that generates nothing, e.g. evolution replays the model's timelapse);
* its view: takes the generated `Frame`s and draws walk time t onto a `Canvas`;
* its capacity rule (pure): the entry as a machine making so many images per second can show it.

Scenes never import pygame or the display: they draw through the `Canvas` the player hands them
(display/screen.py's Screen is the one there is), so their modules stay importable by the show's
loader and testable as plain code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Hashable, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from installation.geometry import Rect, Region
from installation.model.moods import MOODS

MODEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


# ---- generation -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    key: Hashable       # the scene's name for this image, e.g. frame index or (tile, sample)
    need_t: float       # walk time at which the render loop first needs the image
    z: np.ndarray       # [z_dim] float32


@dataclass(frozen=True)
class Frame:
    key: Hashable
    need_t: float
    image: np.ndarray   # [H, W, 3] uint8, colour-calibrated
    enlarged: np.ndarray | None = None   # display.scale 'sharp': the image enlarged ahead by the worker
                                         # (display/sharp.py `ahead`); None otherwise


class Plan(Protocol):
    """What a scene wants generated. Stateful, used by the worker thread only."""

    rate_hz: float      # images per second of walk time the scene consumes

    def next_requests(self, now_t: float, max_n: int, until_t: float = math.inf) -> list[Request]:
        """Up to max_n requests in need order, none needed after until_t, skipping any that are
        already useless at walk time now_t."""


# ---- drawing ----------------------------------------------------------------------------------
class Placed(Protocol):
    """A small image the canvas has made ready for its place (opaque to scenes)."""


class Canvas(Protocol):
    """What a view may ask of the screen it draws on (display/screen.py Screen): a frame of `size`
    pixels whose `key` changes when a layout must be redone (size, calibration, `inset`), and the ways to
    draw on it."""

    size: tuple[int, int]
    key: Hashable
    inset: int                          # pixels a scene's one big image keeps off the edges (panel care's orbit)
    background: tuple[int, int, int]    # the show's background as the panel shows it (calibrated, dimmed)

    def place(self, image: np.ndarray, rect: Rect, scale: str = "smooth",
              replacing: Placed | None = None, enlarged: np.ndarray | None = None) -> Placed: ...
    def place_tile(self, image: np.ndarray, rect: Rect, scale: str = "smooth",
                   enlarged: np.ndarray | None = None) -> Placed: ...
    def place_text(self, text: str, size_px: int, colour: tuple[int, int, int],
                   bottom_right: tuple[int, int]) -> tuple[Placed, Rect] | None: ...
    def draw(self, placed: Placed) -> None: ...
    def draw_blends(self, tiles: list[tuple[Placed, Placed | None, float]],
                    upcoming: list[tuple[Placed, Placed | None, float]] = ()) -> None: ...
    def fill(self, colour, rect: Rect | None = None) -> None: ...


class SceneView(Protocol):
    name: str                 # the scene's kind: 'morph', 'grid', ...
    plan: Plan | None         # what the generation worker runs; None: the scene brings its own frames
    stale_tiles: int          # grid: tiles that did not move in the last frame (0 for others)
    still_s: float            # seconds the scene holds one picture on purpose (health allows it)

    def accept(self, frames: list[Frame]) -> None:
        """Take the generated frames that became due (render thread, between frames)."""

    def ready(self, t: float) -> bool:
        """True once the scene can draw walk time t without repeating (hand-over waits for this)."""

    def invalidate(self) -> None:
        """Repaint everything, margins included, on the next draw (after a fade or a resize)."""

    def lay_out(self, canvas: Canvas) -> None:
        """The canvas it will draw on, told before its first draw (while it waits to be handed over): a
        view may make its images ready for it as they arrive instead of all at its first draw. Draws
        nothing."""

    def image_box(self, canvas: Canvas) -> tuple[int, int] | None:
        """The (w, h) frame pixels each generated image is drawn into on `canvas` as it is now (its size
        and inset), for the worker to enlarge it ahead (display.scale 'sharp'); None where there is no
        one such box."""

    def draw(self, canvas: Canvas, t: float) -> bool:
        """Draw walk time t onto the canvas. False: nothing fresh (a repeat)."""

    def current_image(self) -> np.ndarray | None:
        """The small generated image(s) on screen, [H, W, 3] uint8, for captures."""

    def glance(self) -> np.ndarray | None:
        """A cheap look at what is on screen (a few hundred pixels a side at most), for health."""

    def seam(self, t: float) -> int:
        """A count that steps where the whole picture changes anyway (a walking scene's new keyframe, a
        replay starting again): where panel care may move or dim the picture unseen."""


class SceneUnavailable(ValueError):
    """A playlist entry cannot be built for this model (one line, e.g. no timelapse metadata)."""


# ---- the playlist entry -----------------------------------------------------------------------
class SceneEntry(BaseModel):
    """What every [[playlist]] entry of a show has; each scene adds its own fields and its
    `scene: Literal[...]` tag."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    duration_s: float = Field(300, ge=1, le=7 * 86400, description="seconds this scene plays before the next")
    model: str = Field("latest", description="model file name in exported_models/ without .onnx, or 'latest'")
    mood: Literal[MOODS] | None = Field(
        None, description="keep the walk near this mood's region (needs a model with moods)")

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        if v.endswith(".onnx"):
            raise ValueError(f"'{v}' ends in .onnx; allowed: the name without .onnx, e.g. '{v[:-5]}'")
        if not MODEL_NAME.match(v):
            raise ValueError(f"'{v}' is not a model name; allowed: 'latest' or a file name in "
                             "exported_models/ (letters, digits, _ . -) without .onnx")
        return v

    def label(self) -> str:
        """The entry in a few words for schedules and logs: 'morph', 'grid 6x4'."""
        return self.scene


# ---- what the registry holds per scene --------------------------------------------------------
@dataclass(frozen=True)
class ViewSpec:
    """How to build a view, besides its entry and model: the display and the walk."""
    fps: float
    walk: object                        # scenes.walk.WalkParams
    scale: str                          # display.scale
    colour: Callable[[np.ndarray], np.ndarray] | None = None   # calibration's table, for frames a scene brings
    steer: Callable[[np.ndarray], np.ndarray] | None = None    # z -> z toward a mood's region
    live: bool = True                   # False for offline rendering: no need to start ahead of the clock
    frames_per_image: int = 1           # a morph generates every such frame and blends between
    region: Region | None = None        # this screen's part of a wall (show/wall.py); None: the whole picture


@dataclass(frozen=True)
class Sustained:
    """A playlist entry as a machine can show it: the entry (perhaps asking less), the morph's displayed
    frames per generated image, and, when it shows less than asked, what it asked and what it does."""
    entry: SceneEntry
    frames_per_image: int = 1
    asked: str | None = None      # 'a 12x12 grid at 4 Hz/tile asks 576 images/s'
    instead: str | None = None    # 'showing 0.83 Hz/tile'


@dataclass(frozen=True)
class SceneKind:
    """One scene, as the show, the player and `aimoji render` know it."""
    name: str                                                    # the [[playlist]] `scene = ...` tag
    entry: type[SceneEntry]
    view: Callable[[SceneEntry, object, ViewSpec], SceneView]    # (entry, model.load.Generator, spec)
    sustainable: Callable[[SceneEntry, float, float], Sustained]  # (entry, fps, images/s it may use)
    looped: Callable[[SceneEntry, float], SceneEntry]            # the entry made to repeat every s seconds
    colour: str                                                  # its colour in schedule pictures
    walks: bool = True                                           # it walks the latent space (moods apply)


def as_asked(entry: SceneEntry, fps: float, images_per_s: float) -> Sustained:
    """The capacity rule of a scene that asks nothing of the generator beyond what it is."""
    return Sustained(entry)


def unchanged(entry: SceneEntry, seconds: float) -> SceneEntry:
    """The loop rule of a scene whose walk already repeats (scenes.walk.loop_params)."""
    return entry
