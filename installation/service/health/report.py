"""The state file: the player's state and the health verdict at one moment, written every few seconds
by the player (health/writer.py) and read by `aimoji status`, /status.json and /metrics.

One typed value, `Report`, is both what is written and what is read: pydantic turns it into JSON and
back, so a field is spelt once. The file carries its SCHEMA; a file of another schema is refused in one
line. Monotonic times are kept with the boot they belong to, and turned into ages at writing time for a
person reading the file. `format_report` is what a technician reads at the gallery PC.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from installation import atomic
from installation.player.state import PlayerState
from installation.service.health.logs import LogEntry
from installation.service.health.verdict import verdict

SCHEMA = 2           # 2: the player's state nested under "player", companions under "companions"
WRITE_EVERY_S = 2.0  # how often the player rewrites the state file
DEFAULT_MAX_AGE_S = 15.0  # older than this = the player is not running (or hung before writing)
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
SYSTEM_STATE_FILE = Path("/run/aimoji/status.json")  # RuntimeDirectory=aimoji: tmpfs, no disk wear
LOCAL_STATE_FILE = Path("state/status.json")  # a player started by hand, in the project folder


@dataclass(frozen=True)
class Companions:
    """What runs beside the render loop, in a few words each (service/runtime.py)."""
    display_power: str = "off"
    hot_reload: str = "off"
    osc: str = "off"
    http: str = "off"


@dataclass(frozen=True)
class Report:
    schema: int
    written_at: float             # Unix time
    written_at_utc: str
    written_monotonic: float
    boot_id: str | None           # monotonic times from another boot mean nothing
    pid: int
    healthy: bool                 # the verdict (health/verdict.py) at writing time: ok
    phase: str                    # "starting", "ok", "degraded" or "unhealthy"
    problems: tuple[str, ...]     # what a restart may fix (the watchdog stops)
    degraded: tuple[str, ...]     # what is worse than asked, but alive
    last_frame_age_s: float | None
    picture_still_s: float | None
    player: PlayerState
    companions: Companions
    errors: tuple[LogEntry, ...]  # the last warnings and errors


_ADAPTER = TypeAdapter(Report)


def build_report(state: PlayerState, companions: Companions, now_wall: float, now_mono: float, pid: int,
                 errors: tuple[LogEntry, ...] = (), boot: str | None = None) -> Report:
    """The report of `state` with the verdict at writing time."""
    judged = verdict(state, now_mono)
    last, changed = state.frames.last_monotonic, state.picture.changed_monotonic
    return Report(SCHEMA, round(now_wall, 3), _iso(now_wall), round(now_mono, 3), boot, pid, judged.healthy,
                  judged.phase, judged.problems, judged.degraded,
                  None if last is None else round(max(0.0, now_mono - last), 3),
                  None if changed is None else round(max(0.0, now_mono - changed), 3),
                  state, companions, tuple(errors))


def to_json(report: Report) -> bytes:
    return _ADAPTER.dump_json(report, indent=1)


def as_dict(report: Report) -> dict:
    """The report as plain JSON-ready data (`aimoji status --json`)."""
    return _ADAPTER.dump_python(report, mode="json")


def write_report(path: Path | str, report: Report) -> None:
    """Readers see the old file or the new one, never half of one. Explicit mode: the service runs
    with UMask=0077 but a technician's `aimoji status` reads this."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes_atomic(path, to_json(report) + b"\n", mode=0o644)


def read_report(path: Path | str) -> Report | None:
    """The report, or None if there is no file; ValueError (one line naming the file) if it is not
    one of this schema."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _ADAPTER.validate_json(data)
    except ValidationError as exc:
        schema = _schema_of(data)
        if schema is not None and schema != SCHEMA:
            raise ValueError(f"{path}: a state file of schema {schema}, written by another version of the "
                             f"player; allowed: schema {SCHEMA} (restart the player to rewrite it)") from None
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{path}: not a player state file ({where}: {first['msg']})") from None


def _schema_of(data: bytes):
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value.get("schema") if isinstance(value, dict) else None


def boot_id(path: Path = BOOT_ID_FILE) -> str | None:
    """This boot's id: monotonic times from another boot mean nothing."""
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def judge(report: Report | None, now_mono: float, boot: str | None,
          max_age_s: float = DEFAULT_MAX_AGE_S) -> list[str]:
    """What `aimoji status` says: the problems the player wrote, and whether the file is stale (by the
    monotonic clock of the same boot: a wall-clock step changes nothing). Empty means healthy."""
    if report is None:
        return ["no state file (is the player running?)"]
    if boot is not None and report.boot_id not in (None, boot):
        return ["stale: written before this boot; the player has not run since"]
    problems = []
    age = now_mono - report.written_monotonic
    if age > max_age_s:
        problems.append(f"stale: last written {age:.0f} s ago (limit {max_age_s:g} s); the player is "
                        "not running or is hung")
    problems += list(report.problems)
    if report.phase == "starting" and not problems:
        problems.append("starting: no emoji on screen yet")
    return problems


def _clock(iso: str | None, day: bool = False) -> str | None:
    """A venue ISO time as a person reads it there: '18:00', or '2026-12-05 18:00'."""
    if iso is None:
        return None
    date, time_ = iso.split("T")
    return f"{date} {time_[:5]}" if day else time_[:5]


def describe_override(kind: str, o) -> str:
    """'blackout (fade 2 s) by 10.0.0.5:9000 until 18:00', 'scene 2 by http 10.0.0.7'."""
    value = o.value
    if kind == "blackout":
        value = f"(fade {value['fade_s']:g} s)" if value.get("fade_s") else ""
    elif kind == "freeze":
        value = ""
    elif kind == "cue":
        value = f"'{value}'"
    return f"{kind} {value}".strip() + f" by {o.by}" + (f" until {_clock(o.until)}" if o.until else "")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    d, rest = divmod(seconds, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return (f"{d}d " if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def format_report(report: Report, problems: list[str], now_mono: float, path: Path | str) -> str:
    """A few lines for a person at the gallery PC."""
    word = "UNHEALTHY" if problems else "DEGRADED" if report.degraded else "OK"
    lines = [f"AImoji player: {word}   ({path}, written {now_mono - report.written_monotonic:.0f} s ago)"]
    lines += [f"  problem: {p}" for p in problems]
    lines += [f"  degraded: {d}" for d in report.degraded]
    s, frames = report.player, report.player.frames
    rows = [
        ("state", s.activity),
        ("show", s.show),
        ("scene", s.scene),
        ("model", s.model),
        ("waiting", None if s.pending is None else f"show '{s.pending.show}' takes over at {_clock(s.pending.at)}"
                                                     + (f" (cued by {s.pending.cue.by})" if s.pending.cue else "")),
        ("overrides", "; ".join(describe_override(kind, o) for kind, o in s.overrides.items()) or None),
        ("picture", None if report.picture_still_s is None else
         f"last changed {report.picture_still_s:.1f} s ago"),
        ("open", "yes" if s.open else "no (outside opening hours)"),
        ("panel", s.display.status(report.written_at) if s.display is not None else None),
        ("clock", s.clock.line if s.clock is not None else None),
        ("display power", report.companions.display_power),
        ("hot reload", report.companions.hot_reload),
        ("next change", _clock(s.next_change, day=True)),
        ("venue time", s.timezone),
        ("uptime", _duration(s.uptime_s)),
        ("fps", f"{frames.fps:.1f} (target {frames.target_fps:g})"),
        ("frames", f"{frames.shown}, {frames.dropped} dropped"),
        ("pid", report.pid),
    ]
    lines += [f"  {name:<12} {value}" for name, value in rows if value is not None]
    if report.errors:
        shown = report.errors[-5:]   # the newest; the file keeps more (`aimoji status --json` has them all)
        lines.append(f"  last errors ({len(shown)} of {len(report.errors)}):")
        for e in shown:
            count = f" (x{e.count})" if e.count > 1 else ""
            lines.append(f"    {e.at} {e.level}: {e.message}{count}")
    return "\n".join(lines)


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
