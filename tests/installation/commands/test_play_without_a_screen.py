"""`aimoji play` and `aimoji calibrate` on a box where neither SDL nor the framebuffer can show anything:
one line naming both causes, no traceback, and the exit status the unit's operators look for."""

import glob
import os
import subprocess
import sys

import pytest

from installation.display.output import EXIT_NO_DISPLAY

pytestmark = pytest.mark.skipif(bool(glob.glob("/dev/dri/card*")) or os.path.exists("/dev/fb0"),
                                reason="this machine has a console display device the player would open")
CAUSES = ("display: kmsdrm unavailable (kmsdrm not available); /dev/fb0: not found (no framebuffer device: "
          "the display driver has no fbdev emulation, or none is loaded)")


def _run(args, tmp_path):
    # DISPLAY names a server that is not there, so `play` does not take the no-display demo path; the unit
    # asks for kmsdrm explicitly, as here.
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(SDL_VIDEODRIVER="kmsdrm", DISPLAY=":99")
    return subprocess.run([sys.executable, "-m", "installation.cli", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


def test_play_says_why_in_one_line_and_exits_69(tmp_path, tiny_model_path, show_file):
    out = _run(["play", "--model", str(tiny_model_path), "--show", str(show_file()),
                "--state", str(tmp_path / "status.json")], tmp_path)
    assert out.returncode == EXIT_NO_DISPLAY == 69
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(f" ERROR aimoji.player: {CAUSES}"), out.stderr
    assert not (tmp_path / "status.json").exists()   # it never claimed to be playing


def test_calibrate_says_why_in_one_line_and_exits_69(tmp_path):
    out = _run(["calibrate", "--models", str(tmp_path), "--profile", str(tmp_path / "cal.toml")], tmp_path)
    assert out.returncode == 69
    assert out.stderr.strip().splitlines() == [f"aimoji calibrate: {CAUSES}"]
