"""OSC in (service/osc.py): the parse table, the allow check, and a python-osc client steering a running
headless player on loopback: scene, bad messages, a refused sender, freeze/blackout health, a burst."""

import ipaddress
import logging
import shutil
import socket
import threading
from dataclasses import replace
import time

import pytest

from installation.model.load import load
from installation.display.output import Window
from installation.player.loop import Player
from installation.player.messages import Control, ShowReady
from installation.service.health.verdict import verdict
from installation.service.remote.control import Cues, Fetch, Ping
from installation.service.remote.osc import Cue, Known, OscServer, Settings, allowed, parse
from installation.show.config import load_show

KNOWN = Known(("morph", "grid", "morph"), ("tiny", "default"), files=("default", "faithful", "tiny"))


@pytest.mark.parametrize("address, args, want", [
    ("/aimoji/scene", [2], Control("scene", 1)),
    ("/aimoji/scene", ["grid"], Control("scene", 1)),
    ("/aimoji/next", [], Control("step", 1)),
    ("/aimoji/previous", [], Control("step", -1)),
    ("/aimoji/mood", ["horror"], Control("mood", "horror")),
    ("/aimoji/mood", ["none"], Control("mood", "none")),
    ("/aimoji/model", ["default"], Control("model", "default")),
    ("/aimoji/speed", [2], Control("speed", 2.0)),
    ("/aimoji/speed", [0.1], Control("speed", 0.1)),
    ("/aimoji/blackout", [1], Control("blackout", (True, 0.0))),
    ("/aimoji/blackout", [1.0, 3], Control("blackout", (True, 3.0))),
    ("/aimoji/blackout", [False], Control("blackout", (False, 0.0))),
    ("/aimoji/freeze", [1], Control("freeze", True)),
    ("/aimoji/release", [], Control("release", None)),
    ("/aimoji/cue", ["evening"], Cue("evening")),
    ("/aimoji/cue", ["evening.toml"], Cue("evening")),
    # As the tools send them: TouchOSC sends floats, people type names in any case.
    ("/aimoji/scene", [2.0], Control("scene", 1)),
    ("/aimoji/scene", ["Grid"], Control("scene", 1)),
    ("/aimoji/Scene", [3], Control("scene", 2)),
    ("/aimoji/mood", ["Happy"], Control("mood", "happy")),
    ("/aimoji/model", ["DEFAULT"], Control("model", "default")),
    ("/aimoji/model", ["faithful"], Fetch("faithful")),       # a valid file in the folder, not held yet
    ("/aimoji/ping", [], Ping()),
])
def test_good_messages(address, args, want):
    assert parse(address, args, KNOWN) == want


@pytest.mark.parametrize("address, args, says", [
    ("/aimoji/scene", [0], "no such scene"),
    ("/aimoji/scene", [4], "no such scene"),
    ("/aimoji/scene", [1.5], "allowed: 1..3"),
    ("/aimoji/scene", ["evolution"], "allowed: 1..3"),
    ("/aimoji/next", [1], "takes no arguments"),
    ("/aimoji/mood", ["angry"], "allowed: neutral"),
    ("/aimoji/model", ["nope"], "no such model; allowed: default, faithful, tiny"),
    ("/aimoji/speed", [0.05], "0.1..10"),
    ("/aimoji/speed", [11], "0.1..10"),
    ("/aimoji/speed", ["fast"], "0.1..10"),
    ("/aimoji/speed", [float("nan")], "0.1..10"),
    ("/aimoji/speed", [], "takes one argument"),
    ("/aimoji/blackout", [2], "0 or 1"),
    ("/aimoji/blackout", [1, -1], "fade"),
    ("/aimoji/freeze", ["yes"], "0 or 1"),
    ("/aimoji/cue", ["../etc/passwd"], "show file"),
    ("/aimoji/explode", [], "unknown address"),
    ("/other/scene", [1], "unknown address"),
])
def test_bad_messages_say_why(address, args, says):
    result = parse(address, args, KNOWN)
    assert isinstance(result, str) and says in result


@pytest.mark.parametrize("host, nets, ok", [
    ("127.0.0.1", ["127.0.0.1/32"], True),
    ("127.0.0.2", ["127.0.0.1/32"], False),
    ("192.168.1.40", ["10.0.0.0/8", "192.168.1.0/24"], True),
    ("::1", ["127.0.0.1/32"], False),
    ("::1", ["::1/128"], True),
    ("not-an-ip", ["0.0.0.0/0"], False),
])
def test_allowed(host, nets, ok):
    assert allowed(host, [ipaddress.ip_network(n) for n in nets]) is ok


# ---- a running player on loopback ------------------------------------------------------------------

PLAYLIST = """
[[playlist]]
scene = "grid"
cols = 2
rows = 2
duration_s = 600
"""


@pytest.fixture
def playing(screen, tiny_model_path, show_file, tmp_path):
    """start(allow=...) -> (player, port, client); the player runs on the test thread via run()."""
    servers = []

    def start(allow=("127.0.0.1/32",), scene="morph", extra=PLAYLIST, override="until_released"):
        from pythonosc.udp_client import SimpleUDPClient
        show = load_show(show_file(scene, extra))
        model = load(tiny_model_path)
        # The first scene for the next hour: the real schedule would pick one by the wall clock.
        player = Player(show, {model.name: model}, model.name, Window(screen), override=override,
                        schedule=lambda now: (0, now + 3600))
        cues = Cues(tmp_path, lambda s, path, by: player.post(ShowReady(s)), logging.getLogger("aimoji.osc"))
        server = OscServer(Settings(port=0, allow=tuple(allow)), player, cues).start()
        servers.append(server)
        return player, server, SimpleUDPClient("127.0.0.1", server.port)
    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def osc_lines():
    """The warnings aimoji.osc logs, caught on that logger (whatever logs.setup did to its parents)."""
    lines = []

    class Catch(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())
    handler, logger = Catch(logging.WARNING), logging.getLogger("aimoji.osc")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def _later(seconds, fn):
    t = threading.Timer(seconds, fn)
    t.start()
    return t


def test_a_scene_change_from_osc_shows_in_the_snapshot(playing):
    player, server, client = playing()
    _later(0.5, lambda: client.send_message("/aimoji/scene", 2))
    stats = player.run(seconds=2.0)
    snap = player.snapshot()
    assert stats["scene"] == "grid" and snap.scene == "grid"
    assert snap.overrides["scene"].value == 2
    assert snap.overrides["scene"].by.startswith("127.0.0.1:")


def test_next_then_release_goes_back_to_the_schedule(playing):
    player, server, client = playing()
    seen = []

    def operator():
        time.sleep(0.3)
        client.send_message("/aimoji/next", [])
        end = time.monotonic() + 3.0
        while time.monotonic() < end and player.snapshot().scene != "grid":
            time.sleep(0.05)
        seen.append(player.snapshot().scene)
        client.send_message("/aimoji/release", [])
    threading.Thread(target=operator).start()
    stats = player.run(seconds=4.5)
    assert seen == ["grid"]
    assert stats["scene"] == "morph" and player.snapshot().overrides == {}


def test_bad_messages_change_nothing_and_log_one_line_each(playing, osc_lines):
    player, server, client = playing()
    bad = [("/aimoji/scene", 9), ("/aimoji/speed", "fast"), ("/aimoji/mood", "angry"),
           ("/aimoji/model", "nope"), ("/aimoji/freeze", 7)]
    _later(0.3, lambda: [client.send_message(a, v) for a, v in bad])
    stats = player.run(seconds=1.0)
    lines = osc_lines
    assert len(lines) == len(bad), lines
    assert all("nothing changed" in line for line in lines)
    assert server.invalid == len(bad)
    assert stats["scene"] == "morph" and player.snapshot().overrides == {}


def test_a_sender_outside_allow_is_refused(playing, osc_lines):
    player, server, client = playing(allow=("10.1.2.0/24",))
    _later(0.3, lambda: [client.send_message("/aimoji/scene", 2) for _ in range(3)])
    stats = player.run(seconds=1.0)
    lines = osc_lines
    assert server.refused == 3 and server.received == 0
    assert lines and all("refused" in line and "127.0.0.1" in line for line in lines)
    assert stats["scene"] == "morph" and player.snapshot().overrides == {}


@pytest.mark.parametrize("address, args", [("/aimoji/freeze", [1]), ("/aimoji/blackout", [1, 0.2])])
def test_freeze_and_blackout_keep_health_ok(playing, address, args):
    player, server, client = playing()
    _later(0.6, lambda: client.send_message(address, args))
    player.run(seconds=1.5)
    snap = player.snapshot()
    assert snap.picture.intended_still is True and address.split("/")[-1] in snap.overrides
    # Long after the picture last changed: still 'ok', because the operator asked for it.
    later = snap.frames.last_monotonic + 1.0
    still = replace(snap, uptime_s=200, picture=replace(snap.picture, changed_monotonic=later - 120))
    assert verdict(still, later).phase == "ok"
    assert verdict(replace(still, picture=replace(still.picture, intended_still=False)), later).phase == "unhealthy"
    if address.endswith("blackout"):
        assert tuple(player.screen.pixels()[60, 80]) == (0, 0, 0)


def test_a_cue_loads_a_show_from_the_show_folder(playing, tmp_path):
    player, server, client = playing()
    (tmp_path / "evening.toml").write_text('title = "evening"\n[display]\nresolution = "320x240"\nfps = 30\n'
                                           '[[playlist]]\nscene = "grid"\ncols = 2\nrows = 2\n')
    _later(0.3, lambda: client.send_message("/aimoji/cue", "evening"))
    stats = player.run(seconds=1.5)
    assert player.snapshot().show == "evening" and stats["scene"] == "grid"


@pytest.mark.realtime
def test_a_burst_of_10000_messages_drops_no_frame(playing, capsys):
    """10,000 /aimoji/speed as fast as one client sends them, while the player runs at 30 fps."""
    player, server, client = playing()
    sent = {}

    def burst():
        time.sleep(0.8)
        start = time.monotonic()
        for i in range(10_000):
            client.send_message("/aimoji/speed", 0.5 + (i % 20) / 10)
        sent["s"] = time.monotonic() - start
    sender = threading.Thread(target=burst)
    sender.start()
    applied = []                 # messages the loop took from its inbox, frame by frame

    def count(p):
        applied.append(p.inbox.qsize())
    player.on_frame = count
    stats = player.run(seconds=4.0)
    sender.join()
    with capsys.disabled():
        print(f"\nOSC burst: 10000 sent in {sent['s']:.2f} s, {server.received} received by the server, "
              f"frames {stats['frames']}, dropped {stats['dropped_frames']}, "
              f"frame_ms p99 {stats['frame_ms_p99']:.1f}, speed now {player.snapshot().overrides}")
    assert server.received > 0 and "speed" in player.snapshot().overrides
    # The burst was spread over frames (INBOX_PER_FRAME at most each), and the loop kept drawing through it.
    assert max(applied) < server.received and stats["frames"] >= 0.5 * 4.0 * 30


# ---- from the command line ---------------------------------------------------------------------------

def _free_udp_port() -> int:
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_play_with_osc_shows_the_override_in_the_state_file(models_dir, show_file, tmp_path):
    import json

    from pythonosc.udp_client import SimpleUDPClient

    from installation.cli import main
    port, state, seen = _free_udp_port(), tmp_path / "status.json", {}

    def operator():
        client = SimpleUDPClient("127.0.0.1", port)
        end = time.monotonic() + 8.0
        while time.monotonic() < end and not seen:
            client.send_message("/aimoji/speed", 2.0)
            time.sleep(0.3)
            try:
                written = json.loads(state.read_text())
            except (OSError, ValueError):
                continue
            if written["player"]["overrides"]:
                seen.update(written)
    sender = threading.Thread(target=operator)
    sender.start()
    rc = main(["play", "--headless", "--seconds", "6", "--models", str(models_dir), "--no-watch",
               "--show", str(show_file("morph")), "--state", str(state), "--osc", str(port)])
    sender.join()
    assert rc == 0
    speed = seen["player"]["overrides"]["speed"]
    assert speed["value"] == 2.0 and speed["by"].startswith("127.0.0.1:")
    assert seen["companions"]["osc"].startswith(f"on 127.0.0.1:{port}") and seen["healthy"] is True


@pytest.mark.parametrize("argv, line", [
    (["--osc", "0"], "aimoji play: --osc 0: not a port; allowed: 1..65535"),
    (["--osc", "9000", "--osc-allow", "lan"],
     "aimoji play: --osc-allow 'lan' is not a network; allowed: CIDR such as 192.168.1.0/24"),
])
def test_bad_osc_options_are_one_line(capsys, models_dir, show_file, argv, line):
    from installation.cli import main
    rc = main(["play", "--headless", "--seconds", "1", "--models", str(models_dir),
               "--show", str(show_file("morph")), *argv])
    assert rc == 2 and capsys.readouterr().err.strip().splitlines() == [line]


def _nested_bundle(depth: int) -> bytes:
    """A bundle holding a bundle holding ... a /aimoji/speed message, `depth` deep (one small datagram)."""
    packet = b"/aimoji/speed\x00\x00\x00,f\x00\x00@\x00\x00\x00"
    for _ in range(depth):
        packet = b"#bundle\x00" + b"\x00\x00\x00\x00\x00\x00\x00\x01" + len(packet).to_bytes(4, "big") + packet
    return packet


def test_a_nested_bundle_costs_one_line_never_a_traceback(playing, osc_lines, capfd):
    """A depth-500 bundle makes python-osc recurse until RecursionError: one warning, nothing on stderr,
    however many arrive (the log's RepeatFilter folds the same line per sender)."""
    player, server, client = playing()
    datagram = _nested_bundle(500)
    assert len(datagram) < 65_507            # one UDP datagram
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(20):
            sock.sendto(datagram, ("127.0.0.1", server.port))
        _later(0.5, lambda: None)
        stats = player.run(seconds=1.0)
    assert server.unreadable >= 1 and stats["frames"] > 10
    assert osc_lines and all(line.startswith("OSC from 127.0.0.1: unreadable datagram (") for line in osc_lines)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred during processing" not in err


@pytest.mark.realtime
def test_a_flood_stays_bounded_and_a_blackout_sent_after_it_applies_at_once(playing, osc_lines):
    """Two senders flood /aimoji/speed as fast as they can for 4 s, then one sends a blackout: memory
    and log lines stay bounded, the flood is dropped at its sources, the blackout reaches the wall
    within a second. (benchmarks/faults.py runs it for 60 s and reports RSS.)"""
    player, server, client = playing()
    marks = {}

    def flood():
        time.sleep(0.5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
            datagram = b"/aimoji/speed\x00\x00\x00,f\x00\x00@\x00\x00\x00"
            end = time.monotonic() + 4.0
            while time.monotonic() < end:
                for _ in range(200):
                    a.sendto(datagram, ("127.0.0.1", server.port))
                    b.sendto(datagram, ("127.0.0.1", server.port))
        # UDP: a datagram sent while the flood fills the socket's buffer is lost in the kernel, as
        # on any OSC link; sent after it, the blackout must not wait behind what the flood left.
        time.sleep(0.1)
        marks["sent_blackout"] = time.monotonic()
        client.send_message("/aimoji/blackout", [1, 0.0])

    def watch(p):
        if "sent_blackout" in marks and "dark" not in marks and p.overrides.black_level(p.clock()) >= 1.0:
            marks["dark"] = time.monotonic()
    player.on_frame = watch
    sender = threading.Thread(target=flood)
    sender.start()
    stats = player.run(seconds=6.5)
    sender.join()
    assert "dark" in marks and marks["dark"] - marks["sent_blackout"] < 1.0, (marks, server.status())
    assert server.limit.dropped > 1000 and len(player.controls) == 0
    assert len(osc_lines) <= 4, osc_lines      # a line per sender at the burst's start (and its end)
    assert stats["frames"] > 100


def test_as_touchosc_sends_it_scene_2_0_and_a_model_from_the_folder_reach_the_wall_and_feed_back(
        screen, tiny_model_path, show_file, tmp_path, export_model):
    """TouchOSC sends /aimoji/scene 2.0 (floats) and a button /aimoji/model faithful, a valid file in
    the models folder the player does not hold yet: both on the wall, and the layout's faders and labels
    hear the state back on the socket it sent from."""
    from pythonosc.osc_message_builder import OscMessageBuilder
    from pythonosc.osc_message import OscMessage

    from installation.service.remote.shelf import Shelf
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(tiny_model_path, folder / "tiny.onnx")
    shutil.copy(export_model("faithful", seed=5), folder / "faithful.onnx")
    show = load_show(show_file("morph", PLAYLIST))
    model = load(folder / "tiny.onnx")
    player = Player(show, {"tiny": model}, "tiny", Window(screen), schedule=lambda now: (0, now + 3600))
    cues = Cues(tmp_path, lambda s, path, by: player.post(ShowReady(s)), logging.getLogger("aimoji.osc"))
    shelf = Shelf(folder, load, player.post, logging.getLogger("aimoji.control"))
    shelf.start()
    server = OscServer(Settings(port=0), player, cues, shelf).start()
    tablet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tablet.bind(("127.0.0.1", 0))
    tablet.settimeout(0.2)
    heard: dict[str, tuple] = {}

    def send(address, *args):
        message = OscMessageBuilder(address=address)
        for a in args:
            message.add_arg(a)
        tablet.sendto(message.build().dgram, ("127.0.0.1", server.port))

    def tablet_side():
        time.sleep(0.6)
        send("/aimoji/scene", 2.0)
        send("/aimoji/model", "faithful")
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                msg = OscMessage(tablet.recv(4096))
            except (TimeoutError, socket.timeout):
                continue
            heard[msg.address] = tuple(msg.params)
    side = threading.Thread(target=tablet_side)
    side.start()
    try:
        stats = player.run(seconds=5.0)
    finally:
        side.join()
        server.stop()
        shelf.stop()
        tablet.close()
    snap = player.snapshot()
    assert snap.scene_index == 2 and stats["scene"] == "grid"
    assert snap.model == "faithful" and "faithful" in snap.models
    assert player.programme.latest == "tiny"                  # asked for by name: held, not 'latest'
    assert heard.get("/aimoji/scene") == (2,) and heard.get("/aimoji/model") == ("faithful",)
    assert heard.get("/aimoji/state/scene") == ("grid 2/2",) and "/aimoji/speed" in heard
