"""Build the view for one playlist entry and one model: the player's and `aimoji render`'s one way in."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from installation.model.load import Generator
from installation.model.moods import MoodsError, parse_moods, steer
from installation.scenes.base import SceneUnavailable, SceneView
from installation.scenes.evolution_view import EvolutionView
from installation.scenes.grid import GridPlan
from installation.scenes.morph import MorphPlan
from installation.scenes.views import GridView, MorphView
from installation.scenes.walk import WalkParams


def walk_for(show, z_dim: int) -> WalkParams:
    """The show's walk for a model with z_dim latent dimensions."""
    return WalkParams(seed=show.seed, z_dim=z_dim, keyframe_s=show.walk.keyframe_s,
                      speed=show.walk.speed, wander=show.walk.wander)


def mood_steer(mood: str | None, info) -> Callable[[np.ndarray], np.ndarray] | None:
    """A z -> z function keeping the walk inside `mood`'s region, or None (no mood asked).
    Raises SceneUnavailable when the model has no region for that mood."""
    if mood is None:
        return None
    try:
        regions = parse_moods(info.moods, info.z_dim)
    except MoodsError as exc:
        raise SceneUnavailable(str(exc)) from None
    if mood not in regions:
        raise SceneUnavailable(f"this model has no region for mood '{mood}'")
    region = regions[mood]
    # Rotate just far enough that a typical z (90 degrees off) lands inside the region's median cone.
    return lambda z: steer(z, region, region.inside_strength).astype(np.float32)


def make_view(entry, model: Generator, fps: float, walk: WalkParams, scale: str,
              background: tuple[int, int, int], colour=None, live: bool = True,
              frames_per_image: int = 1) -> SceneView:
    """The view for playlist entry `entry` (a show.config scene) on `model`. `colour` is the
    calibration's table for images the scene brings itself (evolution); `live=False` for offline
    rendering (no need to start ahead of the clock); `frames_per_image`: a morph generates every
    such frame and blends between (what the machine sustains, player/loop.py). Raises
    SceneUnavailable, naming the model, for a scene it cannot show."""
    info = model.info
    if entry.scene == "evolution":  # replays training: no walk, so no mood either
        if model.replay is None:
            raise SceneUnavailable(f"model '{info.title or model.name}' {model.replay_problem}")
        return EvolutionView(model.replay, entry.loop_s, scale, background, colour=colour)
    steer_z = mood_steer(getattr(entry, "mood", None), info)
    if entry.scene == "morph":
        plan = MorphPlan(walk, fps, steer=steer_z, frames_per_image=frames_per_image)
        return MorphView(plan, info.image_size, scale, background)
    if entry.scene == "grid":
        plan = GridPlan(walk, entry.cols * entry.rows, entry.tile_fps, steer=steer_z, live=live)
        return GridView(plan, entry.cols, entry.rows, info.image_size, scale, background)
    raise SceneUnavailable(f"scene '{entry.scene}' is not available in this player yet")
