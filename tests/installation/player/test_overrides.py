"""player/overrides.py: the operator's override state, pure, with a fake clock."""

import pytest

from installation.player.messages import Control
from installation.player.state import Override
from installation.player.stats import venue_iso
from installation.player.overrides import SETTLE_S, Blackout, Overrides, Variant
from installation.scenes.grid import GridScene
from installation.scenes.morph import MorphScene
from installation.show.config import parse_show


def _apply(o, kind, value=None, now=0.0, showing=0, scenes=3):
    return o.apply(Control(kind, value, "10.0.0.9:5000"), now, 1000.0 + now, showing, scenes)


@pytest.mark.parametrize("steps, showing, want", [
    ([1], 0, 1), ([1, 1], 0, 2), ([1, 1, 1], 0, 0), ([-1], 0, 2), ([-1], 2, 1), ([1], None, 1)])
def test_next_and_previous_step_from_what_is_showing(steps, showing, want):
    o = Overrides()
    for s in steps:
        assert _apply(o, "step", s, showing=showing) is None
    o.tick(SETTLE_S, 0.0, 1e9)
    assert o.variant.scene == want


def test_rebuilding_overrides_settle_before_they_take_effect():
    o = Overrides()
    _apply(o, "speed", 2.0, now=0.0)
    o.tick(0.1, 0.0, 1e9)
    assert o.variant == Variant()                      # a fader still moving: not yet
    _apply(o, "speed", 3.0, now=0.2)
    o.tick(0.2 + SETTLE_S, 0.0, 1e9)
    assert o.variant == Variant(speed=3.0)
    assert o.report(0.3, 1000.3, max_s=0) == {"speed": Override(3.0, "10.0.0.9:5000")}


def test_a_scene_outside_the_playlist_is_refused():
    o = Overrides()
    assert "not in the playlist" in _apply(o, "scene", 5, scenes=3)
    assert o.wanted == {}


def test_release_drops_everything_and_fades_a_blackout_back_up():
    o = Overrides()
    _apply(o, "blackout", (True, 2.0), now=0.0)
    _apply(o, "freeze", True, now=0.0)
    _apply(o, "mood", "horror", now=0.0)
    assert o.black_level(1.0) == pytest.approx(0.5) and o.frozen
    o.release(1.0)
    assert o.wanted == {} and not o.frozen
    assert o.black_level(2.0) == pytest.approx(0.25)    # from 0.5 back to 0 over 2 s
    o.tick(3.1, 0.0, 1e9)
    assert o.blackout is None and o.variant == Variant()


def test_until_next_change_ends_at_the_schedules_next_change():
    o = Overrides("until_next_change")
    _apply(o, "mood", "sad")
    o.tick(0.0, 100.0, 500.0)                          # the schedule changes at walk time 500
    o.tick(1.0, 499.0, 500.0)
    assert "mood" in o.wanted
    o.tick(2.0, 500.0, 900.0)
    assert o.wanted == {}


def test_entry_and_show_carry_mood_and_speed():
    o = Overrides()
    _apply(o, "mood", "none")
    _apply(o, "speed", 4.0)
    o.tick(SETTLE_S, 0.0, 1e9)
    assert o.entry(MorphScene(mood="happy")).mood is None
    assert o.entry(GridScene(scene="grid")).scene == "grid"
    assert o.show(parse_show({})).walk.speed == 4.0


def test_blackout_level_is_a_linear_fade():
    b = Blackout(1.0, 2.0, 10.0, 0.0)
    assert [b.level(t) for t in (9.0, 10.0, 11.0, 12.0, 20.0)] == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert Blackout(1.0, 0.0, 10.0, 0.0).level(10.0) == 1.0


def test_an_override_lapses_after_max_override_s_and_says_by_whom_and_when():
    o = Overrides()
    _apply(o, "freeze", True, now=10.0)
    _apply(o, "blackout", (True, 2.0), now=20.0)
    _apply(o, "speed", 2.0, now=30.0)
    held = o.report(40.0, 1_800_000_040.0, max_s=3600)
    assert held["freeze"].until == venue_iso(1_800_000_040.0 - 30.0 + 3600, "UTC")
    assert [o.tick(now, 0.0, 1e18, max_s=3600) for now in (3609.9, 3610.0)] == [[], [("freeze", "10.0.0.9:5000")]]
    assert not o.frozen and o.blackout.target == 1.0
    assert o.tick(3620.0, 0.0, 1e18, max_s=3600) == [("blackout", "10.0.0.9:5000")]
    assert o.blackout.target == 0.0 and o.black_level(3621.0) == pytest.approx(0.5)   # fading back up
    assert o.tick(3630.0, 0.0, 1e18, max_s=3600) == [("speed", "10.0.0.9:5000")]
    assert o.wanted == {} and o.tick(3631.0, 0.0, 1e18, max_s=3600) == []
    assert o.variant == Variant()


def test_with_max_override_s_0_an_override_holds_until_released():
    o = Overrides()
    _apply(o, "freeze", True, now=0.0)
    assert o.tick(10 ** 7, 0.0, 1e18, max_s=0) == [] and o.frozen
    assert o.report(10 ** 7, 0.0, max_s=0)["freeze"].until is None
