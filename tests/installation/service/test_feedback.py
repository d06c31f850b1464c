"""OSC feedback (service/remote/feedback.py): the state on the control addresses, what changed sent
to each sender heard lately, everything to a ping; and one log line per control, repeats folded."""

import logging

from pythonosc.osc_message import OscMessage

from installation.player.messages import Control
from installation.player.state import Override, Pending
from installation.service.remote.control import ActionLog, describe
from installation.service.remote.feedback import REFRESH_S, SUBSCRIBED_S, Feedback, messages
from tests.support.states import state

PLAYING = state(scene_index=2, playlist=("morph", "grid"), scene="grid", speed=2.5, mood="happy",
                overrides={"blackout": Override({"on": True, "fade_s": 2.0}, "x")},
                pending=Pending("evening", "2026-12-05T18:10:00+01:00", None))


def test_the_state_on_the_addresses_a_layout_binds():
    m = messages(PLAYING, "degraded")
    assert m["/aimoji/scene"] == (2,) and m["/aimoji/speed"] == (2.5,) and m["/aimoji/mood"] == ("happy",)
    assert m["/aimoji/blackout"] == (1,) and m["/aimoji/freeze"] == (0,)
    assert m["/aimoji/state/scene"] == ("grid 2/2",) and m["/aimoji/state/pending"] == ("evening at 18:10",)
    assert m["/aimoji/state/health"] == ("degraded",) and m["/aimoji/model"] == ("emoji-e40",)


def _feedback(now, current):
    sent = []
    fb = Feedback(lambda data, to: sent.append((to, OscMessage(data).address, tuple(OscMessage(data).params))),
                  lambda: (current[0], "ok"), fixed=("10.0.0.30", 9001), clock=lambda: now[0])
    return fb, sent


def test_what_changed_goes_to_the_senders_heard_lately_and_the_fixed_address():
    now, current = [100.0], [PLAYING]
    fb, sent = _feedback(now, current)
    fb.heard(("10.0.0.5", 53000))
    fb.tick()                                                   # the first round: everything, to both
    assert {to for to, _, _ in sent} == {("10.0.0.5", 53000), ("10.0.0.30", 9001)}
    sent.clear()
    now[0] += 0.5
    fb.tick()
    assert sent == []                                           # nothing changed: nothing sent
    current[0] = state(scene_index=1, playlist=("morph", "grid"), scene="morph", speed=2.5, mood="happy",
                       overrides=PLAYING.overrides, pending=PLAYING.pending)
    fb.tick()
    assert sorted(sent) == sorted([(to, path, args) for to in (("10.0.0.5", 53000), ("10.0.0.30", 9001))
                                   for path, args in (("/aimoji/scene", (1,)), ("/aimoji/state/scene", ("morph 1/2",)))])
    sent.clear()
    now[0] += SUBSCRIBED_S + REFRESH_S
    fb.tick()                                                   # the sender went quiet long ago
    assert {to for to, _, _ in sent} == {("10.0.0.30", 9001)}


def test_a_ping_is_answered_at_once_with_everything():
    fb, sent = _feedback([100.0], [PLAYING])
    fb.ping(("10.0.0.5", 53000))
    assert sent[0] == (("10.0.0.5", 53000), "/aimoji/pong", ())
    assert {path for _, path, _ in sent} >= {"/aimoji/scene", "/aimoji/state/show", "/aimoji/state/health"}


def test_controls_are_said_as_people_say_them():
    assert [describe(c) for c in (Control("scene", 0), Control("release"), Control("blackout", (True, 2.0)),
                                  Control("step", -1), Control("freeze", False), Control("speed", 2.4))] == \
        ["scene 1", "release", "blackout on (fade 2 s)", "previous", "unfreeze", "speed 2.4"]


def test_a_swept_fader_is_one_line_every_couple_of_seconds_with_a_count(caplog):
    now = [0.0]
    actions = ActionLog(logging.getLogger("aimoji.test"), clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="aimoji.test"):
        for k in range(150):                                    # 50 a second for three seconds
            now[0] = k / 50
            actions.accepted("OSC from 10.0.0.5:53000", f"speed {k}", "speed")
        actions.accepted("OSC from 10.0.0.5:53000", "blackout on", "blackout")
        for _ in range(5):
            actions.refused("OSC from 10.0.0.6:1", "/aimoji/mood 'angry': allowed: neutral, ...")
    assert [r.getMessage() for r in caplog.records] == [
        "OSC from 10.0.0.5:53000: speed 0",
        "OSC from 10.0.0.5:53000: speed 100 (and 99 more of these before it)",
        "OSC from 10.0.0.5:53000: blackout on",
        "OSC from 10.0.0.6:1: /aimoji/mood 'angry': allowed: neutral, ...; nothing changed"]
