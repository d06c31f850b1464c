"""The player: headless runs from the CLI, the command queue, snapshots, hooks, and bad input."""

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from installation.calibration import profile as cal
from installation.calibration.apply import Calibration
from installation.cli import main
from installation.player.messages import ModelReady, Quit, Rejected, ShowReady
from installation.model.load import load
from installation.display.output import Window
from installation.player.loop import Player
from installation.show.config import load_show
from installation.scenes.walk import latent_at
from tests.support.sessions import slowed

STATS_KEYS = {"frames", "dropped_frames", "fps_target", "frame_ms_p50", "frame_ms_p99", "first_frame_s",
              "generated", "model", "scene", "model_swaps", "rejected_files"}


def test_headless_cli_run_writes_stats_json(models_dir, show_file, tmp_path):
    stats_path = tmp_path / "stats.json"
    rc = main(["play", "--headless", "--seconds", "2", "--models", str(models_dir),
               "--show", str(show_file("morph")), "--stats-json", str(stats_path)])
    assert rc == 0
    stats = json.loads(stats_path.read_text())
    assert STATS_KEYS <= set(stats)
    assert stats["fps_target"] == 30
    # Every frame slot from the first emoji to the end is either shown or counted dropped, none skipped.
    slots = (stats["uptime_s"] - stats["first_frame_s"]) * 30
    assert stats["frames"] > 0 and abs(stats["frames"] + stats["dropped_frames"] - slots) <= 2
    assert stats["model"] == "tiny" and stats["scene"] == "morph"
    assert stats["model_swaps"] == 0 and stats["rejected_files"] == 0
    assert stats["generated"] >= stats["frames"] - stats["dropped_frames"] - 5
    assert 0 < stats["first_frame_s"] < 5
    assert 0 < stats["frame_ms_p50"] <= stats["frame_ms_p99"]


def test_headless_grid_screenshot(models_dir, show_file, tmp_path):
    from PIL import Image
    shot = tmp_path / "grid.png"
    extra = "cols = 4\nrows = 3\ntile_fps = 4\n"
    rc = main(["play", "--headless", "--seconds", "1.5", "--models", str(models_dir),
               "--show", str(show_file("grid", extra)), "--screenshot", str(shot)])
    assert rc == 0
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape == (240, 320, 3)
    tile = 240 // 3                                     # 4 x 3 tiles of 80 px, centred
    left = (320 - 4 * tile) // 2
    assert (img[:, :left] == 255).all()                 # white margins (show background)
    assert img[:, left:left + 4 * tile].std() > 20      # tiles with pictures in them


def _player(screen, show_path, model, **kw):
    return Player(load_show(show_path), {model.name: model}, model.name, Window(screen), **kw)


def test_post_quit_and_snapshot_from_another_thread(screen, tiny_model_path, show_file):
    player = _player(screen, show_file("morph"), load(tiny_model_path))
    seen = []

    def poll():
        for _ in range(40):
            seen.append(player.snapshot())
            time.sleep(0.02)
        player.post(Quit())
    threading.Thread(target=poll).start()
    stats = player.run(seconds=10)
    assert stats["uptime_s"] < 5                        # Quit ended it, not the 10 s limit
    last = seen[-1]
    assert last.frames.shown > 10 and last.frames.fps > 10
    assert last.model == "tiny" and last.scene == "morph" and last.activity == "playing"
    assert last.frames.last_monotonic <= time.monotonic()
    assert [s.frames.shown for s in seen] == sorted(s.frames.shown for s in seen)


def test_model_ready_swaps_with_a_crossfade(screen, tiny_model_path, export_model, show_file):
    other = load(export_model("other", seed=5))
    player = _player(screen, show_file("morph"), load(tiny_model_path))

    def later():
        time.sleep(0.4)
        player.post(ModelReady("other", other))
        player.post(Rejected("/x/broken.onnx", "not an ONNX file"))
    threading.Thread(target=later).start()
    stats = player.run(seconds=1.5)
    assert stats["model"] == "other" and stats["model_swaps"] == 1 and stats["rejected_files"] == 1


def test_show_ready_changes_the_scene(screen, tiny_model_path, show_file):
    player = _player(screen, show_file("morph"), load(tiny_model_path))
    grid = load_show(show_file("grid", "cols = 2\nrows = 2\n"))
    threading.Timer(0.3, player.post, [ShowReady(grid)]).start()
    stats = player.run(seconds=1.2)
    assert stats["scene"] == "grid"


@pytest.mark.realtime
def test_dry_buffer_repeats_the_last_frame_and_counts_drops(screen, tiny_model_path, show_file):
    # ~7 images/s for a 30 fps show, and not measured at load (0): the morph asks every frame
    slow = replace(slowed(load(tiny_model_path), 6.7), images_per_s=0.0)
    player = _player(screen, show_file("morph"), slow, batch=1)
    stats = player.run(seconds=1.5)
    assert stats["frames"] >= 35                        # the loop kept its rate...
    assert stats["dry_frames"] > 10                     # ...repeating frames...
    assert stats["dropped_frames"] >= stats["dry_frames"]  # ...and counted each one


def test_calibration_colour_is_applied_to_what_is_shown(screen, tiny_model_path, show_file):
    calibration = Calibration(cal.Profile(colour=cal.Colour(gamma=2.0, red=0.8)))
    player = _player(screen, show_file("morph"), load(tiny_model_path), calibration=calibration)
    player.run(seconds=0.6)
    view = player.stage.current.view
    shown = view.current_image()
    # the image on screen is the calibrated generation of the walk's z for the frame shown
    z = latent_at(view.plan.walk, view.selector.current_key / view.plan.fps)
    model = load(tiny_model_path)
    want = cal.apply_lut(model.generate(z[None])[0], calibration.lut)
    assert np.abs(shown.astype(int) - want).max() <= 1
    assert tuple(screen.get_at((0, 0)))[:3] == calibration.colour((255, 255, 255))   # margins too


def test_schedule_hook_closed_shows_black(screen, tiny_model_path, show_file):
    player = _player(screen, show_file("morph"), load(tiny_model_path),
                     schedule=lambda now: (None, now + 3600))
    stats = player.run(seconds=0.5)
    assert stats["scene"] == "closed" and stats["generated"] == 0
    assert screen.get_at((80, 60))[:3] == (0, 0, 0)


# ---- bad input: one clear line naming the file, non-zero exit ---------------------------------------

def _one_line_error(capsys, argv):
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0
    assert len(err) == 1, err
    return err[0]


def test_missing_model_file(capsys, tmp_path, show_file):
    line = _one_line_error(capsys, ["play", "--headless", "--seconds", "1", "--show", str(show_file()),
                                    "--model", str(tmp_path / "gone.onnx")])
    assert line == f"{tmp_path / 'gone.onnx'}: model file not found"


def test_invalid_model_file(capsys, tmp_path, show_file):
    bad = tmp_path / "junk.onnx"
    bad.write_bytes(b"this is not a protobuf")
    line = _one_line_error(capsys, ["play", "--headless", "--seconds", "1", "--show", str(show_file()),
                                    "--model", str(bad)])
    assert line == f"{bad}: not an ONNX file; allowed: an ONNX generator from aimoji-train export"


def test_metadata_lacks_z_dim(capsys, export_model, show_file):
    path = export_model("noz", metadata={"z_dim": None})
    line = _one_line_error(capsys, ["play", "--headless", "--show", str(show_file()), "--model", str(path)])
    assert line == f"{path}: metadata lacks 'z_dim'"


def test_wrong_output_shape(capsys, export_model, show_file):
    path = export_model("wrongsize", metadata={"image_size": "64"})
    line = _one_line_error(capsys, ["play", "--headless", "--show", str(show_file()), "--model", str(path)])
    assert line.startswith(f"{path}: output axis 2 is 32 but metadata says 64")


def test_missing_show_file(capsys, tmp_path, models_dir):
    line = _one_line_error(capsys, ["play", "--headless", "--models", str(models_dir),
                                    "--show", str(tmp_path / "nope.toml")])
    assert line == f"{tmp_path / 'nope.toml'}: show file not found"


def test_no_model_yet_says_what_is_missing(capsys, tmp_path, show_file):
    line = _one_line_error(capsys, ["play", "--headless", "--show", str(show_file()),
                                    "--models", str(tmp_path)])
    assert line.startswith(f"{tmp_path}: no .onnx model here yet")
    assert "aimoji-train export" in line


def test_no_display_writes_a_demo_gif(tmp_path, models_dir, show_file):
    from installation.display.output import display_available
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if display_available(env):
        pytest.skip("this machine has a console display device")
    gif = tmp_path / "demo.gif"
    out = subprocess.run([sys.executable, "-m", "installation.cli", "play", "--models", str(models_dir),
                          "--show", str(show_file()), "--demo-gif", str(gif)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("no display here") and str(gif) in lines[0]
    from PIL import Image
    with Image.open(gif) as im:
        assert im.n_frames == 60                        # 4 s at 15 fps
