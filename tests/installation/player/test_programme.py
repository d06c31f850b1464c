"""player/programme.py: what should be on the wall, decided from the show, the models, the overrides
and a waiting show, with every time handed in (no clock, no pygame, no threads)."""

import math

from installation.player.messages import Control, ShowReady
from installation.player.overrides import SETTLE_S, Overrides
from installation.player.programme import Programme
from installation.show.config import parse_show

SHOW = parse_show({"title": "two", "playlist": [{"scene": "morph", "duration_s": 60},
                                                 {"scene": "grid", "model": "named", "mood": "happy"}]})
MODELS = {"first": "F1", "named": "N", "default": "D", "old": "O"}   # names are all the programme looks at


def _programme(schedule=lambda t: (0, t + 60.0), models=MODELS, latest="first", show=SHOW):
    return Programme(show, dict(models), latest, Overrides(), schedule)


def test_the_schedule_is_asked_again_only_when_its_answer_runs_out():
    asked = []

    def schedule(t):
        asked.append(t)
        return (len(asked) - 1) % 2, t + 10.0
    p = _programme(schedule)
    assert [p.scene_at(t) for t in (0.0, 5.0, 9.9, 10.0, 15.0)] == [0, 0, 0, 1, 1]
    assert asked == [0.0, 10.0]
    p.forget_schedule()                     # a stepped clock: ask at once
    assert p.scene_at(15.5) == 0 and asked[-1] == 15.5


def test_what_to_play_folds_in_the_entry_the_operator_and_given_up_models():
    p = _programme(lambda t: (1, math.inf))
    p.scene_at(0.0)
    want = p.want(0.0, closed=False, broken={})
    assert (want.index, want.model, want.entry.scene, want.entry.mood) == (1, "named", "grid", "happy")
    assert p.want(0.0, False, broken={"named": "boom"}).model == "first"      # given up: the latest plays
    assert p.want(0.0, closed=True, broken={}).index == 0                      # the dim walk: the first scene
    p.control(Control("scene", 0, "osc"), 0.0, 0.0, showing=1)
    p.control(Control("model", "old", "osc"), 0.0, 0.0, showing=1)
    p.control(Control("mood", "none", "osc"), 0.0, 0.0, showing=1)
    p.overrides.tick(SETTLE_S, 0.0, math.inf)
    want = p.want(0.0, False, {})
    assert (want.index, want.model, want.entry.mood) == (0, "old", None)


def test_a_control_naming_a_model_the_player_does_not_hold_changes_nothing():
    p = _programme()
    assert p.control(Control("model", "gone", "http 10.0.0.2"), 0.0, 0.0, None) == "model 'gone' is not loaded"
    assert p.overrides.wanted == {}


def test_a_next_scene_show_waits_for_the_scene_to_end_or_the_schedule_to_change():
    p = _programme(lambda t: (0, 1000.0))
    p.scene_at(100.0)
    later = parse_show({"title": "later", "transitions": {"show_change": "next_scene"}})
    line = p.receive_show(ShowReady(later), 100.0, playing=True)
    assert line == "show 'later' takes over when the current scene ends (in 60 s; show_change = next_scene)"
    assert p.due_show(159.9) is None and p.due_show(160.0).show == later
    assert p.apply_show(later) and p.show == later and p.waiting is None
    assert not p.apply_show(later)                                             # the same show again
    assert p.receive_show(ShowReady(SHOW), 200.0, playing=False) is None      # nothing playing: now


def test_models_nothing_can_play_are_let_go():
    p = _programme()
    p.add_model("fresh", "F")
    assert p.latest == "fresh"
    p.prune(running=("old",), worked=None)
    assert set(p.models) == {"fresh", "named", "default", "old"}   # "first" was let go: nothing plays it
    p.prune(running=(), worked="old")
    assert "old" in p.models and p.names == ("default", "fresh", "named", "old")
    p.prune(running=(), worked=None)
    assert set(p.models) == {"fresh", "named", "default"}


def test_a_show_whose_wall_lacks_this_screen_is_refused_with_one_line_and_the_show_goes_on():
    said = []
    wall = {"canvas": [200, 100], "screens": [{"name": "a", "rect": [0, 0, 100, 100]},
                                              {"name": "b", "rect": [100, 0, 100, 100]}]}
    programme = Programme(SHOW, dict(MODELS), "first", Overrides(), lambda t: (0, t + 60.0), said.append, screen="c")
    walled = parse_show({"title": "walled", "wall": wall})
    assert programme.apply_show(walled) is False and programme.show is SHOW
    assert said == ["show 'walled': screen 'c' is not on its wall; known: a, b; 'two' goes on"]
    programme.screen = "b"
    assert programme.apply_show(walled) is True
    programme.scene_at(0.0)
    assert programme.want(0.0, False, set()).screen == "b"
