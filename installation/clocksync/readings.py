"""What this PC's clock sync is, from what the kernel and the time daemon say: pure parsers of
`chronyc -n -c tracking` and `timedatectl timesync-status` and of the kernel's adjtimex answer, and the
one judgement of them against the show's frame rate (`judge`), which the watcher (watch.py), the
health verdict, the state file, /metrics and the status page all use.

A wall of screens is frame-exact when the PCs' clocks agree: the frame is floor(wall_time * fps), so
a clock off by more than half a frame shows its neighbours' frame before or after theirs about half
the time, and more by more. Offsets here are this clock less its time server's: positive = ahead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SyncState = Literal["synced", "far", "unsynced", "unknown"]

TIME_ERROR = 5       # adjtimex's answer while the clock is not synchronised
STA_UNSYNC = 0x40    # the kernel's status bit: no daemon has said the clock is right lately
# A far clock counts as synced again only within this share of half a frame: an offset that wanders
# around the threshold says one line, not one per poll.
FAR_BACK = 0.8


@dataclass(frozen=True)
class KernelClock:
    """The kernel's own view (adjtimex, read-only): set by whichever daemon disciplines the clock."""
    synced: bool          # neither TIME_ERROR nor STA_UNSYNC
    maxerror_s: float     # the kernel's bound on the error; grows 0.5 ms/s until a daemon resets it
    esterror_s: float     # the daemon's estimate of the error (chrony sets it; timesyncd leaves 0)


def kernel_clock(answer: int, status: int, maxerror_us: int, esterror_us: int) -> KernelClock:
    """The kernel's view from adjtimex's return value and its struct timex fields (microseconds)."""
    return KernelClock(answer != TIME_ERROR and not status & STA_UNSYNC, maxerror_us / 1e6, esterror_us / 1e6)


@dataclass(frozen=True)
class DaemonClock:
    """The time daemon's detail."""
    daemon: str                     # 'chrony' or 'systemd-timesyncd'
    synced: bool
    offset_s: float | None          # this clock less its server's; None when not synchronised
    server: str | None = None       # the address it follows
    root_distance_s: float | None = None  # the server's own distance from true time: root delay / 2 + dispersion


def parse_chrony_tracking(text: str) -> DaemonClock:
    """`chronyc -n -c tracking`: one CSV line (reference ID, address, stratum, reference time, system
    time, last offset, RMS offset, frequency, residual frequency, skew, root delay, root dispersion,
    update interval, leap status). Its system time is the NTP time less this clock's (chronyc's
    "0.000001306 seconds fast" is -0.000001306 in CSV), so this clock's offset is its negative.
    ValueError when it is not that line."""
    lines = text.strip().splitlines()
    fields = lines[0].split(",") if lines else []
    if len(fields) != 14:
        raise ValueError(f"chronyc tracking: expected 14 comma-separated fields, got {len(fields)}: {text[:80]!r}")
    ref_id, address, leap = fields[0], fields[1], fields[13]
    try:
        system, root_delay, root_dispersion = float(fields[4]), float(fields[10]), float(fields[11])
    except ValueError:
        raise ValueError(f"chronyc tracking: not a number among {fields[4:12]}") from None
    synced = leap != "Not synchronised" and ref_id != "00000000"
    return DaemonClock("chrony", synced, -system if synced else None, address or None,
                       root_delay / 2 + root_dispersion if synced else None)


_SPAN_UNITS = {"us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0,
               "d": 86400.0, "w": 604800.0}
_SPAN_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(us|µs|μs|ms|min|s|h|d|w)")


def timespan_s(text: str) -> float:
    """systemd's time span as seconds: '-2.346ms', '+352us', '1min 3.250s', '0'. ValueError otherwise."""
    text = text.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-").strip()
    if body == "0":
        return 0.0
    parts = _SPAN_PART.findall(body)
    if not parts or _SPAN_PART.sub("", body).strip():
        raise ValueError(f"not a time span: {text!r}")
    return sign * sum(float(n) * _SPAN_UNITS[unit] for n, unit in parts)


def parse_timesync_status(text: str) -> DaemonClock:
    """`timedatectl timesync-status`: 'Name: value' lines. Its Offset is the server's time less this
    clock's (NTP's t = ((T2 - T1) + (T3 - T4)) / 2), so this clock's offset is its negative. No Offset
    line (no packet answered yet: 'Packet count: 0') or a 'not synchronized' leap: not synchronised.
    ValueError when it is not that output."""
    fields = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip(), value.strip())
    if "Server" not in fields:
        raise ValueError(f"timedatectl timesync-status: no 'Server:' line in {text[:80]!r}")
    server = fields["Server"].split(" ")[0] or None
    offset = -timespan_s(fields["Offset"]) if "Offset" in fields else None
    distance = timespan_s(fields["Root distance"].split("(")[0]) if "Root distance" in fields else None
    synced = offset is not None and fields.get("Leap") != "not synchronized"
    return DaemonClock("systemd-timesyncd", synced, offset if synced else None, server,
                       distance if synced else None)


@dataclass(frozen=True)
class ClockSync:
    """This PC's clock, judged; replaced whole on each look (reading it needs no lock)."""
    state: SyncState
    line: str                       # in words: what the log, `aimoji status` and the page say
    source: str                     # who told: 'chrony', 'systemd-timesyncd', 'kernel' or 'none'
    offset_s: float | None = None   # this clock less its time server's (positive: ahead), when a daemon said
    error_s: float | None = None    # the kernel's estimated error, when a daemon set one
    fps: float = 0.0                # the frame rate it was judged against
    since: float = 0.0              # wall time the state last changed

    @property
    def synced(self) -> bool | None:
        """Synchronised to a time server (however far from its neighbours); None: nobody can tell."""
        return None if self.state == "unknown" else self.state != "unsynced"


def half_frame_s(fps: float) -> float:
    return 0.5 / fps


def _ms(seconds: float, signed: bool = False) -> str:
    return f"{seconds * 1000:{'+' if signed else ''}.1f} ms"


def judge(kernel: KernelClock | None, daemon: DaemonClock | None, fps: float, now_wall: float,
          previous: ClockSync | None = None, why_unknown: str = "") -> ClockSync:
    """The clock's state from the kernel's view and the daemon's (None: could not be read):
    unsynced when either says so; unknown when neither could be read; far when the offset (or, with no
    daemon's offset, the kernel's estimated error) is more than half a frame at `fps`; synced otherwise.
    `previous`: the last judgement, for `since` and so that a far clock comes back only within FAR_BACK
    of the threshold."""
    half = half_frame_s(fps)
    source = daemon.daemon if daemon is not None else "kernel" if kernel is not None else "none"
    offset = daemon.offset_s if daemon is not None else None
    error = kernel.esterror_s if kernel is not None and kernel.esterror_s > 0 else None
    at = f" at {fps:g} fps"
    if daemon is not None and not daemon.synced:
        state, line = "unsynced", f"clock not synchronised: {daemon.daemon} has no time server it follows"
    elif kernel is not None and not kernel.synced:
        state, line = "unsynced", ("clock not synchronised: the kernel says so (no time daemon has set it "
                                   f"lately; its error may be up to {kernel.maxerror_s:g} s)")
    elif kernel is None and daemon is None:
        state, line = "unknown", "clock sync unknown: " + (why_unknown or "neither the kernel nor a time daemon "
                                                                         "could be asked")
    else:
        estimate = abs(offset) if offset is not None else error
        by = (f"{daemon.daemon} ({daemon.server})" if daemon is not None and daemon.server else
              daemon.daemon if daemon is not None else "the kernel's estimate")
        limit = half * (FAR_BACK if previous is not None and previous.state == "far" else 1.0)
        if estimate is None:
            state, line = "synced", "clock synchronised (the kernel says so; no daemon gave its offset)"
        elif estimate > limit:
            what = f"off by {_ms(offset, True)}" if offset is not None else f"estimated error {_ms(estimate)}"
            state, line = "far", (f"clock {what} by {by}: more than half a frame ({_ms(half)}{at}), so this "
                                  "screen can show another frame than its neighbours")
        else:
            what = f"off by {_ms(offset, True)}" if offset is not None else f"estimated error {_ms(estimate)}"
            state, line = "synced", f"clock synchronised by {by}, {what} (half a frame{at}: {_ms(half)})"
    since = previous.since if previous is not None and previous.state == state else now_wall
    return ClockSync(state, line, source, offset, error, fps, since)
