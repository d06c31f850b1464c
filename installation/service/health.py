"""The player's health: the truth about the screen, judged from a player snapshot, and the state file.

"Healthy while open" means: a frame was presented in the last STALL_S seconds, the picture on it (the
small generated image, player/content.py) changed within FROZEN_S (plus any stillness the scene
intends, such as evolution's held final face), it is not one flat colour or black unless the show
asks for black (or an operator froze or blacked out the wall: `intended_still`), and the frame rate holds. Closed with a black or display-off action, fresh frames are
enough. 'starting' for longer than START_BOUND_S is unhealthy. `verdict` is the one judgement: the
systemd pinger feeds the watchdog only on its "ok", and the state file carries its problems.

Every time here is CLOCK_MONOTONIC (time.monotonic on Linux), which all processes of one boot share,
so `aimoji status` judges staleness by it too and a wall-clock step gives no false alarm.
Pure functions take values and the clock; `write_state` and `boot_id` are the only I/O.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from installation import atomic

SCHEMA = 1
WRITE_EVERY_S = 2.0  # how often the player rewrites the state file
DEFAULT_MAX_AGE_S = 15.0  # older than this = the player is not running (or hung before writing)
STALL_S = 5.0  # no new frame for this long = the render loop is stuck
FROZEN_S = 10.0  # the picture unchanged this long (beyond what the scene intends) = frozen
START_BOUND_S = 60.0  # no emoji this long after start = unhealthy (a restart may help; saying so does)
SLOW_FRACTION = 0.5  # fps below this fraction of the target fps = unhealthy
SLOW_AFTER_S = 10.0  # the frame rate is judged once the player has run this long
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
SYSTEM_STATE_FILE = Path("/run/aimoji/status.json")  # RuntimeDirectory=aimoji: tmpfs, no disk wear
LOCAL_STATE_FILE = Path("state/status.json")  # a player started by hand, in the project folder

# Snapshot keys copied into the state file as they are (the player may add more; they are kept).
_PASS_THROUGH = ("uptime_s", "fps", "fps_target", "frames", "dropped_frames", "model", "scene", "show",
                 "state", "next_change", "open")


def _target_fps(state: Mapping):
    """The player publishes 'fps_target'; 'target_fps' is accepted too."""
    target = state.get("fps_target", state.get("target_fps"))
    return target if isinstance(target, (int, float)) else None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Verdict:
    phase: str                 # "starting" (not yet judged), "ok" or "unhealthy"
    problems: tuple[str, ...]  # one line each; empty unless unhealthy

    @property
    def healthy(self) -> bool:
        return self.phase == "ok"


def verdict(snap: Mapping, now_mono: float, stall_s: float = STALL_S) -> Verdict:
    """Judge a player snapshot (monotonic times) at monotonic time now_mono."""
    problems = []
    up = snap.get("uptime_s") or 0.0
    last = snap.get("last_frame_monotonic")
    state = snap.get("state")
    if last is not None and now_mono - last > stall_s:
        problems.append(f"render loop stalled: no new frame for {now_mono - last:.1f} s")
    if last is None or state == "starting":
        if up <= START_BOUND_S and not problems:
            return Verdict("starting", ())
        why = snap.get("generation")
        problems.append(f"starting for {up:.0f} s and no emoji on screen yet"
                        + (f" ({why})" if why and why != "ok" else ""))
        return Verdict("unhealthy", tuple(problems))
    # A freeze or blackout an operator asked for (OSC) is a still or black wall on purpose.
    intended = bool(snap.get("intended_still"))
    watching = not intended and (state == "playing" or (state == "closed" and snap.get("outside_action") == "dim"))
    changed = snap.get("picture_changed_monotonic")
    if watching and changed is not None:
        still = now_mono - changed
        if still > FROZEN_S + (snap.get("still_allowed_s") or 0.0):
            problems.append(f"picture frozen: unchanged for {still:.0f} s")
    if state == "playing" and snap.get("picture_flat") and not intended:
        problems.append("picture blank: one flat colour" + (" (black)" if snap.get("picture_dark") else ""))
    fps, target = snap.get("fps"), _target_fps(snap)
    if isinstance(fps, (int, float)) and target and fps < SLOW_FRACTION * target and up > SLOW_AFTER_S:
        problems.append(f"slow: {fps:.1f} fps, target {target:g} fps")
    return Verdict("unhealthy" if problems else "ok", tuple(problems))


def boot_id(path: Path = BOOT_ID_FILE) -> str | None:
    """This boot's id: monotonic times from another boot mean nothing."""
    try:
        return path.read_text().strip()
    except OSError:
        return None


def build_state(snapshot: Mapping, now_wall: float, now_mono: float, pid: int,
                errors: list[dict] | None = None, boot: str | None = None) -> dict:
    """The JSON-ready state with the verdict at writing time. Monotonic times are kept (with the
    boot they belong to) and also turned into ages for a person reading the file."""
    judged = verdict(snapshot, now_mono)
    state = {"schema": SCHEMA, "written_at": round(now_wall, 3), "written_at_utc": _iso(now_wall), "pid": pid,
             "written_monotonic": round(now_mono, 3), "boot_id": boot, "healthy": judged.healthy,
             "phase": judged.phase, "problems": list(judged.problems)}
    for key in _PASS_THROUGH:
        if key in snapshot:
            state[key] = snapshot[key]
    last = snapshot.get("last_frame_monotonic")
    state["last_frame_age_s"] = None if last is None else round(max(0.0, now_mono - last), 3)
    changed = snapshot.get("picture_changed_monotonic")
    state["picture_still_s"] = None if changed is None else round(max(0.0, now_mono - changed), 3)
    state["errors"] = list(errors or [])
    for key, value in snapshot.items():
        if key not in state and not key.endswith("_monotonic") and _jsonable(value):
            state[key] = value
    return state


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def judge(state: Mapping | None, now_mono: float, boot: str | None,
          max_age_s: float = DEFAULT_MAX_AGE_S) -> list[str]:
    """What `aimoji status` says: the problems the player wrote, and whether the file is stale (by the
    monotonic clock of the same boot: a wall-clock step changes nothing). Empty means healthy."""
    if state is None:
        return ["no state file (is the player running?)"]
    written = state.get("written_monotonic")
    if not isinstance(written, (int, float)):
        return ["state file has no 'written_monotonic' time (written by an older player?)"]
    if boot is not None and state.get("boot_id") not in (None, boot):
        return ["stale: written before this boot; the player has not run since"]
    problems = []
    age = now_mono - written
    if age > max_age_s:
        problems.append(f"stale: last written {age:.0f} s ago (limit {max_age_s:g} s); the player is "
                        "not running or is hung")
    problems += [p for p in state.get("problems") or [] if isinstance(p, str)]
    if state.get("phase") == "starting" and not problems:
        problems.append("starting: no emoji on screen yet")
    return problems


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return (f"{d}d " if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def format_state(state: Mapping, problems: list[str], now_mono: float, path: Path | str) -> str:
    """A few lines for a person at the gallery PC."""
    word = "UNHEALTHY" if problems else "OK"
    written = state.get("written_monotonic")
    ago = f", written {now_mono - written:.0f} s ago" if isinstance(written, (int, float)) else ""
    lines = [f"AImoji player: {word}   ({path}{ago})"]
    for p in problems:
        lines.append(f"  problem: {p}")
    rows = [
        ("state", state.get("state")),
        ("show", state.get("show")),
        ("scene", state.get("scene")),
        ("model", state.get("model")),
        ("generation", state.get("generation") if state.get("generation") not in (None, "ok") else None),
        ("picture", None if state.get("picture_still_s") is None else
         f"last changed {state['picture_still_s']:.1f} s ago"),
        ("open", {True: "yes", False: "no (outside opening hours)"}.get(state.get("open"))),
        ("display", state.get("display_power")),
        ("hot reload", state.get("hot_reload")),
        ("next change", _next_change(state.get("next_change"))),
        ("uptime", None if state.get("uptime_s") is None else _duration(state["uptime_s"])),
        ("fps", _fps(state)),
        ("frames", _frames(state)),
        ("pid", state.get("pid")),
    ]
    lines += [f"  {name:<12} {value}" for name, value in rows if value is not None]
    errors = state.get("errors") or []
    if errors:
        lines.append(f"  last errors ({len(errors)}):")
        for e in errors[-5:]:
            count = f" (x{e['count']})" if e.get("count", 1) > 1 else ""
            lines.append(f"    {e.get('at', '?')} {e.get('level', '?')}: {e.get('message', '')}{count}")
    return "\n".join(lines)


def _next_change(change) -> str | None:
    if isinstance(change, Mapping):
        return " ".join(str(change[k]) for k in ("what", "at") if change.get(k) is not None) or None
    return None if change is None else str(change)


def _fps(state: Mapping) -> str | None:
    fps = state.get("fps")
    if not isinstance(fps, (int, float)):
        return None
    target = _target_fps(state)
    return f"{fps:.1f}" + (f" (target {target:g})" if target is not None else "")


def _frames(state: Mapping) -> str | None:
    frames, dropped = state.get("frames"), state.get("dropped_frames")
    if frames is None:
        return None
    return f"{frames}" + (f", {dropped} dropped" if dropped is not None else "")


def read_state(path: Path | str) -> dict | None:
    """The state dict, or None if there is no file; ValueError (naming the file) if it is not JSON."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a JSON state file ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    return data


def write_state(path: Path | str, state: Mapping) -> None:
    """Readers see the old file or the new one, never half of one. Explicit mode: the service runs
    with UMask=0077 but a technician's `aimoji status` reads this."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json_atomic(path, state, indent=1, sort_keys=True, mode=0o644)


def state_path_for_writing(environ: Mapping[str, str] = os.environ) -> Path:
    """$AIMOJI_STATE_FILE, else status.json in systemd's $RUNTIME_DIRECTORY, else ./state/status.json."""
    if environ.get("AIMOJI_STATE_FILE"):
        return Path(environ["AIMOJI_STATE_FILE"])
    if environ.get("RUNTIME_DIRECTORY"):
        return Path(environ["RUNTIME_DIRECTORY"].split(":")[0]) / "status.json"
    return LOCAL_STATE_FILE


def state_path_for_reading(environ: Mapping[str, str] = os.environ, system_file: Path = SYSTEM_STATE_FILE) -> Path:
    """$AIMOJI_STATE_FILE, else the service's file if there is one, else ./state/status.json."""
    if environ.get("AIMOJI_STATE_FILE"):
        return Path(environ["AIMOJI_STATE_FILE"])
    return system_file if system_file.exists() else LOCAL_STATE_FILE
