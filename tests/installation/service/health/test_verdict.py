"""The health verdict: one pure judgement of a PlayerState, by table: problems a restart may fix (the
watchdog stops), degradations it would not (reported, the watchdog fed)."""

import pytest

from installation.clocksync.readings import ClockSync
from installation.service.health.verdict import START_BOUND_S, clock_degradation, verdict
from tests.support.states import state


@pytest.mark.parametrize("change, problems", [
    ({}, []),
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 30.0}, None),   # starting: not judged
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": START_BOUND_S - 1}, None),  # a weak PC
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 241.0},
     ["starting for 241 s and no emoji on screen yet"]),
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 241.0,
      "generation__status": "model 'x' failed (NaN)"},
     ["starting for 241 s and no emoji on screen yet (model 'x' failed (NaN))"]),
    ({"frames__last_monotonic": 494.0}, ["render loop stalled: no new frame for 6.0 s"]),
    ({"picture__changed_monotonic": 489.0}, ["picture frozen: unchanged for 11 s"]),
    ({"picture__changed_monotonic": 489.0, "picture__still_allowed_s": 9.0}, []),     # evolution's held face
    ({"picture__changed_monotonic": 489.0, "picture__intended_still": True}, []),     # an operator's freeze
    ({"picture__changed_monotonic": None}, []),                                       # not looked at yet
    ({"picture__flat": True}, ["picture blank: one flat colour"]),
    ({"picture__flat": True, "picture__dark": True}, ["picture blank: one flat colour (black)"]),
    ({"picture__flat": True, "picture__intended_still": True}, []),                   # a blackout
    ({"activity": "closed", "outside_action": "black", "picture__changed_monotonic": 100.0}, []),
    ({"activity": "closed", "outside_action": "dim", "picture__changed_monotonic": 100.0},
     ["picture frozen: unchanged for 400 s"]),
    ({"picture__on_panel": 0.0}, ["the calibration puts 100% of the picture off the panel (its offset or scale)"]),
    ({"picture__on_panel": 0.6}, []),                                     # a little off the edge is a choice
    ({"generation__stopped": True, "generation__status": "model 'm' keeps failing (boom)"},
     ["generation stopped: model 'm' keeps failing (boom)"]),
    # Images are made but the picture does not show them: frozen, whatever is in the making now.
    ({"picture__changed_monotonic": 489.0, "generation__made_at": 495.0, "generation__making_since": 495.0},
     ["picture frozen: unchanged for 11 s"]),
    ({"picture__flat": True, "picture__changed_monotonic": 490.0, "generation__made_at": 498.0,
      "generation__making_since": 499.5},
     ["picture blank: one flat colour"]),
    # One batch in the making for longer than any slow machine takes: stuck.
    ({"picture__changed_monotonic": 300.0, "generation__made_at": 299.8, "generation__making_since": 370.0},
     ["generation stuck: one batch in the making for 130 s"]),
])
def test_problems_a_restart_may_fix(change, problems):
    judged = verdict(state(**change), 500.0)
    if problems is None:
        assert judged.phase == "starting" and not judged.healthy and not judged.alive
    else:
        assert list(judged.problems) == problems and judged.healthy == (not problems)
        assert judged.alive == (not problems)


@pytest.mark.parametrize("change, degraded", [
    ({"frames__fps": 29.0}, ["slow: 29.0 fps, target 60 fps"]),
    ({"frames__fps": 3.0, "uptime_s": 2.0}, []),                          # still starting up
    ({"frames__dropped_share": 0.4}, ["dropping 40% of frames"]),
    ({"frames__dropped_share": 0.2}, []),
    ({"generation__degraded": "playlist entry 1: a 12x12 grid asks 576 images/s; ..."},
     ["playlist entry 1: a 12x12 grid asks 576 images/s; ..."]),
    ({"generation__status": "model 'm' failed 3 times (boom); playing 'default' instead"},
     ["model 'm' failed 3 times (boom); playing 'default' instead"]),
    ({"frames__fps": 1.0, "frames__dropped_share": 1.0},                  # a weak PC: slow, but a wall
     ["slow: 1.0 fps, target 60 fps", "dropping 100% of frames"]),
    # A picture still (or still empty) because its next image is being made: slow, not dead.
    ({"picture__changed_monotonic": 480.0, "generation__made_at": 479.8, "generation__making_since": 479.9},
     ["picture held: its next image in the making for 20 s"]),
    ({"picture__changed_monotonic": 480.0, "generation__made_at": None, "generation__making_since": 470.0},
     ["picture held: its next image in the making for 30 s"]),
    ({"picture__flat": True, "picture__changed_monotonic": 495.0, "generation__making_since": 494.0},
     ["picture held: its next image in the making for 6 s"]),
    # An image made just now and not looked at yet still counts as awaited.
    ({"picture__changed_monotonic": 480.0, "generation__made_at": 499.6, "generation__making_since": 499.7},
     ["picture held: its next image in the making for 0 s"]),
])
def test_degradations_are_reported_and_the_watchdog_stays_fed(change, degraded):
    judged = verdict(state(**change), 500.0)
    assert list(judged.degraded) == degraded and judged.problems == () and judged.alive
    assert judged.phase == ("degraded" if degraded else "ok")


def test_a_watchdog_that_looks_later_sees_the_stall():
    assert verdict(state(), 505.5).problems == ("render loop stalled: no new frame for 5.5 s",)
    assert verdict(state(), 502.0, stall_s=1.5).problems == ("render loop stalled: no new frame for 2.0 s",)


FAR = ClockSync("far", "clock off by +30.0 ms by chrony (10.0.0.1): more than half a frame (8.3 ms at 60 fps), "
                "so this screen can show another frame than its neighbours", "chrony", 0.03, None, 60.0)


@pytest.mark.parametrize("clock, wall, degraded", [
    (ClockSync("synced", "clock synchronised by chrony (10.0.0.1), off by +0.4 ms", "chrony", 0.0004), True, []),
    (FAR, True, [FAR.line]),
    (FAR, False, []),                       # a single screen: its clock is reported, not judged
    (ClockSync("unsynced", "clock not synchronised: chrony has no time server it follows", "chrony"), True,
     ["clock not synchronised: chrony has no time server it follows"]),
    (ClockSync("unknown", "clock sync unknown: adjtimex refused: Operation not permitted", "none"), True,
     ["clock sync unknown: adjtimex refused: Operation not permitted"]),
    (None, True, []),                       # not looked at yet
])
def test_a_walls_clock_that_is_not_synced_is_a_degradation(clock, wall, degraded):
    assert clock_degradation(clock, wall) == (degraded[0] if degraded else None)
    judged = verdict(state(clock=clock, wall=wall), 500.0)
    assert list(judged.degraded) == degraded and judged.problems == () and judged.alive
