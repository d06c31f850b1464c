"""The player's health state: built from a player snapshot, judged healthy or not, written atomically.

Pure functions take the snapshot and the clock as values; `write_state` is the only I/O.
The state file is what `aimoji status` reads (by a person, or a monitoring script via --json).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from installation import atomic

SCHEMA = 1
WRITE_EVERY_S = 2.0  # how often the player rewrites the state file
DEFAULT_MAX_AGE_S = 15.0  # older than this = the player is not running (or hung before writing)
STALL_S = 5.0  # no new frame for this long = the render loop is stuck
SLOW_FRACTION = 0.5  # fps below this fraction of the target fps = unhealthy
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


def build_state(snapshot: Mapping, now_wall: float, now_mono: float, pid: int,
                errors: list[dict] | None = None) -> dict:
    """The JSON-ready state. `last_frame_monotonic` is turned into an age, since monotonic clocks
    mean nothing to another process."""
    state = {"schema": SCHEMA, "written_at": round(now_wall, 3), "written_at_utc": _iso(now_wall), "pid": pid}
    for key in _PASS_THROUGH:
        if key in snapshot:
            state[key] = snapshot[key]
    last = snapshot.get("last_frame_monotonic")
    state["last_frame_age_s"] = None if last is None else round(max(0.0, now_mono - last), 3)
    state["errors"] = list(errors or [])
    for key, value in snapshot.items():
        if key not in state and key != "last_frame_monotonic" and _jsonable(value):
            state[key] = value
    return state


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def judge(state: Mapping | None, now_wall: float, max_age_s: float = DEFAULT_MAX_AGE_S) -> list[str]:
    """Problems that make the player unhealthy, one line each; an empty list means healthy."""
    if state is None:
        return ["no state file (is the player running?)"]
    problems = []
    written = state.get("written_at")
    if not isinstance(written, (int, float)):
        return ["state file has no 'written_at' time"]
    age = now_wall - written
    if age > max_age_s:
        problems.append(f"stale: last written {age:.0f} s ago (limit {max_age_s:g} s); the player is "
                        "not running or is hung")
    frame_age = state.get("last_frame_age_s")
    if frame_age is None:
        problems.append("no frame shown yet")
    elif frame_age > STALL_S:
        problems.append(f"render loop stalled: no new frame for {frame_age:.1f} s")
    fps, target = state.get("fps"), _target_fps(state)
    if isinstance(fps, (int, float)) and target is not None and target > 0 \
            and fps < SLOW_FRACTION * target and (state.get("uptime_s") or 0) > 10:
        problems.append(f"slow: {fps:.1f} fps, target {target:g} fps")
    if state.get("worker_error"):
        problems.append(f"image generator failed: {state['worker_error']}")
    return problems


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return (f"{d}d " if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def format_state(state: Mapping, problems: list[str], now_wall: float, path: Path | str) -> str:
    """A few lines for a person at the gallery PC."""
    verdict = "UNHEALTHY" if problems else "OK"
    lines = [f"AImoji player: {verdict}   ({path}, written {now_wall - state['written_at']:.0f} s ago)"]
    for p in problems:
        lines.append(f"  problem: {p}")
    rows = [
        ("state", state.get("state")),
        ("show", state.get("show")),
        ("scene", state.get("scene")),
        ("model", state.get("model")),
        ("open", {True: "yes", False: "no (outside opening hours)"}.get(state.get("open"))),
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
