"""player/capacity.py: what a machine making so many images per second shows of each scene, the batch
that arrives in time, and the one line that says so; cast() builds the view the player hands over to."""

from dataclasses import replace

import pytest

from installation.model.load import load
from installation.player import capacity
from installation.player.programme import Want
from installation.scenes.evolution import EvolutionScene
from installation.scenes.grid import GridScene
from installation.scenes.morph import MorphScene
from installation.show.config import load_show

GRID = GridScene(scene="grid", cols=12, rows=12, tile_fps=4.0)


@pytest.mark.parametrize("entry, fps, made, want_entry, every, line", [
    (MorphScene(), 60, 500.0, MorphScene(), 1, None),
    (MorphScene(), 60, 0.0, MorphScene(), 1, None),                  # not measured: as asked
    (MorphScene(), 30, 12.0, MorphScene(), 4,                         # 0.75 x 12 = 9/s: every 4th frame
     "playlist entry 2: a morph at 30 fps asks 30 images/s; this machine makes 12 with 'tiny': "
     "generating 7.5/s, blending between them"),
    (GRID, 60, 1000.0, GRID, 1, None),                               # 576 <= 750
    (GRID, 60, 80.0, GRID.model_copy(update={"tile_fps": 60 / 144}), 1,
     "playlist entry 2: a 12x12 grid at 4 Hz/tile asks 576 images/s; this machine makes 80 with 'tiny': "
     "showing 0.42 Hz/tile"),
    (EvolutionScene(scene="evolution"), 60, 0.5, EvolutionScene(scene="evolution"), 1, None),  # no generation
])
def test_what_a_machine_sustains(entry, fps, made, want_entry, every, line):
    sustained = capacity.sustain(entry, fps, made)
    assert sustained.entry == want_entry and sustained.frames_per_image == every
    assert capacity.degraded_line(1, sustained, made, "tiny") == line


@pytest.mark.parametrize("images_per_s, batch", [(0.5, 1), (3.7, 3), (12.0, 8), (540.0, 8), (0.0, 8)])
def test_a_slow_machine_generates_in_batches_it_can_make_within_a_second(images_per_s, batch):
    assert capacity.sustainable_batch(8, images_per_s) == batch


@pytest.mark.parametrize("batches, since, made", [
    ([], 0.0, None),
    ([(10.0, 1, 1.5), (11.5, 1, 1.5)], 0.0, None),                          # two images: too few to judge
    ([(10.0, 1, 1.5), (11.5, 1, 1.5), (13.0, 1, 1.5)], 0.0, 2 / 3),        # 3 images in 4.5 s of work
    ([(10.0, 8, 0.01)] * 3, 0.0, None),                                     # 24 images in 0.03 s: too short
    ([(t, 8, 0.5) for t in range(10)], 0.0, 16.0),                          # the newest 3 s of work
    ([(1.0, 1, 0.1), (2.0, 1, 0.1), (20.0, 1, 10.0), (31.0, 1, 10.0)], 0.0, 3 / 20.1),   # a hog arrived
    ([(1.0, 1, 0.1), (2.0, 1, 0.1), (20.0, 1, 10.0), (31.0, 1, 10.0)], 10.0, None),  # batches shared: left out
])
def test_what_the_machine_makes_now_is_timed_from_the_work(batches, since, made):
    assert capacity.made_per_s(batches, since) == (pytest.approx(made) if made else None)


@pytest.mark.parametrize("asked, images_per_s, made, degraded, rate", [
    (0.615, 0.82, 0.7, True, None),      # a little slower than measured at load: no new hand-over for it
    (0.615, 0.82, 0.1, True, 0.1),       # a CPU hog: 0.75 x 0.1 falls short of 0.615
    (0.075, 0.1, 0.7, True, 0.7),        # the hog gone: a scene shown with less than it asks asks more
    (60.0, 500.0, 300.0, False, None),   # a fast machine slower: the morph still gets all it asks
    (60.0, 500.0, 900.0, False, None),   # or faster: nothing to gain from a hand-over
    (60.0, 500.0, None, False, None),    # not judged yet
])
def test_a_running_scene_is_cast_again_only_when_it_matters(asked, images_per_s, made, degraded, rate):
    assert capacity.recast_rate(asked, images_per_s, made, degraded) == rate


def test_cast_builds_the_sustained_view_and_a_morph_for_a_scene_the_model_cannot_show(tiny_model_path, show_file):
    show = load_show(show_file("morph"))
    slow = replace(load(tiny_model_path), images_per_s=12.0)
    cast = capacity.cast(Want(0, "tiny", MorphScene(), show), slow, show.display)
    assert cast.view.name == "morph" and cast.view.plan.frames_per_image == 4 and cast.unavailable is None
    assert "generating 7.5/s" in cast.degraded
    evolution = Want(0, "tiny", EvolutionScene(scene="evolution"), show)
    cast = capacity.cast(evolution, slow, show.display)
    assert cast.view.name == "morph"
    assert cast.unavailable == ("playlist entry 1: model 'tiny random test generator' has no training timelapse; "
                                "morph and grid play it (for evolution, export its run again with this version "
                                "of aimoji-train export); showing a morph of it instead")


def test_on_a_wall_every_pc_casts_the_show_s_rate_and_a_slow_one_says_so(tiny_model_path, show_file):
    wall = {"canvas": [640, 240], "screens": [{"name": "left", "rect": [0, 0, 320, 240]},
                                              {"name": "right", "rect": [320, 0, 320, 240]}]}
    show = load_show(show_file("morph")).model_validate({**load_show(show_file("morph")).model_dump(), "wall": wall})
    slow = replace(load(tiny_model_path), images_per_s=12.0)
    cast = capacity.cast(Want(0, "tiny", MorphScene(), show, "right"), slow, show.display, (255, 255, 255))
    assert cast.view.plan.frames_per_image == 1                       # the same frames as every other PC
    assert cast.view.region.visible == (320, 0, 320, 240) and cast.view.region.canvas == (640, 240)
    assert cast.degraded == ("playlist entry 1: a morph at 30 fps asks 30 images/s; this machine makes 12 with "
                             f"'tiny': {capacity.WALL_INSTEAD}")
    grid = capacity.cast(Want(0, "tiny", GridScene(scene="grid", cols=4, rows=2), show, "right"), slow,
                         show.display, (255, 255, 255))
    assert grid.view.plan.tiles == 4 and grid.view.plan.tile_fps == 4.0    # its half of the tiles, as asked
    each = show.model_copy(update={"wall": show.wall.model_copy(update={"morph": "each"})})
    cast = capacity.cast(Want(0, "tiny", MorphScene(), each, "right"), slow, show.display, (255, 255, 255))
    assert cast.view.region.canvas == (320, 240)                      # a whole emoji on this screen
