"""The health verdict: one pure judgement of a PlayerState, by table."""

import pytest

from installation.service.health.verdict import verdict
from tests.support.states import state


@pytest.mark.parametrize("change, problems", [
    ({}, []),
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 30.0}, None),   # starting: not judged
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 61.0},
     ["starting for 61 s and no emoji on screen yet"]),
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 61.0,
      "generation__status": "model 'x' failed (NaN)"},
     ["starting for 61 s and no emoji on screen yet (model 'x' failed (NaN))"]),
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
    ({"frames__fps": 29.0}, ["slow: 29.0 fps, target 60 fps"]),
    ({"frames__fps": 3.0, "uptime_s": 2.0}, []),  # still starting up
])
def test_verdict(change, problems):
    judged = verdict(state(**change), 500.0)
    if problems is None:
        assert judged.phase == "starting" and not judged.healthy
    else:
        assert list(judged.problems) == problems and judged.healthy == (not problems)


def test_a_watchdog_that_looks_later_sees_the_stall():
    assert verdict(state(), 505.5).problems == ("render loop stalled: no new frame for 5.5 s",)
    assert verdict(state(), 502.0, stall_s=1.5).problems == ("render loop stalled: no new frame for 2.0 s",)
