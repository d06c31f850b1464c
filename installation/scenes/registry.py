"""Every scene the player can show, listed once. A new scene is one module (see scenes/base.py) and one
line in SCENES; the show's playlist, `aimoji render`'s choices and the player's capacity rule follow.

`make_view` builds the view for one playlist entry and one model, for the player and `aimoji render`
alike; `sustainable` says how a machine making so many images per second can show an entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any, Union

import numpy as np
from pydantic import Discriminator, Tag

from installation.model.moods import MoodsError, parse_moods, steer
from installation.scenes import evolution, grid, morph
from installation.scenes.base import SceneEntry, SceneKind, SceneUnavailable, SceneView, Sustained, ViewSpec

SCENES: tuple[SceneKind, ...] = (morph.KIND, grid.KIND, evolution.KIND)
KINDS: dict[str, SceneKind] = {k.name: k for k in SCENES}
DEFAULT = "morph"   # a [[playlist]] entry without `scene = ...` is a morph, the installation's main scene


def kind_of(entry: SceneEntry) -> SceneKind:
    return KINDS[entry.scene]


def _tag(v: Any) -> str | None:
    if isinstance(v, dict):
        return v.get("scene", DEFAULT)
    return getattr(v, "scene", None)


# The type of one [[playlist]] entry: whichever scene its `scene` tag names.
Entry = Annotated[Union[tuple(Annotated[k.entry, Tag(k.name)] for k in SCENES)], Discriminator(_tag)]


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


def make_view(entry: SceneEntry, model, spec: ViewSpec) -> SceneView:
    """The view for playlist entry `entry` on `model` (model.load.Generator). Raises SceneUnavailable,
    naming the model, for a scene it cannot show (a mood it has no region for, no timelapse)."""
    kind = kind_of(entry)
    if kind.walks:
        spec = replace(spec, steer=mood_steer(entry.mood, model.info))
    return kind.view(entry, model, spec)


def sustainable(entry: SceneEntry, fps: float, images_per_s: float) -> Sustained:
    """The entry as a machine that can spend images_per_s on it shows it (0: not measured, as asked)."""
    return kind_of(entry).sustainable(entry, fps, images_per_s)


def looped(entry: SceneEntry, seconds: float) -> SceneEntry:
    """The entry made to repeat exactly every `seconds` (aimoji render's seamless loops)."""
    return kind_of(entry).looped(entry, seconds)
