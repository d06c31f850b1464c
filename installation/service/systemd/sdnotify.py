"""sd_notify without libsystemd: send 'READY=1', 'WATCHDOG=1', 'STATUS=...' to the service manager.

systemd passes a unix datagram socket in $NOTIFY_SOCKET; a leading '@' names an abstract socket.
Outside systemd (no $NOTIFY_SOCKET) every call is a cheap no-op that returns False.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def socket_address(environ: Mapping[str, str] = os.environ) -> str | None:
    """The address to send to, in the form socket.connect() takes, or None when not under systemd."""
    addr = environ.get("NOTIFY_SOCKET", "")
    if addr.startswith("@"):
        return "\0" + addr[1:]  # abstract namespace: the '@' stands for a leading NUL byte
    if addr.startswith("/"):
        return addr
    return None  # unset, or a kind we do not speak (e.g. vsock: on a VM host, not a gallery PC)


def notify(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send one datagram of newline-separated assignments; True if it was sent."""
    addr = socket_address(environ)
    if addr is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(addr)
            sock.sendall(message.encode("utf-8"))
    except OSError:
        return False  # the manager went away (shutdown); nothing useful to do about it
    return True


def watchdog_interval_s(environ: Mapping[str, str] = os.environ, pid: int | None = None,
                        parent_pid: int | None = None) -> float | None:
    """WatchdogSec= in seconds if the watchdog is armed for this process, else None.

    $WATCHDOG_PID names the unit's main process. Under cage the player is cage's direct child, and
    sends MAINPID= itself, so a watchdog addressed to our parent counts as ours too.
    """
    usec = environ.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    owner = environ.get("WATCHDOG_PID", "")
    if owner.isdigit():
        pid = os.getpid() if pid is None else pid
        parent_pid = os.getppid() if parent_pid is None else parent_pid
        if int(owner) not in (pid, parent_pid):
            return None
    return int(usec) / 1_000_000
