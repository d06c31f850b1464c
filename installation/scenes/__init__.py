"""Scenes the player can show: pure plans and selectors (morph.py, grid.py, layout.py) and thin
pygame views (views.py). `make_view` builds the view for one playlist entry."""

from __future__ import annotations

import math

import numpy as np

from installation.scenes.base import SceneUnavailable, SceneView
from installation.scenes.walk import WalkParams


def walk_for(show, z_dim: int) -> WalkParams:
    """The show's walk for a model with z_dim latent dimensions."""
    return WalkParams(seed=show.seed, z_dim=z_dim, keyframe_s=show.walk.keyframe_s,
                      speed=show.walk.speed, wander=show.walk.wander)


def mood_steer(mood: str | None, info):
    """A z -> z function keeping the walk inside `mood`'s region, or None (no mood asked).
    Raises SceneUnavailable when the model has no region for that mood."""
    if mood is None:
        return None
    from installation.model.moods import MoodsError, parse_moods, steer
    try:
        regions = parse_moods(info.moods, info.z_dim)
    except MoodsError as exc:
        raise SceneUnavailable(str(exc)) from None
    if mood not in regions:
        raise SceneUnavailable(f"this model has no region for mood '{mood}'")
    region = regions[mood]
    # Rotate just far enough that a typical z (90 degrees off) lands inside the region's median cone.
    strength = min(1.0, max(0.0, 1.0 - math.acos(region.radius_cos) / (math.pi / 2)))
    return lambda z: steer(z, region, strength).astype(np.float32)


def make_evolution_view(info, loop_s: float, scale: str, background: tuple[int, int, int], model_name: str):
    """The evolution scene's view for a model (not yet decoded: see OwnFramesPipeline). Raises
    SceneUnavailable, naming the model, when it carries no usable timelapse."""
    from installation.scenes.evolution import TimelapseError, parse_timelapse
    from installation.scenes.evolution_view import EvolutionView

    if info.timelapse is None:
        raise SceneUnavailable(f"model {model_name} has no training timelapse; re-export with a newer trainer")
    try:
        timelapse = parse_timelapse(info.timelapse)
    except TimelapseError as exc:
        raise SceneUnavailable(f"model {model_name}: {exc}") from None
    return EvolutionView(timelapse, loop_s, scale, background)


def make_view(entry, show, info, fps: float, walk: WalkParams | None = None) -> SceneView:
    """The view for playlist entry `entry` (a show.Scene) with a model described by `info`
    (model_contract.ModelInfo). Raises SceneUnavailable for a scene this player cannot build."""
    from installation.scenes.grid import GridPlan
    from installation.scenes.layout import parse_colour
    from installation.scenes.morph import MorphPlan
    from installation.scenes.views import GridView, MorphView

    background = parse_colour(show.display.background)
    if entry.scene == "evolution":  # replays training: no walk, so no mood either
        return make_evolution_view(info, entry.loop_s, show.display.scale, background,
                              f"'{info.title or entry.model}'")
    walk = walk or walk_for(show, info.z_dim)
    steer = mood_steer(getattr(entry, "mood", None), info)
    if entry.scene == "morph":
        return MorphView(MorphPlan(walk, fps, steer=steer), info.image_size, show.display.scale, background)
    if entry.scene == "grid":
        plan = GridPlan(walk, entry.cols * entry.rows, entry.tile_fps, steer=steer)
        return GridView(plan, entry.cols, entry.rows, info.image_size, show.display.scale, background)
    raise SceneUnavailable(f"scene '{entry.scene}' is not available in this player yet")


__all__ = ["SceneUnavailable", "SceneView", "make_evolution_view", "make_view", "mood_steer", "walk_for"]
