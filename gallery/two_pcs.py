"""The "two PCs" scenario: a wall of two gallery PCs, each a QEMU guest on a user network of its own
(no network between them), both with the same show and different screen names, their clocks from the
host (the RTC at power-on, then chrony against the host's chronyd). Screendumps taken at the same
instant are stitched, and one emoji must continue across the seam."""

from __future__ import annotations

import re
import time
import tomllib
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from gallery import image
from gallery.machine import Boot, GuestError, Machine, screendumps_at_once
from gallery.pixels import seam, seam_problem, stitch
from gallery.scenarios import (BOOT_TIMEOUT, SETTLE_TIMEOUT, Failed, Result, Wall, frames_said, keep_evidence,
                               run_scenario)
from gallery.timeserver import TimeServer

ROW = "two PCs: one emoji across the seam, same-instant dumps, clocks from the host"
WALL_SHOW = Path(__file__).with_name("vm-wall.toml")
SCREEN_SIZE = "640x360"           # each panel: its screen's visible part of the show's canvas
SCREEN_FILE = "/etc/aimoji/screen"
SHOW_ON_DISK = f"{image.APP_DIR}/show_configs/active.toml"
# QEMU's user network has the guest at 10.0.2.15 and the host at 10.0.2.2; no DHCP wait, no DNS, no route.
LAN = "[Match]\nName=en*\n\n[Network]\nAddress=10.0.2.15/24\n"
PAIRS = 5                         # same-instant dumps taken, 2 s apart, each judged at the seam
MAX_HELD = 10                     # pairs retaken because a PC held a late tile, before the row fails
FRESH_TIMEOUT = 120               # for both PCs to say every tile is current
SYNC_TIMEOUT = 180
OFFSET_LIMIT_S = 0.05             # half a frame at 10 fps: further apart, the screens could show different frames


def run(img: image.Image, out: Path, dumps: Path) -> list[Result]:
    return [run_scenario(ROW, lambda result: two_pcs(img, out, dumps, result))]


def two_pcs(img: image.Image, out: Path, dumps: Path, result: Result) -> None:
    show = tomllib.loads(WALL_SHOW.read_text())
    names = [screen["name"] for screen in show["wall"]["screens"]]
    background = tuple(int(show["display"]["background"][i:i + 2], 16) for i in (1, 3, 5))
    gap_px = seam_gap_px(show["wall"], int(SCREEN_SIZE.split("x")[0]))
    with ExitStack() as stack:
        try:
            server = stack.enter_context(TimeServer(out / "timeserver"))
        except RuntimeError as exc:
            raise Failed(f"the host's time server: {exc}") from exc
        boots = []
        for name in names:
            work = out / f"pc-{name}"
            work.mkdir(parents=True, exist_ok=True)
            stack.callback((work / "disk.img").unlink, missing_ok=True)    # after its machine is off
            files = {SCREEN_FILE: f"{name}\n", SHOW_ON_DISK: WALL_SHOW.read_text(),
                     "/etc/chrony/chrony.conf": server.client_conf(), "/etc/systemd/network/20-lan.network": LAN}
            try:
                image.pc_disk(img, work / "disk.img", files, ("systemd-networkd.service",), out / "build.log")
            except SystemExit as exc:
                raise Failed(str(exc)) from exc
            boots.append(Boot(kernel=img.kernel, initrd=img.initrd, disk=work / "disk.img", workdir=work,
                              clock="utc", resolution=SCREEN_SIZE, network=True))
        vms = [stack.enter_context(Machine(boot)) for boot in boots]     # both switched on now
        walls = [Wall(vm, dumps) for vm in vms]
        try:
            _judge(names, vms, walls, background, gap_px, dumps, result)
        except (Failed, GuestError):
            for name, vm, wall in zip(names, vms, walls):
                keep_evidence(vm, wall, dumps / f"failed-two-pcs-{name}")
            raise


def seam_gap_px(wall: dict, screen_width_px: int) -> int:
    """How far apart the left screen's last visible column and the right one's first lie on the canvas,
    in screen pixels: the two bezels between them, plus one (vm-wall.toml: columns 641 and 646, 5)."""
    left, right = wall["screens"]
    visible = left["rect"][2] - 2 * left["bezel"]
    last = left["rect"][0] + left["rect"][2] - left["bezel"] - 1
    first = right["rect"][0] + right["bezel"]
    return round((first - last) * screen_width_px / visible)


def _judge(names, vms, walls, background, gap_px: int, dumps: Path, result: Result) -> None:
    for name, vm, wall in zip(names, vms, walls):
        vm.wait_for_agent(BOOT_TIMEOUT)
        wall.until(f"the service active on '{name}'", wall.service_active, SETTLE_TIMEOUT)
        wall.until(f"emoji on '{name}'", wall.emoji, SETTLE_TIMEOUT)
    result.seconds = max(vm.seconds() for vm in vms)
    for name, vm, wall in zip(names, vms, walls):
        wall.until(f"'{name}' synchronised to the host's time server", lambda: synced_problem(vm), SYNC_TIMEOUT)
    clocks = []
    for name, vm in zip(names, vms):
        offset, uncertainty = vm.clock_offset()
        said = tracking(vm)
        clocks.append(f"{name} {offset * 1e3:+.1f} ± {uncertainty * 1e3:.1f} ms (chrony {said})")
        if abs(offset) - uncertainty > OFFSET_LIMIT_S:
            raise Failed(f"'{name}' is {offset * 1e3:+.0f} ms off the host's clock after synchronising")
    gaps, problems, held = [], [], []
    n = 0
    while n < PAIRS:
        # A PC whose tile is still waiting for its next image says so (stale_tiles) and holds the old one:
        # a late image, which its own health reports, not a seam that is wrong. Pairs are judged only while
        # both PCs say every tile is current, before and after the dumps; each held pair is told in the note.
        walls[0].until("every tile current on both PCs", lambda: held_problem(names, walls), FRESH_TIMEOUT)
        shots, gap = same_instant(vms)
        after = held_problem(names, walls)
        if after is not None:
            held.append(after)
            if len(held) > MAX_HELD:
                raise Failed(f"{len(held)} pairs taken while a PC held a late tile: {held[-1]}")
            time.sleep(2)
            continue
        n += 1
        gaps.append(gap)
        for name, shot in zip(names, shots):
            PILImage.fromarray(shot).save(dumps / f"two-pcs-{n}-{name}.png")
        PILImage.fromarray(stitch(*shots)).save(dumps / f"two-pcs-{n}.png")
        result.dumps.append(str(dumps / f"two-pcs-{n}.png"))
        problem = seam_problem(*shots, background, gap_px)
        print(f"    pair {n}: {seam(*shots, background, gap_px)}, dumps {gap * 1e3:.0f} ms apart", flush=True)
        if problem is not None:
            problems.append(f"pair {n}: {problem}")
        time.sleep(2)
    states = [wall.state() for wall in walls]
    result.fps = min((s.get("frames") or {}).get("fps", 0.0) for s in states)
    result.note = (f"clocks vs host: {'; '.join(clocks)}; dumps at most {max(gaps) * 1e3:.0f} ms apart; "
                   + (f"{len(held)} pairs retaken (a late tile: {held[0]}); " if held else "")
                   + "; ".join(f"{name} {frames_said(s)}" for name, s in zip(names, states)))
    print(f"    {result.note}", flush=True)     # whole: the table's note is cut at 600 characters
    if problems:
        raise Failed(f"{len(problems)} of {PAIRS} pairs: {problems[0]}; {result.note}")


def held_problem(names: list[str], walls: list[Wall]) -> str | None:
    """None when no PC's state file says a tile is waiting for its next image, else which PC and how many."""
    for name, wall in zip(names, walls):
        stale = (wall.state().get("generation") or {}).get("stale_tiles") or 0
        if stale:
            return f"'{name}' holds {stale} tile(s) waiting for their next image"
    return None


def synced_problem(vm: Machine) -> str | None:
    """None when the guest's chrony follows the host's server (leap status normal, 10.0.2.2 its reference)."""
    out = vm.run("chronyc -n tracking", check=False)[1]
    if "10.0.2.2" in out and re.search(r"Leap status\s*:\s*Normal", out):
        return None
    return f"chrony not synchronised: {' / '.join(out.strip().splitlines()[:1] + out.strip().splitlines()[-1:])}"


def tracking(vm: Machine) -> str:
    """chrony's own estimate of the guest's clock against its server, e.g. '+0.021 ms, last update +0.003 ms'."""
    out = vm.run("chronyc -n tracking", check=False)[1]
    system = re.search(r"System time\s*:\s*([0-9.]+) seconds (fast|slow)", out)
    last = re.search(r"Last offset\s*:\s*([-+0-9.]+) seconds", out)
    if not system or not last:
        return "no tracking"
    sign = 1 if system.group(2) == "fast" else -1
    return f"{sign * float(system.group(1)) * 1e3:+.3f} ms, last {float(last.group(1)) * 1e3:+.3f} ms"


def same_instant(vms: list[Machine]) -> tuple[list[np.ndarray], float]:
    """One screendump of each machine at once; returns the pictures and the widest time apart they can
    have been taken (each lies between its command's sending and QEMU's answer)."""
    shots = screendumps_at_once(vms)
    gap = max(a[2] - b[1] for a in shots for b in shots if a is not b)
    return [shot[0] for shot in shots], gap
