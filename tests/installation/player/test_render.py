"""`aimoji render`: frame counts per output type, a seamless loop seam, bad input."""

import numpy as np
import pytest
from PIL import Image

from installation.cli import main
from installation.model.load import load
from installation.player.render import LoopSpec, gif_delays_cs, loop_frames
from installation.scenes.walk import walk_for
from installation.scenes.grid import GridScene
from installation.scenes.morph import MorphScene
from installation.show.config import load_show


def _frames_dir(path):
    return sorted(path.glob("frame_*.png"))


def test_png_frames_folder_count(tiny_model_path, show_file, tmp_path):
    out = tmp_path / "frames"
    rc = main(["render", "--model", str(tiny_model_path), "--show", str(show_file()), "--seconds", "2",
               "--fps", "12", "--size", "64", "--out", str(out), "--quiet"])
    assert rc == 0
    files = _frames_dir(out)
    assert len(files) == 24
    assert Image.open(files[0]).size == (64, 64)
    # rendering again replaces the folder whole
    main(["render", "--model", str(tiny_model_path), "--show", str(show_file()), "--seconds", "1",
          "--fps", "12", "--size", "64", "--out", str(out), "--quiet"])
    assert len(_frames_dir(out)) == 12


def test_gif_frame_count(tiny_model_path, show_file, tmp_path):
    out = tmp_path / "loop.gif"
    assert main(["render", "--model", str(tiny_model_path), "--show", str(show_file()), "--seconds", "1.5",
                 "--fps", "10", "--size", "48", "--out", str(out), "--quiet"]) == 0
    with Image.open(out) as im:
        assert im.n_frames == 15 and im.size == (48, 48)


@pytest.mark.parametrize("count, fps, delays", [
    (45, 15, [7, 6, 7] * 15),          # 3 s: 300 cs, where 45 x 6 cs would play in 2.7 s
    (10, 10, [10] * 10),
    (30, 30, [3, 4, 3] * 10),          # 1 s
    (5, 12.5, [8] * 5),
    (4, 3, [33, 34, 33, 33]),
])
def test_gif_delays_keep_each_frame_on_the_clock(count, fps, delays):
    assert gif_delays_cs(count, fps) == delays
    assert sum(delays) == round(count * 100 / fps)


def _gif_delays_cs(data: bytes) -> list[int]:
    """The delays the file holds: each Graphic Control Extension (21 F9 04, flags, delay as uint16 LE)."""
    delays, at = [], data.find(b"\x21\xf9\x04")
    while at >= 0:
        delays.append(int.from_bytes(data[at + 4:at + 6], "little"))
        at = data.find(b"\x21\xf9\x04", at + 8)
    return delays


def test_a_15_fps_gif_plays_its_3_s_in_3_s(tiny_model_path, show_file, tmp_path):
    out = tmp_path / "loop.gif"
    assert main(["render", "--model", str(tiny_model_path), "--show", str(show_file()), "--seconds", "3",
                 "--fps", "15", "--size", "32", "--out", str(out), "--quiet"]) == 0
    delays = _gif_delays_cs(out.read_bytes())
    assert sum(delays) == 300 and set(delays) <= {6, 7, 13, 14, 20}   # Pillow merges repeated frames


def test_mp4_is_written(tiny_model_path, show_file, tmp_path):
    import imageio_ffmpeg
    out = tmp_path / "loop.mp4"
    assert main(["render", "--model", str(tiny_model_path), "--show", str(show_file()), "--seconds", "1",
                 "--fps", "20", "--size", "64", "--out", str(out), "--scene", "grid", "--cols", "2",
                 "--rows", "2", "--quiet"]) == 0
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert meta["size"] == (64, 64)
    assert sum(1 for _ in reader) == 20
    assert not list(tmp_path.glob(".loop*"))            # no temp file left behind


SCENES = {"morph": MorphScene(), "grid": GridScene(scene="grid", cols=2, rows=2, tile_fps=2.0)}


@pytest.mark.parametrize("scene", ["morph", "grid"])
def test_loop_seam_is_like_a_normal_step(tiny_model_path, show_file, scene):
    model = load(tiny_model_path)
    walk = walk_for(load_show(show_file()), model.info.z_dim)
    spec = LoopSpec(seconds=3.0, fps=10, size_px=64)
    frames = np.stack(list(loop_frames(model, SCENES[scene], walk, spec))).astype(float)
    assert len(frames) == 30
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    seam = np.abs(frames[0] - frames[-1]).mean()
    assert steps.min() > 0                              # every frame moves
    assert 0.3 * np.median(steps) < seam < 2.5 * steps.max()
    # deterministic: rendering again gives the same loop
    again = np.stack(list(loop_frames(model, SCENES[scene], walk, LoopSpec(seconds=3.0, fps=10, size_px=64))))
    assert np.array_equal(again[0], frames[0].astype(np.uint8))


def test_unknown_output_type_is_one_line(capsys, tiny_model_path, tmp_path):
    rc = main(["render", "--model", str(tiny_model_path), "--out", str(tmp_path / "loop.avi")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "unknown output type '.avi'" in err[0]
