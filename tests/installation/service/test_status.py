"""`aimoji status` end to end: reads a state file, prints it for a person or as JSON, exit code says health."""

import json
import subprocess
import sys
import time

import pytest

from installation.cli import main
from installation.service.health import report as health
from installation.service.health.report import Companions
from tests.support.states import state


def _write(path, written_ago_s=1.0, frame_age_s=0.02, still_s=0.1, wall_step_s=0.0, boot="this", **over):
    """A state file as the player writes it, written_ago_s ago by the monotonic clock."""
    written = time.monotonic() - written_ago_s
    over = {"frames__last_monotonic": written - frame_age_s, "picture__changed_monotonic": written - still_s, **over}
    snap = state(**{"uptime_s": 90.0, "scene": "grid", "show": "default", "frames__fps": 60.0, "frames__dropped": 0,
                    **over})
    report = health.build_report(snap, Companions(), time.time() - written_ago_s + wall_step_s, written, 4242,
                                 boot=health.boot_id() if boot == "this" else boot)
    health.write_report(path, report)


def test_healthy_player(tmp_path, capsys):
    path = tmp_path / "status.json"
    _write(path)
    assert main(["status", "--state", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("AImoji player: OK")
    assert "scene        grid" in out and "model        emoji-e40" in out


@pytest.mark.parametrize("kwargs, max_age, problem", [
    ({"written_ago_s": 60}, 15, "stale: last written 60 s ago"),
    ({"written_ago_s": 8}, 5, "stale: last written 8 s ago (limit 5 s)"),
    ({"frame_age_s": 9}, 15, "render loop stalled: no new frame for 9.0 s"),
    ({"still_s": 30}, 15, "picture frozen: unchanged for 30 s"),
    ({"picture__flat": True}, 15, "picture blank: one flat colour"),
    ({"boot": "another-boot"}, 15, "stale: written before this boot"),
    ({"activity": "starting", "frames__last_monotonic": None, "uptime_s": 5.0}, 15,
     "starting: no emoji on screen yet"),
])
def test_unhealthy_player_exits_1(tmp_path, capsys, kwargs, max_age, problem):
    path = tmp_path / "status.json"
    _write(path, **kwargs)
    assert main(["status", "--state", str(path), "--max-age", str(max_age)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("AImoji player: UNHEALTHY")
    assert f"problem: {problem}" in out


def test_a_slow_player_is_degraded_not_unhealthy(tmp_path, capsys):
    path = tmp_path / "status.json"
    _write(path, frames__fps=12.0)
    assert main(["status", "--state", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("AImoji player: DEGRADED") and "  degraded: slow: 12.0 fps, target 60 fps" in out


@pytest.mark.parametrize("step_s", [-3 * 3600, -30, 30, 3 * 3600])
def test_a_wall_clock_step_gives_no_false_alarm(tmp_path, capsys, step_s):
    path = tmp_path / "status.json"
    _write(path, wall_step_s=step_s)
    assert main(["status", "--state", str(path)]) == 0, capsys.readouterr().out


def test_missing_state_file_exits_3(tmp_path, capsys):
    assert main(["status", "--state", str(tmp_path / "none.json")]) == 3
    assert "NOT RUNNING" in capsys.readouterr().out


def test_garbled_state_file_exits_2_naming_the_file(tmp_path, capsys):
    path = tmp_path / "status.json"
    path.write_text("not json")
    assert main(["status", "--state", str(path)]) == 2
    assert f"{path}: not a player state file" in capsys.readouterr().err


def test_json_output_for_monitoring(tmp_path, capsys):
    path = tmp_path / "status.json"
    _write(path, written_ago_s=30)
    assert main(["status", "--state", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["healthy"] is False and report["state"]["player"]["model"] == "emoji-e40"
    assert report["problems"][0].startswith("stale")


def test_console_script_reads_aimoji_state_file_env(tmp_path):
    path = tmp_path / "status.json"
    _write(path)
    out = subprocess.run([sys.executable, "-m", "installation.cli", "status"], capture_output=True, text=True,
                         env={"AIMOJI_STATE_FILE": str(path), "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert str(path) in out.stdout
