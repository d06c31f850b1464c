"""Health state: built from a player snapshot, judged exactly, written atomically, rewritten by a thread."""

import json
import os
import threading
import time

import pytest

from installation.service import health
from installation.service.state_writer import StateWriter

SNAP = {"uptime_s": 3725.0, "fps": 59.8, "fps_target": 60, "frames": 223000, "dropped_frames": 12,
        "model": "emoji-e40", "scene": "morph", "show": "museum-week", "state": "playing",
        "last_frame_monotonic": 500.0, "picture_changed_monotonic": 499.9}


def test_build_state_turns_the_monotonic_frame_time_into_an_age():
    state = health.build_state(SNAP, now_wall=1_800_000_000.0, now_mono=500.25, pid=7,
                               errors=[{"at": "x", "level": "error", "message": "m", "count": 1}])
    assert state["last_frame_age_s"] == 0.25 and state["picture_still_s"] == 0.35
    assert "last_frame_monotonic" not in state and state["written_monotonic"] == 500.25
    assert state["healthy"] is True and state["problems"] == [] and state["phase"] == "ok"
    assert state["written_at_utc"] == "2027-01-15T08:00:00+00:00"
    assert (state["model"], state["scene"], state["show"], state["pid"]) == ("emoji-e40", "morph", "museum-week", 7)
    assert state["errors"][0]["message"] == "m"
    json.dumps(state)


def test_build_state_keeps_unknown_json_keys_and_drops_objects():
    state = health.build_state({**SNAP, "walk_seed": 2019, "surface": object()}, 0.0, 500.0, 1)
    assert state["walk_seed"] == 2019 and "surface" not in state


def _state(**over):
    return {**health.build_state(SNAP, 1000.0, 500.5, 7, boot="b1"), **over}


@pytest.mark.parametrize("state, now, boot, expected", [
    (None, 501.0, "b1", ["no state file (is the player running?)"]),
    ({}, 501.0, "b1", ["state file has no 'written_monotonic' time (written by an older player?)"]),
    (_state(), 501.0, "b1", []),
    (_state(), 515.5, "b1", []),  # exactly the limit is still fresh
    (_state(), 516.5, "b1", ["stale: last written 16 s ago (limit 15 s); the player is not running or is hung"]),
    (_state(), 501.0, "b2", ["stale: written before this boot; the player has not run since"]),
    (_state(), 501.0, None, []),  # no boot id to compare (not Linux): the clock alone decides
    (_state(problems=["picture frozen: unchanged for 12 s"]), 501.0, "b1", ["picture frozen: unchanged for 12 s"]),
    (_state(phase="starting"), 501.0, "b1", ["starting: no emoji on screen yet"]),
])
def test_judge(state, now, boot, expected):
    assert health.judge(state, now, boot, max_age_s=15) == expected


@pytest.mark.parametrize("change, problems", [
    ({}, []),
    ({"last_frame_monotonic": None, "state": "starting", "uptime_s": 30.0}, None),       # starting: not judged
    ({"last_frame_monotonic": None, "state": "starting", "uptime_s": 61.0},
     ["starting for 61 s and no emoji on screen yet"]),
    ({"last_frame_monotonic": 494.0}, ["render loop stalled: no new frame for 6.0 s"]),
    ({"picture_changed_monotonic": 489.0}, ["picture frozen: unchanged for 11 s"]),
    ({"picture_changed_monotonic": 489.0, "still_allowed_s": 9.0}, []),     # evolution's held face
    ({"picture_changed_monotonic": None}, []),                               # not looked at yet
    ({"picture_flat": True}, ["picture blank: one flat colour"]),
    ({"state": "closed", "outside_action": "black", "picture_changed_monotonic": 100.0}, []),
    ({"state": "closed", "outside_action": "dim", "picture_changed_monotonic": 100.0},
     ["picture frozen: unchanged for 400 s"]),
    ({"fps": 29.0}, ["slow: 29.0 fps, target 60 fps"]),
    ({"fps": 3.0, "uptime_s": 2.0}, []),  # still starting up
])
def test_verdict(change, problems):
    judged = health.verdict({**SNAP, **change}, 500.0)
    if problems is None:
        assert judged.phase == "starting" and not judged.healthy
    else:
        assert list(judged.problems) == problems and judged.healthy == (not problems)


def test_format_state_for_a_person():
    state = _state(errors=[{"at": "2027-01-15T07:59:00+00:00", "level": "error",
                            "message": "model broken.onnx: metadata lacks 'z_dim'", "count": 3}],
                   next_change={"what": "close", "at": "2027-01-15T18:00:00+01:00"}, open=True)
    text = health.format_state(state, [], 503.5, "/run/aimoji/status.json")
    assert text.splitlines()[0] == "AImoji player: OK   (/run/aimoji/status.json, written 3 s ago)"
    assert "  uptime       01:02:05" in text
    assert "  fps          59.8 (target 60)" in text
    assert "  frames       223000, 12 dropped" in text
    assert "  next change  close 2027-01-15T18:00:00+01:00" in text
    assert "model broken.onnx: metadata lacks 'z_dim' (x3)" in text


def test_write_state_leaves_no_temp_files_and_a_readable_mode(tmp_path):
    old = os.umask(0o077)
    try:
        path = tmp_path / "sub" / "status.json"
        health.write_state(path, {"a": 1})
        health.write_state(path, {"a": 2})
    finally:
        os.umask(old)
    assert json.loads(path.read_text()) == {"a": 2}
    assert os.listdir(path.parent) == ["status.json"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_write_state_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "status.json"
    health.write_state(path, {"a": 1})
    with pytest.raises(TypeError):
        health.write_state(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["status.json"]


def test_read_state_names_the_file_when_it_is_not_json(tmp_path):
    bad = tmp_path / "status.json"
    bad.write_text("{oops")
    with pytest.raises(ValueError, match=r"status.json: not a JSON state file"):
        health.read_state(bad)
    assert health.read_state(tmp_path / "missing.json") is None


@pytest.mark.parametrize("env, expected", [
    ({"AIMOJI_STATE_FILE": "/x/s.json", "RUNTIME_DIRECTORY": "/run/aimoji"}, "/x/s.json"),
    ({"RUNTIME_DIRECTORY": "/run/aimoji:/run/other"}, "/run/aimoji/status.json"),
    ({}, "state/status.json"),
])
def test_state_path_for_writing(env, expected):
    assert str(health.state_path_for_writing(env)) == expected


def test_state_path_for_reading_prefers_the_service_file_when_it_exists(tmp_path):
    service = tmp_path / "status.json"
    assert health.state_path_for_reading({}, service) == health.LOCAL_STATE_FILE
    service.write_text("{}")
    assert health.state_path_for_reading({}, service) == service


def test_state_writer_thread_rewrites_the_file_and_removes_it_on_stop(tmp_path):
    path = tmp_path / "status.json"
    lock = threading.Lock()
    frames = {"n": 0}

    def snapshot():
        with lock:
            frames["n"] += 1
            return {**SNAP, "frames": frames["n"], "last_frame_monotonic": time.monotonic()}

    writer = StateWriter(snapshot, path, every_s=0.05, errors=lambda: [])
    writer.start()
    deadline = time.monotonic() + 5
    seen = set()
    while len(seen) < 3 and time.monotonic() < deadline:
        if path.exists():
            seen.add(json.loads(path.read_text())["frames"])  # never half-written
        time.sleep(0.02)
    writer.stop()
    assert len(seen) >= 3
    assert not writer.is_alive() and not path.exists()
