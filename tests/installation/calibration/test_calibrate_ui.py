"""The calibrate UI driven by posted key events on SDL's dummy driver, the player hook's blit, and
the command's headless screenshots."""

import numpy as np
import pygame
import pytest

from installation.calibrate import ui
from installation.calibration import profile as cal
from installation.calibration import patterns as tp
from installation.calibration.apply import Calibration
from installation.display.output import Window
from installation.display.screen import Screen
from installation.cli import main

W, H = 320, 180


@pytest.fixture
def screen():
    pygame.display.init()
    pygame.font.init()
    yield pygame.display.set_mode((W, H))
    pygame.quit()


def _press(app, *keys, mod=0):
    for key in keys:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod))
    return app.step()


def _pixel(screen, x, y):
    return tuple(screen.get_at((x, y)))[:3]


def test_arrow_keys_adjust_and_s_saves_an_atomic_profile(screen, tmp_path):
    path = tmp_path / "cal.toml"
    app = ui.CalibrateUI(Window(screen), path, cal.IDENTITY)
    assert _press(app, *[pygame.K_RIGHT] * 4)
    _press(app, pygame.K_RIGHT, mod=pygame.KMOD_SHIFT)  # x10
    assert app.state.profile.colour.gamma == 1.7
    _press(app, pygame.K_DOWN, pygame.K_DOWN, pygame.K_LEFT)  # contrast down one step
    assert app.state.profile.colour.contrast == 0.98
    assert ("> contrast 0.98", True) in app.legend_lines()
    _press(app, pygame.K_s)
    assert cal.load_profile(path) == app.state.profile
    assert app.state.message == f"saved {path}"


def test_esc_with_unsaved_changes_asks_first(screen, tmp_path):
    app = ui.CalibrateUI(Window(screen), tmp_path / "cal.toml", cal.IDENTITY)
    _press(app, pygame.K_r)
    assert _press(app, pygame.K_ESCAPE) is True
    assert app.state.message.startswith("unsaved changes")
    assert _press(app, pygame.K_ESCAPE) is False
    assert not (tmp_path / "cal.toml").exists()


def test_esc_quits_at_once_when_saved(screen, tmp_path):
    app = ui.CalibrateUI(Window(screen), tmp_path / "cal.toml", cal.IDENTITY)
    assert _press(app, pygame.K_q) is False


def test_pattern_keys(screen, tmp_path):
    app = ui.CalibrateUI(Window(screen), tmp_path / "c.toml", cal.IDENTITY)
    names = list(tp.PATTERNS)
    _press(app, pygame.K_TAB)
    assert app.pattern_name() == names[1]
    _press(app, pygame.K_TAB, mod=pygame.KMOD_SHIFT)
    _press(app, pygame.K_PAGEUP)
    assert app.pattern_name() == names[-1]
    _press(app, pygame.K_3)
    assert app.pattern_name() == names[2]
    _press(app, pygame.K_9)  # no 9th pattern: ignored
    assert app.pattern_name() == names[2]


def test_rotate_mirror_reset_keys(screen, tmp_path):
    app = ui.CalibrateUI(Window(screen), tmp_path / "c.toml", cal.IDENTITY)
    _press(app, pygame.K_r, pygame.K_r, pygame.K_h, pygame.K_v)
    g = app.state.profile.geometry
    assert (g.rotation_deg, g.mirror_h, g.mirror_v) == (180, True, True)
    assert app.state.setting == 11  # the last key's setting is selected
    _press(app, pygame.K_BACKSPACE)
    assert app.state.profile.geometry.mirror_v is False and app.state.profile.geometry.mirror_h is True
    _press(app, pygame.K_DELETE)
    assert app.state.profile == cal.IDENTITY


def test_screen_shows_the_pattern_through_the_profile(screen, tmp_path):
    profile = cal.Profile(colour=cal.Colour(red=0.0))
    app = ui.CalibrateUI(Window(screen), tmp_path / "c.toml", profile)
    _press(app, pygame.K_2, pygame.K_l)  # colour bars, legend hidden
    assert _pixel(screen, 5, 5) == (0, 191, 191)  # the 75 % white bar without red
    _press(app, pygame.K_h)  # mirrored: the blue bar is now on the left
    assert _pixel(screen, 5, 5) == (0, 0, 191)
    _press(app, pygame.K_BACKSPACE, *[pygame.K_UP] * 4)
    assert app.state.setting == 6  # offset x
    _press(app, pygame.K_RIGHT, mod=pygame.KMOD_SHIFT)
    assert _pixel(screen, 5, 5) == (0, 0, 0)  # shifted 10 px right: black margin


def test_legend_is_drawn_over_the_pattern(screen, tmp_path):
    app = ui.CalibrateUI(Window(screen), tmp_path / "c.toml", cal.IDENTITY)
    _press(app, pygame.K_2)
    with_legend = pygame.surfarray.array3d(screen).copy()
    _press(app, pygame.K_l)
    without = pygame.surfarray.array3d(screen)
    assert (with_legend != without).any()


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("mh, mv", [(False, False), (True, False), (False, True), (True, True)])
def test_placing_a_whole_picture_matches_the_pure_orientation(rotation, mh, mv):
    pygame.display.init()
    try:
        # A square screen: the frame fills it under every turn, so the picture must be exactly the
        # pure orientation of the source (a landscape frame on a turned landscape screen is letterboxed).
        src = np.random.default_rng(3).integers(0, 256, (8, 8, 3), dtype=np.uint8)
        g = cal.Geometry(rotation_deg=rotation, mirror_h=mh, mirror_v=mv)
        want = cal.orient_array(src, g)
        screen = Screen(pygame.Surface((8, 8)), Calibration(cal.Profile(geometry=g)))
        assert screen.size == (8, 8)
        surface = pygame.surfarray.make_surface(src.transpose(1, 0, 2))
        screen.draw(screen.place(surface, (0, 0, *screen.size), scale="pixel"))
        assert (screen.pixels() == want).all()
    finally:
        pygame.quit()


def test_hook_colour_and_identity_are_free():
    img = np.full((4, 4, 3), 128, np.uint8)
    assert Calibration().apply_colour(img) is img
    calib = Calibration(cal.Profile(colour=cal.Colour(gamma=2.2, blue=0.5)))
    assert tuple(calib.apply_colour(img)[0, 0]) == (186, 186, 93)
    assert calib.colour((255, 255, 255)) == (255, 255, 128)


def _tiny_model(path):
    """A contract-conforming generator with fixed weights (not an emoji: it only exercises the path)."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    w = np.random.default_rng(0).standard_normal((8, 3, 4, 4)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["z", "shape"], ["z4"]), helper.make_node("ConvTranspose", ["z4", "w"], ["y"]),
         helper.make_node("Tanh", ["y"], ["img"])], "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("img", TensorProto.FLOAT, ["batch", 3, 4, 4])],
        [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.ravel()),
         helper.make_tensor("shape", TensorProto.INT64, [4], [-1, 8, 1, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    for k, v in {"format_version": "1", "z_dim": "8", "image_size": "4", "channels": "3",
                 "output_range": "-1,1"}.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))


def test_live_emoji_pattern_uses_the_newest_model(screen, tmp_path):
    _tiny_model(tmp_path / "tiny.onnx")
    source, note = ui.load_emoji_source(tmp_path)
    assert note == "live emoji: tiny.onnx"
    clock = {"t": 0.0}
    app = ui.CalibrateUI(Window(screen), tmp_path / "c.toml", cal.IDENTITY, source, note,
                         clock=lambda: clock["t"])
    assert app.state.names[-1] == "live emoji"
    _press(app, pygame.K_6, pygame.K_l)
    first = pygame.surfarray.array3d(screen).copy()
    assert _pixel(screen, 2, 2) == (255, 255, 255)  # background around the blown-up image
    clock["t"] = 3.0
    app.step()
    assert (pygame.surfarray.array3d(screen) != first).any()  # the walk moved on


def test_live_emoji_is_skipped_with_a_note_without_models(tmp_path):
    source, note = ui.load_emoji_source(tmp_path)
    assert source is None and note.startswith(f"live emoji skipped: {tmp_path}: no .onnx model here yet")


def test_command_writes_screenshots_through_a_profile(tmp_path, capsys):
    profile = tmp_path / "cal.toml"
    cal.save_profile(profile, cal.Profile(geometry=cal.Geometry(mirror_h=True)))
    out = tmp_path / "shots"
    assert main(["calibrate", "--profile", str(profile), "--models", str(tmp_path), "--screenshots", str(out),
                 "--size", "480x270"]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["00-legend.png", "01-grid.png", "02-bars.png", "03-ramp.png", "04-gamma.png",
                     "05-safe-area.png"]
    bars = pygame.image.load(str(out / "02-bars.png"))
    assert tuple(bars.get_at((3, 3)))[:3] == (0, 0, 191)  # mirrored: blue bar first
    assert "live emoji skipped" in capsys.readouterr().out


def test_command_refuses_a_bad_profile_with_one_line(tmp_path, capsys):
    profile = tmp_path / "cal.toml"
    profile.write_text("[colour]\ngamma = -1\n")
    assert main(["calibrate", "--profile", str(profile), "--screenshots", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cal.toml: colour.gamma" in err[0]


@pytest.mark.parametrize("geometry", [cal.Geometry(rotation_deg=90, mirror_h=True), cal.Geometry(mirror_v=True),
                                      cal.Geometry(rotation_deg=270)])
def test_placing_tiles_one_by_one_equals_placing_the_composed_frame(geometry):
    """Drawing each small image straight to its calibrated spot = composing the frame, then placing it."""
    pygame.display.init()
    try:
        rng = np.random.default_rng(5)
        tiles = [rng.integers(0, 256, (2, 2, 3), dtype=np.uint8) for _ in range(9)]  # 3 x 3 grid of 2 px tiles
        frame = pygame.Surface((12, 12))  # each tile drawn 4x4: integer scales, so both paths are exact
        calib = Calibration(cal.Profile(geometry=geometry))
        w, h = 12, 12                     # square: the frame fills the screen under every turn
        direct = Screen(pygame.Surface((w, h)), calib)
        assert direct.size == (12, 12)
        for i, tile in enumerate(tiles):
            small = pygame.surfarray.make_surface(tile.transpose(1, 0, 2))
            rect = (4 * (i % 3), 4 * (i // 3), 4, 4)
            frame.blit(pygame.transform.scale(small, (4, 4)), rect[:2])
            direct.draw(direct.place(small, rect, scale="pixel"))
        via_frame = Screen(pygame.Surface((w, h)), calib)
        via_frame.draw(via_frame.place(frame, (0, 0, 12, 12), scale="pixel"))
        assert (direct.pixels() == via_frame.pixels()).all()
    finally:
        pygame.quit()
