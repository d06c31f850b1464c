"""What this machine can show (pure): how much of a model's measured speed a scene may use, the batch
that arrives in time, and the one line that says when a scene shows less than its entry asks.

The model's speed (images/s) is measured when it is loaded (model/load.py); each scene's own rule
(scenes/registry.py) turns the share it may use into the entry it can show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from installation.display import sharp
from installation.display.viewport import Spanned
from installation.geometry import Region
from installation.scenes import registry
from installation.scenes.base import Canvas, SceneEntry, SceneUnavailable, SceneView, Sustained, ViewSpec
from installation.scenes.walk import walk_for
from installation.show.wall import region_for

GENERATION_SHARE = 0.75   # of the images/s measured at load that a scene may ask for (the loop needs CPU too)
BATCH_LATENCY_S = 1.0     # the longest a batch of images may take: an image waits for its whole batch
REMEASURE_S = 3.0         # a running scene's generator is timed over at least this much work...
MIN_IMAGES = 3            # ...and this many images
SHORTFALL = 0.8           # the machine makes a fifth less than the scene needs (or a quarter more): cast again


def sustainable_batch(batch: int, images_per_s: float) -> int:
    """The batch this machine can make within BATCH_LATENCY_S: on a slow one (an emulated CPU makes 0.5
    images/s) a batch of 8 arrives 16 s after it was asked for, its images already in the past, and the
    wall holds a still picture meanwhile; one image at a time arrives in 2 s."""
    if images_per_s <= 0:
        return batch
    return max(1, min(batch, int(images_per_s * BATCH_LATENCY_S)))


def made_per_s(batches, since: float) -> float | None:
    """The images/s the generator makes now, from its latest batches started at or after monotonic time
    `since` ((started, images, seconds) each, oldest first): the time it took to make them, not how
    many arrived, so a scene that asks little is not taken for a slow machine. None until there are at
    least MIN_IMAGES images over REMEASURE_S of work."""
    images, seconds = 0, 0.0
    for started, n, took in reversed(batches):
        if started < since:
            break
        images, seconds = images + n, seconds + took
        if images >= MIN_IMAGES and seconds >= REMEASURE_S:
            return images / seconds
    return None


def recast_rate(asked_per_s: float, images_per_s: float, made: float | None, degraded: bool) -> float | None:
    """The images/s to cast a running scene again with, or None to leave it: when the machine now makes
    too few for what the scene asks (another program took the CPU), or, for a scene shown with less than
    its entry asks, clearly more than when it was cast (the other program ended)."""
    if made is None or made <= 0:
        return None
    if GENERATION_SHARE * made < SHORTFALL * asked_per_s:
        return made
    if degraded and made * SHORTFALL > images_per_s:
        return made
    return None


def sustain(entry: SceneEntry, fps: float, images_per_s: float) -> Sustained:
    """The entry as a machine whose model makes images_per_s can show it at fps."""
    return registry.sustainable(entry, fps, GENERATION_SHARE * images_per_s)


def degraded_line(index: int, sustained: Sustained, images_per_s: float, model: str,
                  instead: str | None = None) -> str | None:
    """'playlist entry 2: a 12x12 grid at 4 Hz/tile asks 576 images/s; this machine makes 300 with
    'default': showing 0.52 Hz/tile' (or `instead` of what it shows), or None when the entry is shown
    as asked."""
    if sustained.asked is None:
        return None
    return (f"playlist entry {index + 1}: {sustained.asked}; this machine makes {images_per_s:.3g} "
            f"with '{model}': {instead or sustained.instead}")


@dataclass(frozen=True)
class Cast:
    """A playlist entry made into a view this machine can feed."""
    view: SceneView
    degraded: str | None       # why it shows less than its entry asks (degraded_line), or None
    unavailable: str | None    # why the entry's own scene could not be made (a morph stands in), or None
    enlarge: Callable[[np.ndarray], np.ndarray | None] | None = None   # the worker's step for 'sharp' (`enlarger`)


WALL_INSTEAD = "a wall keeps the show's rate: this PC shows the frames it makes in time and holds the picture between"


def wall_region(want, scene: str) -> Region | None:
    """This PC's part of the show's wall for a scene of kind `scene`, None without a wall: a morph with
    morph = "each" has the screen's visible area to itself, every other scene spans the canvas."""
    wall = want.show.wall
    if wall is None:
        return None
    return region_for(wall, want.screen, want.show.title, spanning=scene != "morph" or wall.morph == "span")


def enlarger(view: SceneView, scale: str, canvas: Callable[[], Canvas] | None):
    """The worker's step for display.scale 'sharp' (display/sharp.py `ahead`): each image enlarged for
    the box `view` draws it into on the canvas as it is when the image is made (`canvas()`, read on
    the worker's thread: a resized display's next images fit it; the screen enlarges the ones made
    before); None for the other scales or without a canvas. A wall's screen enlarges nothing ahead
    (Spanned.image_box)."""
    if scale != "sharp" or canvas is None:
        return None
    return lambda image: sharp.ahead(image, view.image_box(canvas()))


def cast(want, model, display, colour=None, canvas: Callable[[], Canvas] | None = None) -> Cast:
    """The view for `want` (player/programme.py Want) on `model` at the show's `display`: the entry as
    this machine sustains it; a scene the model cannot show becomes a morph of it (never an empty wall).
    On a wall (the show's [wall], this PC's screen in want.screen) the entry as asked, so every PC draws
    the same frames, laid out on the wall's canvas and drawn through this screen's viewport. With
    `canvas` (the screen as it is now), the worker's 'sharp' step (`enlarger`)."""
    def make(entry, colour):
        sustained = sustain(entry, display.fps, model.images_per_s)
        instead = None if want.show.wall is None else WALL_INSTEAD
        degraded = degraded_line(want.index, sustained, model.images_per_s, model.name, instead)
        region = wall_region(want, entry.scene)
        spec = ViewSpec(display.fps, walk_for(want.show, model.info.z_dim), display.scale, colour=colour,
                        region=region,
                        frames_per_image=sustained.frames_per_image if instead is None else 1)
        view = registry.make_view(sustained.entry if instead is None else entry, model, spec)
        return view if region is None else Spanned(view, region), degraded

    try:
        (view, degraded), unavailable = make(want.entry, colour), None
    except SceneUnavailable as exc:
        unavailable = f"playlist entry {want.index + 1}: {exc}; showing a morph of it instead"
        view, degraded = make(registry.KINDS[registry.DEFAULT].entry(), None)
    return Cast(view, degraded, unavailable, enlarger(view, display.scale, canvas))
