"""Which display the player gets, and the software path through the real loop: SDL's dummy driver, a
regular file laid out like /dev/fb0, and a pseudo-terminal standing in for a terminal that is not a VT."""

import glob
import os

import numpy as np
import pygame
import pytest

from installation.model.load import load
from installation.display import console
from installation.display.output import DisplayUnavailable, FramebufferDisplay, Window, open_display
from installation.display.framebuffer import Bitfield, Framebuffer, Layout
from installation.player.loop import Player
from installation.show.config import load_show

RGB565 = Layout(160, 120, 16, 160 * 2 + 24, Bitfield(11, 5), Bitfield(5, 6), Bitfield(0, 5))
LEFT_ALONE = console.Console("the console left alone")   # what quiet() returns where it may do nothing
no_drm = pytest.mark.skipif(bool(glob.glob("/dev/dri/card*")),
                            reason="this machine has a DRM device: SDL's kmsdrm driver would open it")


@pytest.fixture
def fb_file(tmp_path):
    path = tmp_path / "fb0"
    path.write_bytes(b"\xaa" * RGB565.mapped_bytes)
    return path


def _as_rgb565(surface):
    rgb = pygame.surfarray.array3d(surface).transpose(1, 0, 2).astype(np.uint16)
    return (rgb[..., 0] >> 3) << 11 | (rgb[..., 1] >> 2) << 5 | rgb[..., 2] >> 3


def test_the_player_on_the_framebuffer_shows_each_frame_in_the_devices_layout(fb_file, tiny_model_path,
                                                                              show_file):
    """The loop presents through the display: after the run the device holds the last frame the player
    counted, converted to RGB565, and the stride's padding is untouched."""
    display = FramebufferDisplay(Framebuffer(str(fb_file), RGB565), "kmsdrm unavailable (EGL not initialized)",
                                 LEFT_ALONE)
    assert display.line == (f"kmsdrm unavailable (EGL not initialized); drawing to {fb_file} 160x120 RGB565 "
                            "in software, the console left alone")
    assert not display.vsync and pygame.display.get_driver() == "evdev"
    try:
        player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", display)
        stats = player.run(seconds=1.5)
        rows = np.frombuffer(fb_file.read_bytes(), np.uint8).reshape(120, RGB565.stride)
        shown = rows[:, :320].copy().view("<u2")
        assert stats["frames"] > 10 and player.snapshot().activity == "playing"
        assert (shown == _as_rgb565(display.surface)).all()
        assert shown.std() > 100                                   # an emoji, not a flat screen
        assert (rows[:, 320:] == 0xAA).all()                       # padding never written
    finally:
        display.close()


def test_f_keeps_the_framebuffer(fb_file, tiny_model_path, show_file):
    """F switches a window in and out of fullscreen; the framebuffer is the whole screen already."""
    display = FramebufferDisplay(Framebuffer(str(fb_file), RGB565), "kmsdrm unavailable (no DRM device)",
                                 LEFT_ALONE)
    try:
        player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", display,
                        keys=True)
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_f, mod=0))
        player.run(seconds=0.5)
        assert player.display is display and player.screen.display_size == display.surface.get_size()
    finally:
        display.close()


def test_sdls_own_display_says_its_driver_and_size():
    display = open_display((160, 120), False)
    try:
        assert isinstance(display, Window) and not display.fallback
        assert display.line == "cpu (no GPU renderer: dummy video driver), dummy 160x120"
    finally:
        display.close()


@no_drm
def test_kmsdrm_failing_on_a_console_falls_back_to_the_framebuffer(monkeypatch, tmp_path):
    """SDL's kmsdrm driver cannot open (no DRM device here), so the framebuffer is tried; this one is a
    plain file, and the line names both causes."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "kmsdrm")
    (tmp_path / "fb0").write_bytes(bytes(4096))
    with pytest.raises(DisplayUnavailable) as exc:
        open_display((0, 0), True, device=str(tmp_path / "fb0"))
    assert str(exc.value) == (f"display: kmsdrm unavailable (kmsdrm not available); {tmp_path / 'fb0'}: "
                              "not a framebuffer device (Inappropriate ioctl for device)")


def test_no_framebuffer_under_a_window_system(monkeypatch, tmp_path):
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(DisplayUnavailable) as exc:
        open_display((0, 0), True, device=str(tmp_path / "fb0"))
    assert str(exc.value) == ("display: x11 unavailable (x11 not available); the framebuffer is tried only on "
                              "a console (SDL_VIDEODRIVER=kmsdrm, or unset without DISPLAY/WAYLAND_DISPLAY)")


def test_a_terminal_that_is_not_a_vt_is_left_alone_and_the_line_says_why(tmp_path):
    leader, follower = os.openpty()
    try:
        name = os.ttyname(follower)
        quieted = console.quiet(controlling=name, foreground=str(tmp_path / "tty0"))
        assert quieted.note == (f"the console may draw over the wall ({name}: not a virtual terminal; "
                                f"{tmp_path / 'tty0'}: No such file or directory)")
        quieted.restore()
        os.set_blocking(leader, False)
        with pytest.raises(BlockingIOError):   # no escape sequence was written to it
            os.read(leader, 64)
    finally:
        os.close(leader)
        os.close(follower)


def test_a_present_slower_than_a_refresh_is_measured_as_such(screen):
    """kmsdrm on Mesa's software GL opens, but each present is a full-screen render (415 ms a frame in
    the gallery VM): open_display measures it and takes the framebuffer copy where there is one."""
    import time
    from installation.display.output import SLOW_PRESENT_S, present_cost

    class SoftwareGL(Window):
        def present(self):
            time.sleep(0.07)

    assert present_cost(Window(screen)) < SLOW_PRESENT_S
    assert present_cost(SoftwareGL(screen), presents=3) > SLOW_PRESENT_S


def test_a_window_opened_without_gl_keeps_that_when_toggled_and_leaves_the_environment_alone(monkeypatch):
    """Where GL presents are slow (Xwayland on Mesa's software GL: 252-260 ms against 4.6 ms for SDL's
    plain surface in the gallery VM) the window is reopened without GL; the F key must not bring GL back,
    and SDL's hint must not leak into anything started later."""
    from installation.display.output import _window

    monkeypatch.delenv("SDL_FRAMEBUFFER_ACCELERATION", raising=False)
    window = _window((160, 120), False, "AImoji", accelerated=False)
    try:
        assert not window.accelerated and window.surface.get_size() == (160, 120)
        assert "SDL_FRAMEBUFFER_ACCELERATION" not in os.environ
        window = window.toggled()
        assert window.fullscreen and not window.accelerated
    finally:
        window.close()
