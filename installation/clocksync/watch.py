"""Reads this PC's clock sync off the render loop, every POLL_S on its own thread: the kernel's view by
adjtimex (read-only: mode 0 changes nothing, and the service has no CAP_SYS_TIME to change anything
anyway) and the time daemon's detail from its own tool, `chronyc -n -c tracking` or else `timedatectl
timesync-status`, each run with a time limit and a cap on what is read, so a hung or flooding tool
costs one poll, never the player. One log line per change of state (readings.judge).
"""

from __future__ import annotations

import ctypes
import logging
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable

from installation.clocksync.readings import (ClockSync, DaemonClock, KernelClock, judge, kernel_clock,
                                             parse_chrony_tracking, parse_timesync_status)

POLL_S = 30.0            # a clock drifts milliseconds per hour at worst: this is often enough
COMMAND_TIMEOUT_S = 5.0  # chronyc answers in milliseconds; timedatectl may first start timesyncd's bus name
OUTPUT_LIMIT = 64 * 1024  # bytes read of a tool's output; both print under 1 KiB
CHRONYC = ("chronyc", "-n", "-c", "tracking")
TIMEDATECTL = ("timedatectl", "--no-pager", "timesync-status")

log = logging.getLogger("aimoji.clock")


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    """struct timex (<sys/timex.h>), as glibc's adjtimex takes it."""
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time", _Timeval), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
                ("jitter", ctypes.c_long), ("shift", ctypes.c_int), ("stabil", ctypes.c_long),
                ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
                ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("_reserved", ctypes.c_int * 11)]


def read_kernel() -> tuple[KernelClock | None, str]:
    """The kernel's view, or None and why: a system call filter that refuses it (systemd's
    ProtectClock=yes), or a libc without adjtimex."""
    try:
        adjtimex = ctypes.CDLL(None, use_errno=True).adjtimex
    except (OSError, AttributeError):
        return None, "no adjtimex in this C library"
    timex = _Timex()   # modes = 0: read only
    answer = adjtimex(ctypes.byref(timex))
    if answer < 0:
        return None, f"adjtimex refused: {os.strerror(ctypes.get_errno())}"
    return kernel_clock(answer, timex.status, timex.maxerror, timex.esterror), ""


def _tool_env() -> dict[str, str]:
    """The player's environment less systemd's notify and watchdog variables: a tool it asks about the
    clock has no business speaking to systemd for the player (the gallery VM's journal had "Got
    notification message from PID N, but reception only permitted for main PID" every poll)."""
    return {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC")}


def run_bounded(argv: tuple[str, ...], timeout_s: float = COMMAND_TIMEOUT_S,
                limit: int = OUTPUT_LIMIT) -> tuple[str | None, str]:
    """A tool's output, or None and why not: it failed, ran past `timeout_s`, or printed more than
    `limit` bytes (then it is killed, the rest unread). It runs in its own process group, which is
    killed whole once it has answered or failed."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True, env=_tool_env())
    except OSError as exc:
        return None, f"{argv[0]}: {exc.strerror or exc}"
    deadline = time.monotonic() + timeout_s
    out, why = bytearray(), ""
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    why = f"{argv[0]}: no answer within {timeout_s:g} s"
                    break
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
                if len(out) > limit:
                    why = f"{argv[0]}: printed more than {limit // 1024} KiB; not read"
                    break
        if not why:
            try:
                code = proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                code, why = None, f"{argv[0]}: did not exit within {timeout_s:g} s"
            if code:
                said = out.decode("utf-8", "replace").strip().splitlines()
                why = f"{argv[0]}: exit status {code}" + (f" ({said[0][:120]})" if said else "")
    finally:
        try:   # the tool and whatever it left behind holding the pipe (its group outlives it)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        proc.stdout.close()
    return (None, why) if why else (out.decode("utf-8", "replace"), "")


def read_daemon() -> tuple[DaemonClock | None, str]:
    """The time daemon's detail: chrony's if chronyc answers, else systemd-timesyncd's; None and why
    when neither answers (no daemon, or the service's sandbox keeps the tool from it)."""
    whys = []
    for argv, parse in ((CHRONYC, parse_chrony_tracking), (TIMEDATECTL, parse_timesync_status)):
        if shutil.which(argv[0]) is None:
            whys.append(f"no {argv[0]}")
            continue
        text, why = run_bounded(argv)
        if text is None:
            whys.append(why)
            continue
        try:
            return parse(text), ""
        except ValueError as exc:
            whys.append(str(exc))
    return None, "; ".join(whys)


class ClockWatch(threading.Thread):
    """Looks at the clock every `every_s` on its own thread; `state` (a readings.ClockSync) is the last
    judgement, None before the first. fps(): the show's frame rate now, read at each look."""

    def __init__(self, fps: Callable[[], float], *, every_s: float = POLL_S,
                 kernel: Callable[[], tuple[KernelClock | None, str]] = read_kernel,
                 daemon: Callable[[], tuple[DaemonClock | None, str]] = read_daemon,
                 wall: Callable[[], float] = time.time):
        super().__init__(name="aimoji-clock", daemon=True)
        self.fps, self.every_s, self.kernel, self.daemon, self.wall = fps, every_s, kernel, daemon, wall
        self.state: ClockSync | None = None
        self._stopping = threading.Event()

    def poll(self) -> ClockSync:
        """One look: the new judgement, and its line in the log when the state changed."""
        (kernel, why_kernel), (daemon, why_daemon) = self.kernel(), self.daemon()
        before = self.state
        why = "; ".join(w for w in (why_kernel, why_daemon) if w)
        after = self.state = judge(kernel, daemon, self.fps(), self.wall(), before, why)
        if before is None or before.state != after.state:
            (log.info if after.state == "synced" else log.warning)(after.line)
        return after

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception as exc:   # noqa: BLE001 - the clock check must never take the show down
                log.error("clock check failed: %s: %s", type(exc).__name__, exc)
            self._stopping.wait(self.every_s)

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout_s)
