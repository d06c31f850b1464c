"""player/controls.py: however many controls arrive, the loop gets at most one of each kind, the latest,
with blackout and release first."""

import threading

from installation.player.controls import ControlBox
from installation.player.messages import Control


def test_the_latest_of_each_kind_wins_and_steps_add_up():
    box = ControlBox()
    for v in (0.5, 0.7, 2.4):
        box.put(Control("speed", v, "fader"))
    for step in (1, 1, -1):
        box.put(Control("step", step, "qlab"))
    box.put(Control("mood", "happy", "qlab"))
    assert box.take() == [Control("speed", 2.4, "fader"), Control("step", 1, "qlab"), Control("mood", "happy", "qlab")]
    assert box.take() == [] and (box.received, box.merged) == (7, 4)


def test_blackout_and_release_overtake_everything():
    box = ControlBox()
    box.put(Control("speed", 3.0, "a"))
    box.put(Control("blackout", (True, 2.0), "b"))
    assert [c.kind for c in box.take()] == ["blackout", "speed"]
    box.put(Control("scene", 1, "a"))
    box.put(Control("freeze", True, "a"))
    box.put(Control("release", None, "c"))          # what came before a release is moot
    box.put(Control("blackout", (True, 0.0), "d"))  # what comes after it is not
    assert box.take() == [Control("release", None, "c"), Control("blackout", (True, 0.0), "d")]


def test_steps_that_cancel_out_are_nothing():
    box = ControlBox()
    box.put(Control("step", 1))
    box.put(Control("step", -1))
    assert box.take() == []


def test_a_flood_from_many_threads_costs_one_control_per_kind():
    box = ControlBox()

    def flood(n):
        for i in range(20_000):
            box.put(Control("speed", 0.1 + (i % 90) / 10, f"sender {n}"))
    threads = [threading.Thread(target=flood, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(box) == 1 and box.received == 80_000 and [c.kind for c in box.take()] == ["speed"]
