"""The state file: a Report built from the player's state, written atomically, read back typed,
judged for staleness, formatted for a person, and rewritten by a thread."""

import json
import os
import threading
import time

import pytest

from installation.service.health import report as rp
from installation.service.health.logs import LogEntry
from installation.service.health.report import Companions
from installation.service.health.writer import StateWriter
from tests.support.states import state

ERROR = LogEntry("2027-01-15T07:59:00+00:00", "error", "model broken.onnx: metadata lacks 'z_dim'", 3)


def _report(s=None, now_mono=500.5, boot="b1", errors=()):
    return rp.build_report(s or state(), Companions(display_power="on"), 1_800_000_000.0, now_mono, 7, errors, boot)


def test_a_report_turns_monotonic_times_into_ages_and_carries_the_verdict():
    r = _report(now_mono=500.25, errors=(ERROR,))
    assert r.last_frame_age_s == 0.25 and r.picture_still_s == 0.35 and r.written_monotonic == 500.25
    assert r.healthy and r.problems == () and r.phase == "ok" and r.schema == rp.SCHEMA
    assert r.written_at_utc == "2027-01-15T08:00:00+00:00"
    assert (r.player.model, r.player.scene, r.player.show, r.pid) == ("emoji-e40", "morph", "museum-week", 7)
    unhealthy = _report(state(picture__flat=True))
    assert not unhealthy.healthy and unhealthy.problems == ("picture blank: one flat colour",)


def test_written_and_read_back_it_is_the_same_value(tmp_path):
    path = tmp_path / "sub" / "status.json"
    written = _report(state(overrides={}), errors=(ERROR,))
    old = os.umask(0o077)
    try:
        rp.write_report(path, written)
        rp.write_report(path, written)
    finally:
        os.umask(old)
    assert rp.read_report(path) == written
    data = json.loads(path.read_text())
    assert data["schema"] == rp.SCHEMA and data["player"]["frames"]["dropped"] == 12
    assert os.listdir(path.parent) == ["status.json"]
    assert path.stat().st_mode & 0o777 == 0o644                     # readable by `aimoji status`


@pytest.mark.parametrize("text, message", [
    ("{oops", r"status.json: not a player state file \(: Invalid JSON"),
    ('{"schema": 1, "state": "playing"}', r"status.json: a state file of schema 1, written by another version "
                                          r"of the player; allowed: schema 2"),
    ('{"schema": 2}', r"status.json: not a player state file \(written_at: Field required\)"),
])
def test_a_file_that_is_not_a_report_is_one_line_naming_it(tmp_path, text, message):
    bad = tmp_path / "status.json"
    bad.write_text(text)
    with pytest.raises(ValueError, match=message):
        rp.read_report(bad)
    assert rp.read_report(tmp_path / "missing.json") is None


@pytest.mark.parametrize("changes, now, boot, expected", [
    (None, 501.0, "b1", ["no state file (is the player running?)"]),
    ({}, 501.0, "b1", []),
    ({}, 515.5, "b1", []),  # exactly the limit is still fresh
    ({}, 516.5, "b1", ["stale: last written 16 s ago (limit 15 s); the player is not running or is hung"]),
    ({}, 501.0, "b2", ["stale: written before this boot; the player has not run since"]),
    ({}, 501.0, None, []),  # no boot id to compare (not Linux): the clock alone decides
    ({"picture__changed_monotonic": 489.0}, 501.0, "b1", ["picture frozen: unchanged for 12 s"]),
    ({"activity": "starting", "frames__last_monotonic": None, "uptime_s": 3.0}, 501.0, "b1",
     ["starting: no emoji on screen yet"]),
])
def test_judge(changes, now, boot, expected):
    r = None if changes is None else _report(state(**changes))
    assert rp.judge(r, now, boot, max_age_s=15) == expected


def test_a_waiting_cue_and_overrides_read_as_sentences():
    from installation.player.state import Override, Pending
    cue = Override("evening", "OSC from 10.0.0.5:53000", "2027-01-15T19:00:00+01:00")
    s = state(pending=Pending("evening", "2027-01-15T18:10:00+01:00", cue),
              overrides={"blackout": Override({"on": True, "fade_s": 2.0}, "10.0.0.5:53000", "2027-01-15T19:00:00+01:00"),
                         "scene": Override(2, "http 10.0.0.7")})
    text = rp.format_report(_report(s), [], 501.0, "s.json")
    assert "  waiting      show 'evening' takes over at 18:10 (cued by OSC from 10.0.0.5:53000)" in text
    assert "  overrides    blackout (fade 2 s) by 10.0.0.5:53000 until 19:00; scene 2 by http 10.0.0.7" in text


def test_format_report_for_a_person():
    r = _report(state(next_change="2027-01-15T18:00:00+01:00"), now_mono=500.5, errors=(ERROR,))
    text = rp.format_report(r, [], 503.5, "/run/aimoji/status.json")
    assert text.splitlines()[0] == "AImoji player: OK   (/run/aimoji/status.json, written 3 s ago)"
    assert "  uptime       01:02:05" in text
    assert "  fps          59.8 (target 60)" in text
    assert "  frames       223000, 12 dropped" in text
    assert "  next change  2027-01-15 18:00" in text and "  venue time   UTC" in text
    assert "  display power on" in text
    assert "model broken.onnx: metadata lacks 'z_dim' (x3)" in text



def test_the_errors_heading_counts_what_it_lists():
    errors = tuple(LogEntry(f"10:00:{i:02d}", "warning", f"warning {i}") for i in range(10))
    lines = rp.format_report(_report(errors=errors), [], 503.5, "s.json").splitlines()
    heading = lines.index("  last errors (5 of 10):")
    assert [line.split(": ", 1)[1] for line in lines[heading + 1:]] == [f"warning {i}" for i in range(5, 10)]

@pytest.mark.parametrize("env, expected", [
    ({"AIMOJI_STATE_FILE": "/x/s.json", "RUNTIME_DIRECTORY": "/run/aimoji"}, "/x/s.json"),
    ({"RUNTIME_DIRECTORY": "/run/aimoji:/run/other"}, "/run/aimoji/status.json"),
    ({}, "state/status.json"),
])
def test_state_path_for_writing(env, expected):
    assert str(rp.state_path_for_writing(env)) == expected


def test_state_path_for_reading_prefers_the_service_file_when_it_exists(tmp_path):
    service = tmp_path / "status.json"
    assert rp.state_path_for_reading({}, service) == rp.LOCAL_STATE_FILE
    service.write_text("{}")
    assert rp.state_path_for_reading({}, service) == service


def test_state_writer_thread_rewrites_the_file_and_removes_it_on_stop(tmp_path):
    path = tmp_path / "status.json"
    lock = threading.Lock()
    frames = {"n": 0}

    def snapshot():
        with lock:
            frames["n"] += 1
            return state(frames__shown=frames["n"], frames__last_monotonic=time.monotonic())

    writer = StateWriter(snapshot, path=path, every_s=0.05, errors=lambda: ())
    writer.start()
    deadline = time.monotonic() + 5
    seen = set()
    while len(seen) < 3 and time.monotonic() < deadline:
        if path.exists():
            seen.add(rp.read_report(path).player.frames.shown)  # never half-written
        time.sleep(0.02)
    writer.stop()
    assert len(seen) >= 3
    assert not writer.is_alive() and not path.exists()
