"""A wall of screens: the canvas rendered whole by one player and as its screens by one player per
screen at the same injected wall time; outside the bezels the parts are the whole, frame by frame
(frames matched by their number, floor(wall time x fps), which every player publishes)."""

import numpy as np
import pygame
import pytest

from installation.cli import main
from installation.display.output import Window
from installation.model.load import load
from installation.player.loop import Player
from installation.show.config import load_show
from tests.support.clock import FastClock

WALL_START = 1_800_000_000.0     # every player's wall clock starts here
CANVAS, BEZEL = (512, 128), 4
VISIBLE = (CANVAS[0] // 2 - 2 * BEZEL, CANVAS[1] - 2 * BEZEL)    # 248 x 120 per screen
FPS = 10

SHOW = """
title = "wall test"
seed = 7
[display]
resolution = "{w}x{h}"
fps = {fps}
scale = "{scale}"
[transitions]
crossfade_s = 0
[[playlist]]
scene = "{scene}"
duration_s = 600
{extra}
"""

WALL = f"""
[wall]
canvas = [{CANVAS[0]}, {CANVAS[1]}]
morph = "{{morph}}"
[[wall.screens]]
name = "left"
rect = [0, 0, {CANVAS[0] // 2}, {CANVAS[1]}]
bezel = {BEZEL}
[[wall.screens]]
name = "right"
rect = [{CANVAS[0] // 2}, 0, {CANVAS[0] // 2}, {CANVAS[1]}]
bezel = {BEZEL}
"""

ONE_SCREEN = f"""
[wall]
canvas = [{CANVAS[0]}, {CANVAS[1]}]
[[wall.screens]]
name = "all"
rect = [0, 0, {CANVAS[0]}, {CANVAS[1]}]
"""


class Recorder(Window):
    """The dummy display, keeping what each present showed."""
    shown = None

    def present(self) -> None:
        super().present()
        self.shown = np.ascontiguousarray(pygame.surfarray.array3d(self.surface).transpose(1, 0, 2))


def frames_of(show_path, model, size, screen=None, seconds=2.5, late_s=0.0) -> dict[int, np.ndarray]:
    """{frame number: the picture presented} of one headless player on the injected wall clock, started
    late_s after the others."""
    pygame.display.init()
    try:
        display = Recorder(pygame.display.set_mode(size))
        frames = {}

        def on_frame(player):   # the state then holds the number of the frame presented last
            if display.shown is not None:
                frames[player.snapshot().frames.number] = display.shown
                display.shown = None

        player = Player(load_show(show_path), {model.name: model}, model.name, display, screen=screen,
                        on_frame=on_frame, **FastClock(speed=1.0, wall_start=WALL_START + late_s).player_clocks())
        player.run(seconds=seconds)
        return frames
    finally:
        pygame.display.quit()


def write(tmp_path, name, scene, size, scale="pixel", extra="", wall=""):
    path = tmp_path / f"{name}.toml"
    path.write_text(SHOW.format(w=size[0], h=size[1], fps=FPS, scale=scale, scene=scene, extra=extra) + wall)
    return path


def parts_of(whole: np.ndarray) -> dict[str, np.ndarray]:
    """The whole canvas's pixels each screen shows (its rect inset by the bezel)."""
    half = CANVAS[0] // 2
    return {"left": whole[BEZEL:-BEZEL, BEZEL:half - BEZEL], "right": whole[BEZEL:-BEZEL, half + BEZEL:-BEZEL]}


def compare(whole: dict, parts: dict, tolerance: int) -> tuple[int, int]:
    """(frames compared, frames where every screen matches the whole within `tolerance` levels)."""
    common = sorted(set(whole).intersection(*(set(p) for p in parts.values())))[2:]   # past the late one's start
    same = 0
    for n in common:
        expected = parts_of(whole[n])
        same += all(np.abs(expected[s].astype(int) - parts[s][n].astype(int)).max() <= tolerance for s in parts)
    return len(common), same


def run_wall(tmp_path, model, scene, whole_show, scale="pixel", extra=""):
    whole = frames_of(whole_show, model, CANVAS, screen="all")
    wall = write(tmp_path, "wall", scene, VISIBLE, scale, extra, WALL.format(morph="span"))
    # The right screen's PC joins 0.6 s late: it starts at the frame the clock says, as the others show it.
    parts = {s: frames_of(wall, model, VISIBLE, screen=s, late_s=late) for s, late in (("left", 0), ("right", 0.6))}
    return whole, parts


@pytest.mark.parametrize("scene, extra", [("morph", ""), ("grid", "cols = 7\nrows = 2\ntile_fps = 2\n")])
def test_morph_and_grid_span_the_wall_parts_equal_the_whole(tmp_path, tiny_model_path, scene, extra):
    model = load(tiny_model_path)
    whole_show = write(tmp_path, "whole", scene, CANVAS, extra=extra)   # no wall: the plain player
    whole, parts = run_wall(tmp_path, model, scene, whole_show, extra=extra)
    compared, same = compare(whole, parts, tolerance=0)       # pixel scaling: whole source pixels, exact
    # A frame whose image came too late holds the one before (a drop, counted): on a busy machine the
    # niced generation thread makes a few late on one player or another. A wrong layout matches none.
    assert compared >= 8 and same >= 0.75 * compared, (compared, same)
    # The picture really crosses the seam: the left screen's right edge is not the background.
    n = max(set(parts["left"]) & set(parts["right"]))
    assert (parts["left"][n][:, -1] != 255).any() and (parts["right"][n][:, 0] != 255).any()


def test_smooth_scaling_parts_match_the_whole_within_scaling_tolerance(tmp_path, evo_model_path):
    # The replay's frames are smooth gradients (16 levels a pixel): a crop scaled on its own lands
    # within one source pixel of where smoothscale puts that pixel when it scales the whole image.
    model = load(evo_model_path)
    whole_show = write(tmp_path, "whole", "evolution", CANVAS, "smooth", "loop_s = 4\n", ONE_SCREEN)
    whole, parts = run_wall(tmp_path, model, "evolution", whole_show, "smooth", "loop_s = 4\n")
    compared, same = compare(whole, parts, tolerance=8)
    assert compared >= 8 and same == compared, (compared, same)


def test_evolution_spans_the_wall_on_the_clock(tmp_path, evo_model_path):
    # Evolution on a wall runs on the wall clock, so the whole is a wall of one screen the canvas's size.
    model = load(evo_model_path)
    whole_show = write(tmp_path, "whole", "evolution", CANVAS, extra="loop_s = 4\n", wall=ONE_SCREEN)
    whole, parts = run_wall(tmp_path, model, "evolution", whole_show, extra="loop_s = 4\n")
    compared, same = compare(whole, parts, tolerance=0)
    assert compared >= 8 and same == compared, (compared, same)


def test_morph_each_shows_one_emoji_per_screen(tmp_path, tiny_model_path):
    model = load(tiny_model_path)
    wall = write(tmp_path, "wall", "morph", VISIBLE, wall=WALL.format(morph="each"))
    left, right = (frames_of(wall, model, VISIBLE, screen=s) for s in ("left", "right"))
    n = sorted(set(left) & set(right))[-1]
    assert np.array_equal(left[n], right[n])         # the same emoji, whole on each screen
    side = VISIBLE[1] // 32 * 32                       # pixel scaling: whole multiples, centred
    x = (VISIBLE[0] - side) // 2
    assert (left[n][:, :x] == 255).all() and (left[n][:, x:x + side] != 255).any()


def test_play_with_a_screen_not_on_the_wall_is_one_line_and_exit_2(tmp_path, tiny_model_path, capsys):
    wall = write(tmp_path, "wall", "morph", VISIBLE, wall=WALL.format(morph="span"))
    rc = main(["play", "--headless", "--seconds", "1", "--model", str(tiny_model_path), "--show", str(wall),
               "--screen", "middle"])
    assert rc == 2
    assert capsys.readouterr().err.strip() == f"{wall}: screen 'middle' is not on the wall; known: left, right"


@pytest.fixture(scope="module")
def evo_model_path(tmp_path_factory):
    from tests.installation.scenes.test_evolution import timelapse_payload, synthetic_frames
    from tests.support.model_files import generator_bytes
    import json
    path = tmp_path_factory.mktemp("evo_models") / "evo.onnx"
    path.write_bytes(generator_bytes(side=16, metadata={
        "title": "evo", "timelapse": json.dumps(timelapse_payload(synthetic_frames()))}))
    return path


def test_without_the_flag_the_screen_comes_from_the_pcs_screen_file(tmp_path, tiny_model_path, capsys, monkeypatch):
    file = tmp_path / "etc" / "screen"
    monkeypatch.setattr("installation.paths.SCREEN_FILE", file)
    wall = write(tmp_path, "wall", "morph", VISIBLE, wall=WALL.format(morph="span"))
    stats = tmp_path / "stats.json"
    argv = ["play", "--headless", "--seconds", "1.5", "--model", str(tiny_model_path), "--show", str(wall),
            "--stats-json", str(stats)]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (f"{file}: not found; a show with a [wall] needs this PC's screen "
                                               "name there (one word, e.g. 'left') or `--screen NAME`")
    file.parent.mkdir()
    file.write_text("right\n")
    assert main(argv) == 0 and stats.is_file()
