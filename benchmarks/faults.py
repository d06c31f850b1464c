"""Fault injection: a real headless player per case, one fault, and what happened, as a table.

For each fault: was it detected (a log line, a rejected file, or the health verdict saying so), how
many seconds to detect, what the player did, how many seconds until the wall was right again (a
changing, non-blank picture of the right model and scene, or the schedule's state), frames dropped
over the case, RSS before and after. Targets: every fault detected, every recoverable one recovered
within 10 s, and the last good model and show kept playing.

  .venv/bin/python -m benchmarks.faults            # every case (about 3 minutes)
  .venv/bin/python -m benchmarks.faults --only nan # the cases whose name contains 'nan'

The players run in this process on SDL's dummy driver with the runtime's own wiring (hot reload,
show re-reading, state file, display power, health verdict); faults come from outside the player:
files dropped into its folders, models that start failing, a stepped wall clock, SIGSTOP, a blocked
disk, a full one (a small tmpfs: run as root, else that row is skipped with the reason), a display
unplugged (a fake DRM sysfs tree under the connector watcher). The SIGSTOP case runs `aimoji play` as a
subprocess with a systemd notify socket.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["SDL_VIDEODRIVER"] = "dummy"

import installation  # noqa: F401  (quiets pygame's banner before it is imported)
import numpy as np
import pygame
from tests.support.disks import MountRefused, fill, good_captures, tmpfs
from tests.support.drm import plug
from tests.support.model_files import generator_bytes, model_bytes
from tests.support.sessions import flaky, slowed

from installation.calibration import profile as cal
from installation.calibration.apply import Calibration
from installation.model.load import load
from installation.display.connector import ConnectorWatch
from installation.display.output import Window
from installation.player.captures import KEEP
from installation.player.loop import Player
from installation.player.messages import Control, Quit, ShowReady
from installation.service.remote.control import Cues
from installation.service.remote.osc import OscServer
from installation.service.remote.osc import Settings as OscSettings
from installation.service.health.verdict import verdict
from installation.service.runtime import Calibrations, ReloadHooks
from installation.service.reload.reloader import Reloader
from installation.service.health.writer import StateWriter
from installation.show.config import load_show
from installation.text import MB

TINY = ROOT / "tests" / "installation" / "fixtures" / "tiny.onnx"
SHOW = """title = "{title}"
seed = 3
[display]
resolution = "320x240"
fps = 30
[transitions]
crossfade_s = 0.3
[[playlist]]
scene = "{scene}"
duration_s = 600
{extra}"""
RECOVER_LIMIT_S = 10.0


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / MB   # VmRSS counts KiB
    return 0.0


class Lines(logging.Handler):
    """Every log line the player and its companions write, with its monotonic time."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[tuple[float, str]] = []

    def emit(self, record) -> None:
        self.lines.append((time.monotonic(), record.getMessage()))

    def first(self, text: str, after: float) -> float | None:
        return next((t for t, line in list(self.lines) if t >= after and text in line), None)


@dataclass
class Row:
    fault: str
    detected: bool = False
    detect_s: float | None = None
    action: str = ""
    recover_s: float | None = None
    recoverable: bool = True
    recover_limit_s: float = RECOVER_LIMIT_S   # a weak PC's own pace may need longer: said in its row
    dropped: int = 0
    rss_before: float = 0.0
    rss_after: float = 0.0
    notes: list[str] = field(default_factory=list)


class Stage:
    """One player with the runtime's wiring in a temporary folder: models/, shows/, state/."""

    def __init__(self, root: Path, scene: str = "morph", extra: str = "", models: dict | None = None,
                 wall=time.time, schedule=None, batch: int = 8):
        self.root = root
        self.models_dir = root / "models"
        self.models_dir.mkdir()
        (root / "shows").mkdir()
        self.show_path = root / "shows" / "show.toml"
        self.show_path.write_text(SHOW.format(title="fault", scene=scene, extra=extra))
        self.state_path = root / "state" / "status.json"
        shutil.copy(TINY, self.models_dir / "tiny.onnx")
        (self.models_dir / "default.onnx").write_bytes(generator_bytes(seed=4, z_dim=16, side=32))
        loaded = models or {"tiny": load(self.models_dir / "tiny.onnx", batch=batch),
                            "default": load(self.models_dir / "default.onnx", batch=batch)}
        self.screen = pygame.display.set_mode((320, 240))
        self.player = Player(load_show(self.show_path), loaded, next(iter(loaded)), Window(self.screen),
                             batch=batch, wall=wall, schedule=schedule,
                             log=logging.getLogger("aimoji.player").warning)
        self.hooks = ReloadHooks(self.player, self.models_dir, lambda: self.show_path, Calibrations())
        self.reloader = Reloader(self.models_dir, self.show_path, show_folder=self.show_path.parent,
                                 on_model=self.hooks.on_model, on_show=self.hooks.on_show,
                                 on_reject=self.hooks.on_reject, batch=batch,
                                 known_models={m.path: m.sha256 for m in loaded.values()}).start()
        self.writer = StateWriter(self.player.snapshot, path=self.state_path, every_s=0.5)
        self.writer.start()

    def healthy(self) -> bool:
        """The wall shows the piece (degraded counts: a fallback playing, a slower scene)."""
        return verdict(self.player.snapshot(), time.monotonic()).alive

    def close(self) -> None:
        self.reloader.stop()
        self.writer.stop()


def run_case(name: str, stage: Stage, inject, detect, recovered, action: str, seconds: float = 14.0,
             recoverable: bool = True) -> Row:
    """Play; once the wall is healthy, inject; poll detect(t0) (-> time or None) and recovered() (-> bool)."""
    row = Row(name, action=action, recoverable=recoverable)
    out: dict = {}

    def side():
        end = time.monotonic() + seconds
        while time.monotonic() < end and not stage.healthy():
            time.sleep(0.02)
        row.rss_before, out["dropped"] = rss_mb(), stage.player.stats.dropped_frames
        t0 = time.monotonic()
        inject()
        while time.monotonic() < end:
            if row.detect_s is None:
                seen = detect(t0)
                if seen is not None:
                    row.detected, row.detect_s = True, max(0.0, seen - t0)
            if recoverable and row.recover_s is None and row.detected and recovered():
                row.recover_s = time.monotonic() - t0
            if row.detected and (row.recover_s is not None or not recoverable) and time.monotonic() - t0 > 2:
                break
            time.sleep(0.02)
        stage.player.post(Quit())

    thread = threading.Thread(target=side, daemon=True)
    thread.start()
    stage.player.run(seconds=seconds + 5)
    thread.join(5)
    row.dropped = stage.player.stats.dropped_frames - out.get("dropped", 0)
    row.rss_after = rss_mb()
    stage.close()
    return row


def model_fault(root: Path, lines: Lines, name: str, how: str, after: int) -> Row:
    stage = Stage(root)
    failing = flaky(stage.player.models["tiny"], after=None, how=how)
    stage.player.models["tiny"] = failing
    return run_case(name, stage, lambda: failing.session.arm(after), lambda t0: lines.first("failed", t0),
                    lambda: stage.player.snapshot().model == "default" and stage.healthy(),
                    "restart with back-off, then the shipped default")


def file_fault(root: Path, lines: Lines, name: str, data: bytes, file: str = "dropped.onnx") -> Row:
    stage = Stage(root)
    return run_case(name, stage, lambda: (stage.models_dir / file).write_bytes(data),
                    lambda t0: lines.first("rejected", t0),
                    lambda: stage.player.snapshot().model == "tiny" and stage.healthy(),
                    "rejected, one line; the last good model plays on")


def cases(only: str | None, flood_s: float = 60.0) -> list[Row]:
    lines = Lines()
    for name in ("aimoji", "aimoji.player", "aimoji.reload", "aimoji.health", "aimoji.display", "aimoji.osc",
                 "aimoji.control"):
        logging.getLogger(name).addHandler(lines)
        logging.getLogger(name).setLevel(logging.INFO)
    pygame.display.init()
    rows = []

    def want(name: str) -> bool:
        return only is None or only in name

    def fresh() -> Path:
        return Path(tempfile.mkdtemp(prefix="aimoji-fault-"))

    if want("session raising after some batches"):
        rows.append(model_fault(fresh(), lines, "session raising after some batches", "raise", 20))
    if want("session raising on every call"):
        rows.append(model_fault(fresh(), lines, "session raising on every call", "raise", 1))
    if want("model drawing one flat colour after N calls"):
        rows.append(model_fault(fresh(), lines, "model drawing one flat colour after N calls", "flat", 20))
    if want("generator thread killed"):
        rows.append(model_fault(fresh(), lines, "generator thread killed", "thread", 5))
    three = _fails_at_eight()
    for name, data in (("passes 3 latents, fails at batch 8", three),
                       ("model file truncated while being read", model_bytes("truncated")),
                       ("graph with no outputs", _no_outputs()),
                       ("NaN output in a dropped file", model_bytes("nan_output"))):
        if want(name):
            rows.append(file_fault(fresh(), lines, name, data))
    if want("same-name overwrite"):
        root = fresh()
        stage = Stage(root)
        rows.append(run_case(
            "same-name overwrite (retrained tiny.onnx)", stage,
            lambda: (stage.models_dir / "tiny.onnx").write_bytes(generator_bytes(seed=11, z_dim=16, side=32)),
            lambda t0: lines.first("new model", t0),
            lambda: stage.player.snapshot().model_swaps >= 1 and stage.healthy(), "swapped in"))
    if want("models folder replaced"):
        root = fresh()
        stage = Stage(root)

        def replace():
            shutil.rmtree(stage.models_dir)
            stage.models_dir.mkdir()
            (stage.models_dir / "fresh.onnx").write_bytes(generator_bytes(seed=12, z_dim=16, side=32))
        rows.append(run_case("models folder replaced (rm -rf, mkdir, cp)", stage, replace,
                             lambda t0: lines.first("watch", t0),
                             lambda: stage.player.snapshot().model == "fresh" and stage.healthy(),
                             "re-watched, the new model shown"))
    if want("inotify unavailable"):
        rows.append(_inotify_fault(fresh(), lines))
    for step in (3 * 3600, -3 * 3600, 30, -30):
        name = f"wall clock stepped {step:+d} s"
        if want(name):
            rows.append(_clock_fault(fresh(), lines, name, step))
    if want("show edited to an invalid file"):
        root = fresh()
        stage = Stage(root)
        rows.append(run_case("show edited to an invalid file mid-scene", stage,
                             lambda: stage.show_path.write_text("title = 'broken\n"),
                             lambda t0: lines.first("rejected", t0),
                             lambda: stage.player.snapshot().show == "fault" and stage.healthy(),
                             "rejected, one line; the last good show plays on"))
    if want("timezone data missing"):
        root = fresh()
        stage = Stage(root)
        rows.append(run_case("timezone data missing for the show's zone", stage,
                             lambda: stage.show_path.write_text(
                                 SHOW.format(title="mars", scene="morph", extra="") + 'timezone = "Mars/Olympus"\n'),
                             lambda t0: lines.first("timezone", t0),
                             lambda: stage.player.snapshot().show == "fault" and stage.healthy(),
                             "rejected, one line; the last good show plays on"))
    if want("state folder unwritable"):
        rows.append(_state_fault(fresh(), lines))
    if want("disk blocked for captures"):
        rows.append(_capture_fault(fresh(), lines))
    if want("full-disk captures"):
        try:
            with tmpfs(fresh() / "disk", "2m") as disk:
                rows.append(_full_disk_fault(disk.parent, disk, lines))
        except MountRefused as exc:
            print(f"full-disk captures: skipped ({exc})", file=sys.stderr)
    if want("display unplugged"):
        rows.append(_display_fault(fresh(), lines))
    if want("grid slowed after load"):
        rows.append(_grid_fault(fresh(), lines))
    if want("a weak PC's morph under a CPU hog"):
        rows.append(_weak_morph_fault(fresh(), lines))
    if want("OSC flood"):
        rows.append(_osc_fault(fresh(), lines, flood_s))
    if want("nested OSC bundles"):
        rows.append(_bundle_fault(fresh(), lines))
    if want("a freeze forgotten"):
        rows.append(_expiry_fault(fresh(), lines))
    if want("calibration pushing the picture off the panel"):
        rows.append(_off_panel_fault(fresh(), lines))
    if want("SIGSTOP"):
        rows.append(_sigstop_fault(fresh()))
    return rows


def _fails_at_eight() -> bytes:
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load_from_string(generator_bytes())
    model.graph.initializer.append(numpy_helper.from_array(np.array([3, 8], np.int64), "three"))
    model.graph.node.insert(0, helper.make_node("Reshape", ["z", "three"], ["z3"]))
    model.graph.node[1].input[0] = "z3"
    return model.SerializeToString()


def _no_outputs() -> bytes:
    import onnx
    model = onnx.load_from_string(generator_bytes())
    del model.graph.output[:]
    return model.SerializeToString()


def _inotify_fault(root: Path, lines: Lines) -> Row:
    def refuse():
        raise OSError(28, "inotify watch limit reached")
    stage = Stage(root)
    stage.reloader.stop()
    stage.reloader = Reloader(stage.models_dir, stage.show_path, show_folder=stage.show_path.parent,
                              on_model=stage.hooks.on_model, on_show=stage.hooks.on_show,
                              on_reject=stage.hooks.on_reject, observer_factory=refuse).start()
    return run_case("inotify unavailable at start (ENOSPC)", stage,
                    lambda: (stage.models_dir / "late.onnx").write_bytes(generator_bytes(seed=13, z_dim=16, side=32)),
                    lambda t0: lines.first("polling", 0.0),
                    lambda: stage.player.snapshot().model == "late" and stage.healthy(),
                    "polling every second instead, said once")


def _clock_fault(root: Path, lines: Lines, name: str, step: float) -> Row:
    """A step of hours jumps over the closing time (the schedule says closed after it); a step of
    seconds stays within opening hours (the walk moves on, the wall stays healthy)."""
    shift = [0.0]
    boundary = time.time() + step / 2

    def schedule(t):
        if abs(step) < 3600:
            return 0, float("inf")
        opened = t < boundary if step > 0 else t >= boundary
        return (0, boundary) if opened else (None, boundary if t < boundary else float("inf"))
    stage = Stage(root, wall=lambda: time.time() + shift[0], schedule=schedule)
    want = "closed" if abs(step) >= 3600 else "playing"

    def inject():
        shift[0] = step

    def recovered():
        state = stage.player.snapshot().activity
        return state == want and (state == "closed" or stage.healthy())
    return run_case(name, stage, inject, lambda t0: lines.first("wall clock stepped", t0), recovered,
                    "walk and schedule follow it; the scene restarts under a crossfade")


def _state_fault(root: Path, lines: Lines) -> Row:
    stage = Stage(root)
    blocked = root / "blocked"

    def block():
        blocked.write_text("a file where the state folder should be")
        stage.writer.path = blocked / "status.json"
    out = run_case("state folder unwritable", stage, block, lambda t0: lines.first("cannot write state file", t0),
                   lambda: False, "one line per write; the wall plays on", seconds=4.0, recoverable=False)
    out.notes.append("aimoji status reports the file stale after 15 s")
    return out


def _capture_fault(root: Path, lines: Lines) -> Row:
    stage = Stage(root)
    blocked = root / "captures-blocked"
    blocked.write_text("a file where the captures folder should be")
    stage.player.captures_dir, stage.player.keys = blocked / "captures", True
    return run_case("disk blocked for captures (S key)", stage,
                    lambda: pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0)),
                    lambda t0: lines.first("capture not saved", t0), stage.healthy,
                    "one line; the show goes on", seconds=6.0)


def _full_disk_fault(root: Path, disk: Path, lines: Lines) -> Row:
    """The audit's case: the folder at its 200 captures, the disk fills, S is pressed three times."""
    stage = Stage(root)
    folder = disk / "captures"
    kept = good_captures(folder, KEEP)
    stage.player.captures_dir, stage.player.keys = folder, True

    def fill_and_press():
        fill(disk)
        for _ in range(3):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0))
            time.sleep(0.5)   # each press after the last one's write: none skipped as "still being written"

    def intact() -> bool:
        return sorted(folder.iterdir()) == sorted(kept) and all(p.read_bytes() == b for p, b in kept.items())
    start = len(lines.lines)
    row = run_case("full-disk captures (S key x3, 200 kept)", stage, fill_and_press,
                   lambda t0: lines.first("capture not saved", t0),
                   lambda: stage.healthy() and lines.first("capture not saved", 0.0) is not None and intact(),
                   "nothing written, nothing deleted; one line a press", seconds=8.0)
    # a set: the handler sits on 'aimoji' and 'aimoji.player', so each line arrives twice
    said = {line for _, line in lines.lines[start:] if "capture" in line or line.startswith("saved ")}
    empty = sum(1 for p in folder.iterdir() if p.stat().st_size == 0)
    row.notes.append(f"{sum(p.exists() for p in kept)} of {len(kept)} kept, {empty} empty files, "
                     f"{sum(line.startswith('capture not saved') for line in said)} 'not saved' lines, "
                     f"{sum(line.startswith('saved ') for line in said)} 'saved'")
    return row


def _display_fault(root: Path, lines: Lines) -> Row:
    """The panel's cable pulled (a fake DRM sysfs tree), put back once the status says so."""
    drm, name = root / "drm", "card0-HDMI-A-1"
    plug(drm, name)
    stage = Stage(root)
    reopened: list[float] = []
    watch = ConnectorWatch(lambda state: reopened.append(time.monotonic()), root=drm)
    watch.start()
    replugged: list[float] = []

    def replug_once_seen() -> bool:
        if not replugged and watch.state.connected is False:
            plug(drm, name)
            replugged.append(time.monotonic())
        return bool(reopened) and stage.healthy()
    row = run_case("display unplugged (HDMI, fake sysfs)", stage, lambda: plug(drm, name, "disconnected"),
                   lambda t0: lines.first("display disconnected", t0), replug_once_seen,
                   "status and one line; re-open asked when it is back", seconds=10.0)
    watch.stop()
    if reopened and replugged:
        row.notes.append(f"re-open asked {reopened[0] - replugged[0]:.1f} s after the replug (polls every "
                         f"{watch.every_s:g} s); status now: {watch.status()}")
    return row


def _grid_fault(root: Path, lines: Lines) -> Row:
    """The grid's speed measured at load (the model makes 500 images/s), then another program takes the
    CPU: the session makes 60. The grid asking 12x12 x 2 Hz = 288 must be cast again at what it gets."""
    stage = Stage(root, scene="grid", extra="cols = 12\nrows = 12\ntile_fps = 2\n")
    model = stage.player.models["tiny"]
    stage.player.models["tiny"] = replace(model, images_per_s=500.0)

    def cpu_taken():
        stage.player.models["tiny"] = replace(slowed(model, 60.0), images_per_s=500.0)
    def said_degraded(t0):
        judged = verdict(stage.player.snapshot(), time.monotonic())
        return time.monotonic() if judged.degraded else None
    return run_case("grid slowed after load (CPU taken: 500 -> 60 images/s)", stage, cpu_taken, said_degraded,
                    lambda: lines.first("asks 288 images/s; this machine makes", 0) is not None and stage.healthy(),
                    "degraded at once (frames dropped); cast again asking what it gets, said once")


def _weak_morph_fault(root: Path, lines: Lines) -> Row:
    """The gallery VM's case: a morph on a PC that makes 0.7 images/s (0.84 measured at load), then a CPU
    hog leaves it 0.15. The picture holds between late images (degraded, never a restart), and the morph
    is cast again asking what the machine makes now."""
    stage = Stage(root, batch=1)
    slow = replace(slowed(stage.player.models["tiny"], 0.7), images_per_s=0.84)
    stage.player.models["tiny"] = slow
    judged_dead: list[str] = []

    def hog():
        slow.session.seconds_per_image = 1 / 0.15
    def said(t0):
        judged = verdict(stage.player.snapshot(), time.monotonic())
        judged_dead.extend(judged.problems)
        return lines.first("this machine makes 0.1", t0)
    row = run_case("a weak PC's morph under a CPU hog (0.7 -> 0.15 images/s)", stage, hog, said,
                   lambda: not judged_dead and stage.healthy(),
                   "picture held between late images (degraded), then cast again asking what it gets", seconds=60.0)
    row.recover_limit_s = 3 / 0.15 + 5.0   # judged over three of its images, 6.7 s each, and a hand-over
    row.notes += [f"judged unhealthy: {judged_dead[0]}"] if judged_dead else ["never judged unhealthy"]
    row.notes.append(f"recovery bound {row.recover_limit_s:g} s: three images at the hog's pace")
    return row


def _osc_fault(root: Path, lines: Lines, flood_s: float) -> Row:
    """Two senders in the allowed network flood /aimoji/speed as fast as they can for flood_s, then an
    operator sends a blackout: RSS, log lines and the blackout's delay are what counts."""
    stage = Stage(root)
    cues = Cues(stage.show_path.parent, lambda show, path, by: None, logging.getLogger("aimoji.control"))
    server = OscServer(OscSettings(port=0), stage.player, cues).start()
    row = Row(f"OSC flood {flood_s:g} s (2 senders), then a blackout",
              action="dropped at its source, the latest of each kind kept; the blackout overtakes")
    marks, before = {}, len(lines.lines)

    def flood():
        datagram = b"/aimoji/speed\x00\x00\x00,f\x00\x00@\x00\x00\x00"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
            end = time.monotonic() + flood_s
            while time.monotonic() < end:
                for _ in range(200):
                    a.sendto(datagram, ("127.0.0.1", server.port))
                    b.sendto(datagram, ("127.0.0.1", server.port))
        time.sleep(0.1)    # UDP: a datagram sent into a full socket buffer is lost, as on any OSC link
        marks["blackout"] = time.monotonic()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.sendto(b"/aimoji/blackout\x00\x00\x00\x00,if\x00\x00\x00\x00\x01\x00\x00\x00\x00",
                     ("127.0.0.1", server.port))

    def inject():
        marks["rss"] = rss_mb()
        threading.Thread(target=flood, daemon=True).start()

    def dark() -> bool:
        if "blackout" in marks and stage.player.overrides.black_level(stage.player.clock()) >= 1.0:
            marks.setdefault("dark", time.monotonic())
            return True
        return False
    row = run_case(row.fault, stage, inject, lambda t0: lines.first("OSC from 127.0.0.1: more than", t0),
                   dark, row.action, seconds=flood_s + 12)
    server.stop()
    row.recover_s = None if "dark" not in marks else marks["dark"] - marks["blackout"]
    row.notes.append(f"blackout on the wall {_fmt(row.recover_s, '.2f')} s after it was sent; RSS "
                     f"+{row.rss_after - marks.get('rss', row.rss_after):.1f} MB; {server.limit.dropped} datagrams "
                     f"dropped at the source, {len(lines.lines) - before} log lines")
    return row


def _bundle_fault(root: Path, lines: Lines) -> Row:
    """100 datagrams each a depth-500 nested bundle (python-osc recurses until RecursionError)."""
    stage = Stage(root)
    cues = Cues(stage.show_path.parent, lambda show, path, by: None, logging.getLogger("aimoji.control"))
    server = OscServer(OscSettings(port=0), stage.player, cues).start()
    packet = b"/aimoji/speed\x00\x00\x00,f\x00\x00@\x00\x00\x00"
    for _ in range(500):
        packet = b"#bundle\x00" + b"\x00" * 7 + b"\x01" + len(packet).to_bytes(4, "big") + packet
    def inject():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _ in range(100):
                sock.sendto(packet, ("127.0.0.1", server.port))
    row = run_case("nested OSC bundles, depth 500 (x100)", stage, inject,
                   lambda t0: lines.first("unreadable datagram", t0), lambda: stage.healthy(),
                   "one line per sender (folded), never a traceback; nothing changes")
    server.stop()
    row.notes.append(f"{server.unreadable} datagrams read (the rest overflowed the socket's buffer), one warning "
                     "each before the log's repeat filter folds them to one a minute; no traceback")
    return row


def _expiry_fault(root: Path, lines: Lines) -> Row:
    """An operator's freeze over OSC, forgotten: with max_override_s = 5 it lapses by itself."""
    stage = Stage(root, extra="")
    stage.player.programme.show = stage.player.show.model_copy(update={"max_override_s": 5.0})

    def freeze():
        stage.player.post(Control("freeze", True, "10.0.0.9:9000"))
    return run_case("a freeze forgotten (max_override_s = 5)", stage, freeze,
                    lambda t0: lines.first("lapsed after 5 s", t0),
                    lambda: not stage.player.overrides.frozen and stage.healthy(),
                    "lapses by itself, one line; the state said by whom and until when")


def _off_panel_fault(root: Path, lines: Lines) -> Row:
    """A calibration profile with offset_x_px = 8000 (the profile allows +-8000) arrives with the show."""
    stage = Stage(root)
    off = Calibration(cal.Profile(geometry=cal.Geometry(offset_x_px=8000)))

    def push_off():
        stage.player.post(ShowReady(stage.player.show, off))

    def said_unhealthy(t0):
        judged = verdict(stage.player.snapshot(), time.monotonic())
        return time.monotonic() if any("off the panel" in p for p in judged.problems) else None
    return run_case("calibration pushing the picture off the panel", stage, push_off, said_unhealthy,
                    lambda: False, "unhealthy: the watchdog stops (the profile must be fixed)", seconds=8,
                    recoverable=False)


def _sigstop_fault(root: Path) -> Row:
    """`aimoji play` under a fake systemd: the watchdog pings must stop while the process is stopped."""
    (root / "models").mkdir()
    shutil.copy(TINY, root / "models" / "tiny.onnx")
    show = root / "show.toml"
    show.write_text(SHOW.format(title="stop", scene="morph", extra=""))
    sock_path = root / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.1)
    proc = subprocess.Popen([sys.executable, "-m", "installation.cli", "play", "--headless", "--no-watch",
                             "--models", str(root / "models"), "--show", str(show), "--state",
                             str(root / "state.json")], cwd=ROOT, stderr=subprocess.DEVNULL,
                            env={**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000"})
    row = Row("SIGSTOP then SIGCONT of the player", action="no pings while stopped (systemd restarts it)")
    pings = []
    try:
        end = time.monotonic() + 40
        while time.monotonic() < end and len(pings) < 4:
            try:
                if b"WATCHDOG=1" in sock.recv(4096):
                    pings.append(time.monotonic())
            except socket.timeout:
                pass
        row.rss_before = _proc_rss(proc.pid)
        os.kill(proc.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        time.sleep(3.0)
        os.kill(proc.pid, signal.SIGCONT)
        resumed = time.monotonic()
        while time.monotonic() < resumed + 5:
            try:
                if b"WATCHDOG=1" in sock.recv(4096):
                    pings.append(time.monotonic())
            except socket.timeout:
                pass
        during = [t for t in pings if stopped + 0.1 < t < resumed]
        row.detected = not during       # the watchdog hears nothing: systemd would restart it after 2 s
        row.detect_s = 1.0 if not during else None  # WatchdogSec=2: the next ping was due within 0.5 s
        after = [t for t in pings if t > resumed]
        row.recover_s = (after[0] - stopped) if after else None
        row.rss_after = _proc_rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
        sock.close()
    return row


def _proc_rss(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) * 1024 / MB for line in fh if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0


def _fmt(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this text")
    ap.add_argument("--flood-s", type=float, default=60.0, help="how long the OSC flood lasts (default 60)")
    args = ap.parse_args()
    rows = cases(args.only, args.flood_s)
    print(f"\n{'fault':<46} {'detected':>8} {'detect s':>8} {'recover s':>9} {'dropped':>7} "
          f"{'RSS MB before/after':>19}  action")
    silent, slow = 0, 0
    for r in rows:
        ok = r.detected and (not r.recoverable or (r.recover_s is not None and r.recover_s <= r.recover_limit_s))
        silent += not r.detected
        slow += r.detected and r.recoverable and (r.recover_s is None or r.recover_s > r.recover_limit_s)
        print(f"{r.fault:<46} {'yes' if r.detected else 'NO':>8} {_fmt(r.detect_s, '8.2f')} "
              f"{_fmt(r.recover_s, '9.2f') if r.recoverable else 'n/a':>9} {r.dropped:>7} "
              f"{r.rss_before:8.1f} / {r.rss_after:7.1f}  {r.action}{'' if ok else '  <-- MISSED'}"
              + (f" ({'; '.join(r.notes)})" if r.notes else ""))
    print(f"\n{len(rows)} faults: {silent} silent, {slow} not recovered within {RECOVER_LIMIT_S:g} s "
          "(or the bound its row gives)")
    return 1 if silent or slow else 0


if __name__ == "__main__":
    sys.exit(main())
