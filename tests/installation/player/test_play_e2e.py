"""`aimoji play` end to end: hot reload while playing (good model, garbage), a short soak through the real
wiring, the player's memory of models, show_change, and calibration pixels against calibration's maths."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from installation.calibration import profile as cal
from installation.cli import main
from installation.player.messages import ModelReady, ShowReady
from installation.model.load import load
from installation.display.output import Window
from installation.player.loop import Player
from installation.calibration.frame_map import frame_size, picture_rect
from installation.show.config import load_show

ROOT = Path(__file__).resolve().parents[3]
from tests.support.model_files import generator_bytes

# wander = 0: the walk stands still, so runs started at different times show the same emoji.
STILL_SHOW = """title = "{title}"
seed = 5
{extra}
[display]
resolution = "{resolution}"
fps = 30
scale = "pixel"
background = "{background}"
[walk]
{walk}
[transitions]
crossfade_s = 0
[[playlist]]
{scene}
duration_s = 600
"""
# A grid of different emoji that stays the same between runs: each tile sits on its own phase of the
# walk (wander must not be 0), and the walk's clock runs so slowly that seconds change no pixel.
STILL_GRID = {"walk": "speed = 1e-9", "scene": 'scene = "grid"\ncols = 3\nrows = 2'}


def _still_show(path, title="still", background="#3366cc", extra="", resolution="160x120",
                walk="wander = 0", scene='scene = "morph"'):
    path.write_text(STILL_SHOW.format(title=title, background=background, extra=extra, resolution=resolution,
                                      walk=walk, scene=scene))
    return path


def _shot(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"))


def _drop(folder, name, data):
    """Like a copy tool that writes a temp file and renames it into place."""
    part = folder / f".{name}.part"
    part.write_bytes(data)
    os.replace(part, folder / name)


def test_hot_reload_while_playing_headless(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "first.onnx").write_bytes(generator_bytes(seed=1))
    show = _still_show(tmp_path / "show.toml")
    stats, shot = tmp_path / "stats.json", tmp_path / "shot.png"
    proc = subprocess.Popen(
        [sys.executable, "-m", "installation.cli", "play", "--headless", "--seconds", "5", "--models",
         str(models), "--show", str(show), "--state", str(tmp_path / "state.json"), "--stats-json",
         str(stats), "--screenshot", str(shot), "--last-model", str(tmp_path / "last_model.json")],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip() for line in proc.stderr), daemon=True)
    reader.start()

    def wait_for(text, timeout_s=20):
        end = time.monotonic() + timeout_s
        while not any(text in line for line in lines):
            assert time.monotonic() < end and proc.poll() is None, (text, lines)
            time.sleep(0.02)

    wait_for("first frame")
    _drop(models, "second.onnx", generator_bytes(seed=2))
    wait_for("now showing model 'second'")
    _drop(models, "junk.onnx", b"not a model at all" * 100)
    wait_for("junk.onnx: rejected")
    assert proc.wait(timeout=20) == 0
    reader.join(2)
    s = json.loads(stats.read_text())
    assert s["model"] == "second" and s["model_swaps"] == 1 and s["rejected_files"] == 1
    assert sum("junk.onnx" in line for line in lines) == 1    # one line per rejected file, not two
    # what a restart would start on: the model hot reload made 'latest'
    assert json.loads((tmp_path / "last_model.json").read_text())["file"] == "second.onnx"

    # The screen still shows the last good model: the same pixels as playing second.onnx alone.
    alone = tmp_path / "alone.png"
    assert main(["play", "--headless", "--seconds", "1", "--no-watch", "--model", str(models / "second.onnx"),
                 "--show", str(show), "--state", str(tmp_path / "s2.json"), "--screenshot", str(alone)]) == 0
    assert np.abs(_shot(shot).astype(int) - _shot(alone)).max() <= 1
    first = tmp_path / "first.png"
    assert main(["play", "--headless", "--seconds", "1", "--no-watch", "--model", str(models / "first.onnx"),
                 "--show", str(show), "--state", str(tmp_path / "s3.json"), "--screenshot", str(first)]) == 0
    assert np.abs(_shot(first).astype(int) - _shot(alone)).max() > 50   # the two models really differ


def test_short_soak_through_the_real_wiring(tmp_path):
    from benchmarks.soak_reload import soak
    fig = soak(tmp_path, n=50, gap_s=0.02, window_s=0.2, with_player=True)
    assert fig["good_missing"] == [] and fig["bad_delivered"] == []
    assert fig["bad_not_rejected"] == [] and fig["good_rejected"] == []
    assert fig["good_shows_ok"] and fig["bad_shows_ok"]
    player = fig["player"]
    assert player["worker_error"] is None
    assert player["rejected_files"] == fig["rejected"] + fig["shows_rejected"]
    assert player["model_swaps"] >= 1 and player["frames"] > 30


def test_player_keeps_only_models_it_can_play(screen, tiny_model_path, export_model, show_file, tmp_path):
    """Each dropped model replaces 'latest'; older ones are let go, except what a scene names or a
    pipeline still runs. Deleting the playing model's file changes nothing on screen."""
    path = export_model("keeper", seed=3)
    show = load_show(show_file("morph"))
    named = show.model_copy(update={"playlist": [show.playlist[0].model_copy(update={"model": "keeper"}),
                                                 show.playlist[0]]})
    keeper = load(path)
    player = Player(named, {"keeper": keeper, "tiny": load(tiny_model_path)}, "tiny", Window(screen),
                    schedule=lambda now: (0, now + 3600))   # the entry naming 'keeper' plays
    tiny = load(tiny_model_path)

    def drops():
        _when_playing(player)
        for i in range(20):
            player.post(ModelReady(f"drop{i}", tiny))
        path.unlink()                                    # the named model's file goes away
    threading.Thread(target=drops).start()
    stats = player.run(seconds=1.2)
    assert set(player.models) == {"keeper", "drop19"}
    assert player.programme.latest == "drop19"
    assert stats["model"] == "keeper" and stats["worker_error"] is None   # still playing from memory
    assert player.snapshot().models == ("drop19", "keeper")


def _when_playing(player, timeout_s=10):
    end = time.monotonic() + timeout_s
    while player.snapshot().activity != "playing" and time.monotonic() < end:
        time.sleep(0.01)


@pytest.mark.parametrize("mode,expect_scene", [("immediate", "grid"), ("next_scene", "morph")])
def test_show_change_immediate_or_at_the_next_scene(screen, tiny_model_path, show_file, mode, expect_scene):
    player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", Window(screen))
    grid = load_show(show_file("grid", f"cols = 2\nrows = 2\n[transitions]\nshow_change = '{mode}'\n"))
    threading.Thread(target=lambda: (_when_playing(player), player.post(ShowReady(grid)))).start()
    stats = player.run(seconds=1.5)
    assert stats["scene"] == expect_scene
    if mode == "next_scene":                             # it waits for the 600 s scene to end
        msg, due = player.programme.waiting
        assert msg.show == grid and due - (time.time()) > 500


def test_calibration_profile_changes_pixels_exactly_as_the_maths_says(tiny_model_path, tmp_path):
    profile = cal.Profile(colour=cal.Colour(gamma=2.2, red=0.9),
                          geometry=cal.Geometry(rotation_deg=180))
    cal.save_profile(tmp_path / "cal.toml", profile)    # what `aimoji calibrate` saves
    plain = _still_show(tmp_path / "plain.toml")
    calibrated = _still_show(tmp_path / "calibrated.toml", extra="calibration = 'cal.toml'")
    shots = {}
    for name, show in (("plain", plain), ("calibrated", calibrated)):
        shots[name] = tmp_path / f"{name}.png"
        assert main(["play", "--headless", "--seconds", "1", "--no-watch", "--model", str(tiny_model_path),
                     "--show", str(show), "--state", str(tmp_path / "s.json"),
                     "--screenshot", str(shots[name])]) == 0
    before, after = _shot(shots["plain"]), _shot(shots["calibrated"])
    assert before.std() > 20                             # an emoji on a coloured background
    expected = cal.orient_array(cal.apply_lut(before, cal.colour_lut(profile.colour)), profile.geometry)
    assert np.array_equal(after, expected)


def test_calibration_geometry_with_scale_and_offset_places_the_picture(tiny_model_path, tmp_path):
    """Rotation 90 on a landscape screen: the frame turned upright, fitted, shifted; black around it."""
    profile = cal.Profile(geometry=cal.Geometry(rotation_deg=90, scale=0.9, offset_x_px=7))
    cal.save_profile(tmp_path / "cal.toml", profile)
    show = _still_show(tmp_path / "show.toml", background="#ffffff", extra="calibration = 'cal.toml'")
    shot = tmp_path / "shot.png"
    assert main(["play", "--headless", "--seconds", "1", "--no-watch", "--model", str(tiny_model_path),
                 "--show", str(show), "--state", str(tmp_path / "s.json"), "--screenshot", str(shot)]) == 0
    img = _shot(shot)
    x, y, w, h = cal.placement(160, 120, 160, 120, profile.geometry)
    inside = img[y:y + h, x:x + w]
    assert (img[:, :x] == 0).all() and (img[:, x + w:] == 0).all()
    assert inside.shape[:2] == (h, w) and h > w                  # upright: taller than wide
    assert (inside[:3] == 255).all() and (inside[-3:] == 255).all()   # the frame's white margins


def test_calibrated_grid_turned_and_mirrored_is_the_plain_wall_turned_exactly(tiny_model_path, tmp_path):
    """Every tile is drawn through the calibrated blit; together they must be exactly the uncalibrated wall
    (on a screen the frame's size), coloured, turned, mirrored and placed as calibration's maths says."""
    profile = cal.Profile(colour=cal.Colour(gamma=1.8, blue=0.9),
                          geometry=cal.Geometry(rotation_deg=90, mirror_v=True))
    cal.save_profile(tmp_path / "cal.toml", profile)
    frame_w, frame_h = frame_size((160, 120), profile.geometry)           # 120 x 90, turned upright
    plain = _still_show(tmp_path / "plain.toml", resolution=f"{frame_w}x{frame_h}", **STILL_GRID)
    calibrated = _still_show(tmp_path / "calibrated.toml", extra="calibration = 'cal.toml'", **STILL_GRID)
    shots = {}
    for name, show in (("plain", plain), ("calibrated", calibrated)):
        shots[name] = tmp_path / f"{name}.png"
        assert main(["play", "--headless", "--seconds", "1.5", "--no-watch", "--model", str(tiny_model_path),
                     "--show", str(show), "--state", str(tmp_path / "s.json"),
                     "--screenshot", str(shots[name])]) == 0
    before, after = _shot(shots["plain"]), _shot(shots["calibrated"])
    tiles = [before[5 + r * 40:5 + r * 40 + 40, c * 40:c * 40 + 40] for r in range(2) for c in range(3)]
    assert len({t.tobytes() for t in tiles}) == 6                          # six different emoji
    expected = np.zeros((120, 160, 3), np.uint8)                            # black around the picture
    x, y, w, h = picture_rect((160, 120), profile.geometry)
    expected[y:y + h, x:x + w] = cal.orient_array(cal.apply_lut(before, cal.colour_lut(profile.colour)),
                                                  profile.geometry)
    assert np.array_equal(after, expected)
