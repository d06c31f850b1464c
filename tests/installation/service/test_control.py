"""The control table both OSC and the status page use (service/remote/control.py): names that could be paths
are refused, a cue reads only a show file in the show folder, IPv4-mapped senders are checked as IPv4."""

import ipaddress
import logging

import pytest

from installation.player.messages import Control
from installation.player.state import PlayerState
from installation.service.remote.control import Cue, Known, allowed, load_cue, parse

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
    ("model", ["../default"], "not a loaded model"),
    ("model", ["/tmp/evil.onnx"], "not a loaded model"),
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
    assert load_cue(Cue("evening"), tmp_path, lambda show, path: posted.append((show.title, path)), "t", LOG) is None
    assert posted == [("evening", tmp_path / "evening.toml")]
    why = load_cue(Cue("broken"), tmp_path, lambda show, path: posted.append(show), "t", LOG)
    assert why.startswith("cue broken: ") and "broken.toml: title" in why and len(posted) == 1
    assert "show file not found" in load_cue(Cue("nope"), tmp_path, posted.append, "t", LOG)


def test_known_comes_from_the_snapshot():
    assert Known.of(PlayerState(playlist=("morph", "grid"), models=("a",))) == Known(("morph", "grid"), ("a",))
    assert Known.of(PlayerState()) == Known((), ())


def test_an_ipv4_mapped_sender_is_judged_as_ipv4():
    nets = [ipaddress.ip_network("192.168.1.0/24")]
    assert allowed("::ffff:192.168.1.7", nets) and not allowed("::ffff:10.0.0.1", nets)
