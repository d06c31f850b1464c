"""The control table both OSC and the status page use (service/remote/control.py): names that could be paths
are refused, a cue reads only a show file in the show folder, IPv4-mapped senders are checked as IPv4."""

import ipaddress
import logging

import pytest

from installation.player.messages import Control
from installation.player.state import PlayerState
from installation.service.remote.control import CUE_BURST, Cue, Cues, Known, allowed, parse

KNOWN = Known(("morph", "grid"), ("tiny", "default"))
LOG = logging.getLogger("aimoji.test")


def test_actions_parse_without_an_address():
    assert parse("scene", [2], KNOWN, "http 10.0.0.5") == Control("scene", 1, "http 10.0.0.5")
    assert parse("blackout", [1, 2], KNOWN) == Control("blackout", (True, 2.0))
    assert parse("cue", ["evening"], KNOWN) == Cue("evening")


@pytest.mark.parametrize("what, args, says", [
    ("cue", ["../../etc/passwd"], "show file in the show folder"),
    ("cue", ["/etc/passwd"], "show file in the show folder"),
    ("cue", [".hidden"], "show file in the show folder"),
    ("cue", ["sub/evening"], "show file in the show folder"),
    ("cue", [7], "show file in the show folder"),
    ("model", ["../default"], "no such model"),
    ("model", ["/tmp/evil.onnx"], "no such model"),
    ("scene", [True], "allowed: 1..2"),
    ("shutdown", [], "unknown action shutdown"),
])
def test_names_that_could_be_paths_or_programs_are_refused(what, args, says):
    result = parse(what, args, KNOWN)
    assert isinstance(result, str) and says in result


def test_a_cue_loads_only_the_named_show_from_the_show_folder(tmp_path):
    (tmp_path / "evening.toml").write_text('title = "evening"\n')
    (tmp_path / "broken.toml").write_text('title = 3\n')
    posted = []
    cues = Cues(tmp_path, lambda show, path, by: posted.append((show.title, path, by)), LOG, clock=lambda: 0.0)
    assert cues.load(Cue("evening"), "OSC from 10.0.0.5:9000") is None
    assert posted == [("evening", tmp_path / "evening.toml", "OSC from 10.0.0.5:9000")]
    why = cues.load(Cue("broken"), "t")
    assert why.startswith("cue broken: ") and "broken.toml: title" in why and len(posted) == 1
    assert "show file not found" in cues.load(Cue("nope"), "t")


def test_a_cue_flood_loads_a_few_and_says_so_once(tmp_path, caplog):
    (tmp_path / "evening.toml").write_text('title = "evening"\n')
    posted, now = [], [100.0]
    cues = Cues(tmp_path, lambda show, path, by: posted.append(show.title), LOG, clock=lambda: now[0])
    with caplog.at_level("INFO", logger="aimoji.test"):
        answers = [cues.load(Cue("evening"), "OSC from 10.0.0.5:9000") for _ in range(11_296)]
    assert len(posted) == CUE_BURST and answers.count(None) == CUE_BURST
    assert all(a.endswith("cues a second; refused") for a in answers if a is not None)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith("cue from any sender: more than 0.5 messages a second")
    now[0] += 10.0                                   # ten seconds later the gate is open again
    assert cues.load(Cue("evening"), "t") is None and len(posted) == CUE_BURST + 1


def test_known_comes_from_the_snapshot():
    assert Known.of(PlayerState(playlist=("morph", "grid"), models=("a",))) == Known(("morph", "grid"), ("a",))
    assert Known.of(PlayerState()) == Known((), ())


def test_an_ipv4_mapped_sender_is_judged_as_ipv4():
    nets = [ipaddress.ip_network("192.168.1.0/24")]
    assert allowed("::ffff:192.168.1.7", nets) and not allowed("::ffff:10.0.0.1", nets)
