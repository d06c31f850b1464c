"""Both command lines, whatever the command: `--version` from the installed metadata, and a reader that
goes away (`aimoji status | head`) ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(module: str, *argv: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", module, *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, **kwargs)


@pytest.mark.parametrize("module, prog", [("installation.cli", "aimoji"), ("trainer.cli", "aimoji-train")])
def test_version_is_the_installed_packages(module, prog):
    done = _run(module, "--version")
    assert done.returncode == 0 and done.stdout == f"{prog} {version('aimoji')}\n"


@pytest.mark.parametrize("argv", [["schema"], ["status", "--json"], ["schedule", "show_configs/museum_week.toml"]])
def test_a_reader_that_goes_away_ends_the_command_without_a_traceback(tmp_path, argv):
    # the pipe's read end is closed before the command writes: its first write meets EPIPE, as at the
    # end of `aimoji status | head`
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AIMOJI_STATE_FILE": str(tmp_path / "none.json")}
    proc = subprocess.Popen([sys.executable, "-m", "installation.cli", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode in (1, 3), err   # 1: the pipe closed; status's own 3 (no player) is fine too
