"""The GPU path (display/gpu.py) against the CPU path, under a real X display: Xvfb with Mesa's software
GL (llvmpipe), which SDL's opengl renderer drives as it would a GPU. The same scenes drawn on both
screens must give the same picture within what two bilinear scalers differ by; read back from the
renderer (its canvas, and health's small glance)."""

import os
import shutil
import socket
import subprocess
import time

import numpy as np
import pygame
import pytest

from installation.calibration import profile as cal
from installation.calibration.apply import Calibration
from installation.display.gpu import GpuDisplay, open_gpu
from installation.display.screen import Screen
from installation.display.viewport import Spanned
from installation.geometry import Rect, Region
from installation.scenes.base import Frame
from installation.scenes.grid import GridPlan, GridView
from installation.scenes.morph import MorphPlan, MorphView
from installation.scenes.walk import WalkParams

SIZE = (640, 360)
BACKGROUND = (40, 90, 200)


def _image(i: int) -> np.ndarray:
    """A smooth 16x16 image whose every turn and mirror looks different: red grows to the right, green
    downwards, blue waves with i. (The two scalers put source pixels half a pixel apart: on noise that
    is most of the picture, on a smooth image a few levels.)"""
    y, x = np.mgrid[0:16, 0:16]
    return np.stack([x * 17, y * 17, 127 + 127 * np.sin(x / 4 + y / 7 + 2.1 * i)], axis=2).astype(np.uint8)


IMAGES = [_image(i) for i in range(6)]
TURNED = [cal.Geometry(rotation_deg=90, mirror_v=True), cal.Geometry(rotation_deg=270, mirror_h=True,
                                                                     offset_x_px=-9, offset_y_px=4, scale=0.8)]


@pytest.fixture(scope="module")
def x_display():
    """A private X server on a display number it picks itself (-displayfd), for this module only."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is missing (Debian package xvfb, installed by tools/system-packages.sh)")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as numbers:
        number = numbers.readline().strip()
    if not number:
        server.kill()
        pytest.skip("Xvfb did not start")
    _wait_for_x(number, server)
    yield f":{number}"
    server.terminate()
    server.wait(10)


def _wait_for_x(number: str, server: subprocess.Popen, timeout_s: float = 20.0) -> None:
    """Until the server takes a connection on its socket: on a busy machine Xvfb has said its number a
    while before it answers, and SDL then says 'x11 not available' (seen once in make test)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(f"/tmp/.X11-unix/X{number}")
                return
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"Xvfb :{number} took no connection within {timeout_s:g} s")
        time.sleep(0.05)


@pytest.fixture
def gpu(x_display, monkeypatch) -> GpuDisplay:
    monkeypatch.setenv("DISPLAY", x_display)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    pygame.display.quit()
    display, measured = open_gpu(SIZE, False, "AImoji test")
    if measured.renderer != "opengl":
        display.close()
        pytest.skip(f"no GL under Xvfb (SDL opened its {measured.renderer} renderer): Debian package "
                    "libgl1-mesa-dri, installed by tools/system-packages.sh")
    assert measured.size == SIZE and measured.frame_ms > 0
    yield display
    display.close()


def _cpu(calibration=None) -> Screen:
    return Screen(pygame.Surface(SIZE), calibration, BACKGROUND)


def _morph(scale: str):
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4), 30), 16, scale)
    view.accept([Frame(0, 0.0, IMAGES[0])])
    return view


def _grid(scale: str = "smooth"):
    view = GridView(GridPlan(WalkParams(seed=1, z_dim=4), range(6), 1.0), 3, 2, 16, scale)
    view.accept([Frame((tile, j), 0.0, IMAGES[(tile + j) % 6]) for tile in range(6) for j in (-1, 0, 1)])
    return view


def _differ(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(mean level difference, share of pixels more than 48 levels apart in some channel)."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return float(d.mean()), float((d.max(axis=2) > 48).mean())


def _draw_both(gpu, make, calibration=None, t=0.35):
    cpu, screen = _cpu(calibration), gpu.screen(calibration, BACKGROUND)
    for s in (cpu, screen):
        s.fill((255, 0, 255))   # whatever was there: the scene must paint over it, margins included
        s.clear()
        make().draw(s, t)
    gpu.present()
    return cpu.pixels(), screen.pixels()


# A bilinear upscale by the GL sampler and by pygame's smoothscale differ by a few levels on average,
# and more at the image's edges (where each clamps differently): a few percent of pixels. A picture
# turned the wrong way, shifted or unblended differs on most pixels, by tens of levels.
SAME_MEAN, SAME_SHARE = 5.0, 0.04


@pytest.mark.parametrize("scale", ["smooth", "pixel", "sharp"])
def test_a_morph_frame_on_the_gpu_is_the_cpus(gpu, scale):
    cpu, shown = _draw_both(gpu, lambda: _morph(scale))
    mean, share = _differ(cpu, shown)
    assert mean < SAME_MEAN and share < SAME_SHARE, (mean, share)
    assert shown.std() > 30   # an image, not the background alone


def test_a_grid_blending_its_tiles_on_the_gpu_is_the_cpus(gpu):
    cpu, shown = _draw_both(gpu, _grid)
    mean, share = _differ(cpu, shown)
    assert mean < SAME_MEAN and share < SAME_SHARE, (mean, share)
    opaque, _ = _draw_both(gpu, _grid, t=0.0)          # no blend at t=0: a different picture
    assert _differ(opaque, shown)[0] > 2 * SAME_MEAN


@pytest.mark.parametrize("rotation", [0, 90])
def test_a_wall_screens_part_on_the_gpu_is_the_cpus(gpu, rotation):
    # the right half of a wall twice this screen's width (or, mounted on its side, of its height): the
    # morph crosses the seam, so this screen shows a crop of it
    w, h = SIZE if rotation == 0 else SIZE[::-1]
    region = Region((2 * w, h), Rect(w, 0, w, h), rotation)
    cpu, shown = _draw_both(gpu, lambda: Spanned(_morph("smooth"), region))
    mean, share = _differ(cpu, shown)
    assert mean < SAME_MEAN and share < SAME_SHARE, (mean, share)
    assert shown.std() > 30


@pytest.mark.parametrize("geometry", TURNED, ids=lambda g: f"rot{g.rotation_deg}-h{g.mirror_h:d}-v{g.mirror_v:d}")
@pytest.mark.parametrize("make", [lambda: _morph("pixel"), _grid], ids=["morph", "grid"])
def test_a_calibrated_frame_is_turned_mirrored_and_placed_by_the_gpu_as_by_the_cpu(gpu, geometry, make):
    calibration = Calibration(cal.Profile(geometry=geometry))
    cpu, shown = _draw_both(gpu, make, calibration)
    mean, share = _differ(cpu, shown)
    assert mean < SAME_MEAN and share < SAME_SHARE, (mean, share)
    plain, _ = _draw_both(gpu, make)                   # the same scene unturned is far off
    assert _differ(plain, shown)[0] > 4 * SAME_MEAN


def test_a_crossfade_and_dimming_on_the_gpu_are_the_cpus(gpu):
    cpu, screen = _cpu(), gpu.screen(None, BACKGROUND)
    for s in (cpu, screen):
        s.clear()
        _morph("smooth").draw(s, 0.0)
        before = s.snapshot()
        s.fill((250, 250, 250))
        s.fade_in_snapshot(before, 0.6)
        s.darken(0.5)
    mean, share = _differ(cpu.pixels(), screen.pixels())
    assert mean < SAME_MEAN and share < SAME_SHARE, (mean, share)
    # beside the emoji: the background (red 40) faded over white (250), halved
    assert abs(float(screen.pixels()[5, 5, 0]) - (0.6 * 40 + 0.4 * 250) * 0.5) <= 2


def test_panel_care_moves_and_dims_on_the_gpu_as_on_the_cpu(gpu):
    cpu, screen = _cpu(), gpu.screen(None, BACKGROUND)
    for s in (cpu, screen):
        s.care((3, -2), 0.6)                           # the orbit's offset and a brightness level
        _morph("pixel").draw(s, 0.0)
    shown = screen.pixels()
    mean, share = _differ(cpu.pixels(), shown)
    assert mean < SAME_MEAN and share < SAME_SHARE, (mean, share)
    assert tuple(shown[5, 5]) == tuple(int(c * 0.6 + 0.5) for c in BACKGROUND)   # the background dimmed
    unmoved = _cpu()
    _morph("pixel").draw(unmoved, 0.0)
    assert _differ(unmoved.pixels(), shown)[1] > SAME_SHARE   # moved (and dimmed): not the plain frame


def test_health_glances_at_the_gpus_picture_as_at_the_cpus(gpu):
    cpu, shown = _draw_both(gpu, _grid)
    screen = gpu.screen(None, BACKGROUND)
    small, expected = screen.glance(), _cpu().glance()
    assert small.shape == expected.shape == (180, 320, 3)
    reference = cpu[1::2, 1::2]                        # every 2nd pixel, as the CPU path samples
    assert _differ(reference, small)[0] < SAME_MEAN


def test_the_player_runs_on_the_gpu_path(gpu, tiny_model_path, show_file):
    """The real loop on a GpuDisplay: frames counted, the panel health sees is an emoji on the show's
    background, and the presented window (read back after the run) holds the canvas."""
    from installation.model.load import load
    from installation.player.loop import Player
    from installation.show.config import load_show

    player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", gpu)
    stats = player.run(seconds=2.0)
    assert stats["frames"] > 10 and player.snapshot().activity == "playing"
    picture = player.picture()
    assert picture is not None and picture.shape == (180, 320, 3) and picture.std() > 10


def test_f_switches_the_gpu_window_to_fullscreen_and_the_picture_goes_on(gpu, tiny_model_path, show_file):
    """The F key: the same window and renderer (the scenes' textures stay valid), now fullscreen, and
    the player keeps drawing an emoji on it."""
    from installation.model.load import load
    from installation.player.loop import Player
    from installation.show.config import load_show

    player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", gpu, keys=True)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_f, mod=0))
    stats = player.run(seconds=1.5)
    assert player.display is gpu and gpu.fullscreen and player.screen.display is gpu
    assert stats["frames"] > 10 and player.snapshot().activity == "playing"
    assert player.screen.glance().std() > 10


def test_open_display_times_llvmpipe_and_takes_the_cpu_unless_the_show_asks(x_display, monkeypatch):
    """What `aimoji play` gets under Xvfb: auto measures Mesa's software GL and keeps the CPU path,
    saying so; renderer = "gpu" takes the renderer anyway."""
    import re

    from installation.display.output import Window, open_display

    monkeypatch.setenv("DISPLAY", x_display)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    pygame.display.quit()
    display = open_display((1280, 720), False)
    try:
        assert isinstance(display, Window)
        assert re.fullmatch(r"cpu \(opengl renderer, [\d.]+ ms a 720p frame, over 1\.4 ms: software GL such as "
                            r"llvmpipe\), x11 1280x720(, without GL .*)?", display.line), display.line
    finally:
        display.close()
    display = open_display((1280, 720), False, renderer="gpu")
    try:
        assert isinstance(display, GpuDisplay), display.line
        assert re.fullmatch(r"gpu \(the show asks for it; opengl renderer, [\d.]+ ms a 720p frame\), x11 1280x720",
                            display.line), display.line
    finally:
        display.close()


def test_the_display_starts_again_at_once_after_it_was_closed(x_display, monkeypatch):
    """Opening the GPU path, timing it and closing it before the CPU path opens is a quit and an init
    back to back; straight after a quit, SDL's init failed 'x11 not available' a third of the time."""
    from installation.display import sdl_init

    monkeypatch.setenv("DISPLAY", x_display)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    for _ in range(30):
        sdl_init.init()
        assert pygame.display.get_driver() == "x11"
        pygame.display.quit()
