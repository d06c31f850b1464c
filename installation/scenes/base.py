"""The interface every scene implements for the player loop (morph, grid, and later evolution).

A scene is a pair: a `Plan` (pure: which latent vectors to generate, in the order the screen needs
them; None for a scene that needs no generation, e.g. an evolution scene replaying the model's
`timelapse` metadata) and a view (a thin pygame shell that draws what the scene's pure selector picks).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from installation.player.worker import Frame, Plan


class SceneUnavailable(ValueError):
    """A playlist entry cannot be built for this model (one line, e.g. no timelapse metadata)."""


class SceneView(Protocol):
    name: str                 # 'morph', 'grid', ...
    plan: Plan | None         # what the generation worker runs; None: the scene brings its own frames
    stale_tiles: int          # grid: tiles that did not move in the last frame (0 for others)

    def accept(self, frames: list[Frame]) -> None:
        """Take the generated frames that became due (render thread, between frames)."""

    def ready(self, t: float) -> bool:
        """True once the scene can draw walk time t without repeating (hand-over waits for this)."""

    def invalidate(self) -> None:
        """Repaint everything, margins included, on the next draw (after a fade or a resize)."""

    def draw(self, canvas, t: float) -> bool:
        """Draw walk time t onto the canvas (a pygame Surface). False: nothing fresh (a repeat)."""

    def current_image(self) -> np.ndarray | None:
        """The small generated image(s) on screen, [H, W, 3] uint8, for captures."""

    def glance(self) -> np.ndarray | None:
        """A cheap look at what is on screen (a few hundred pixels a side at most), for health."""
