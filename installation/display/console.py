"""The text console, kept from drawing over the wall while the player draws on the framebuffer.

fbcon draws on /dev/fb0 too: its cursor blinks there, kernel messages print there. Display servers put
their virtual terminal into graphics mode (KDSETMODE KD_GRAPHICS), after which the console draws
nothing. The kernel allows that to the process whose controlling terminal the VT is (the kms unit gives
the service tty1: TTYPath=, StandardInput=tty) or to root (CAP_SYS_TTY_CONFIG, on the foreground VT).
Failing that, a process that may write to the VT hides its cursor (an escape sequence). `restore` undoes
either; for a player that was killed, systemd's TTYReset= puts the VT back into text mode.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct

KDSETMODE = 0x4B3A
KDGETMODE = 0x4B3B
KD_GRAPHICS = 1
VT_GETSTATE = 0x5603
TIOCGDEV = 0x80045432       # the device number behind /dev/tty
CONTROLLING = "/dev/tty"    # this process's controlling terminal
FOREGROUND = "/dev/tty0"    # the VT on screen now (opening it needs root or the tty group)
HIDE_CURSOR = b"\033[?25l"
SHOW_CURSOR = b"\033[?25h"
_OPEN = os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC


class Console:
    """What was done to the console, said in `note` for the display's log line; `restore` undoes it."""

    def __init__(self, note: str, fd: int = -1, previous_mode: int | None = None):
        self.note = note
        self._fd, self._previous = fd, previous_mode

    def restore(self) -> None:
        if self._fd < 0:
            return
        try:
            if self._previous is not None:
                fcntl.ioctl(self._fd, KDSETMODE, self._previous)
            else:
                os.write(self._fd, SHOW_CURSOR)
        except OSError:
            pass  # the VT was hung up or taken over; TTYReset= (kms unit) resets it after the service
        os.close(self._fd)
        self._fd = -1


def quiet(controlling: str = CONTROLLING, foreground: str = FOREGROUND) -> Console:
    """Graphics mode on the first VT this process may switch (its controlling terminal, else the
    foreground VT), else the cursor hidden on one it may write to; else a Console that did nothing and
    says why."""
    tried: list[str] = []
    for fd, name in _virtual_terminals(controlling, foreground, tried):
        previous = _mode(fd)
        try:
            fcntl.ioctl(fd, KDSETMODE, KD_GRAPHICS)
            return Console(f"{name} in graphics mode", fd, previous)
        except OSError as exc:
            refused = exc.strerror
        try:
            os.write(fd, HIDE_CURSOR)
        except OSError as exc:
            tried.append(f"{name}: graphics mode {refused}, cursor {exc.strerror}")
            os.close(fd)
            continue
        return Console(f"{name}: cursor hidden (graphics mode: {refused}; kernel messages may still print "
                       "on the wall)", fd)
    return Console("the console may draw over the wall (" + "; ".join(tried) + ")")


def _virtual_terminals(controlling: str, foreground: str, tried: list[str]):
    """(fd, name) of each candidate that is a virtual terminal; why the others are not, into `tried`."""
    fd = _open(controlling, tried)
    if fd >= 0:
        name = _name(fd, controlling)
        if _mode(fd) is None:
            tried.append(f"{name}: not a virtual terminal")
            os.close(fd)
        else:
            yield fd, name
    fd = _open(foreground, tried)
    if fd < 0:
        return
    try:
        active = struct.unpack("HHH", fcntl.ioctl(fd, VT_GETSTATE, bytes(6)))[0]
    except OSError as exc:
        tried.append(f"{foreground}: {exc.strerror}")
        return
    finally:
        os.close(fd)
    # The VT itself, not tty0: restore must reach the same VT even after a switch to another.
    path = os.path.join(os.path.dirname(foreground), f"tty{active}")
    fd = _open(path, tried)
    if fd >= 0:
        yield fd, os.path.basename(path)


def _open(path: str, tried: list[str]) -> int:
    try:
        return os.open(path, _OPEN)
    except OSError as exc:
        tried.append(f"{path}: " + ("no controlling terminal" if exc.errno == errno.ENXIO else exc.strerror))
        return -1


def _name(fd: int, path: str) -> str:
    """tty1, ttyS0, ... for the terminal opened as /dev/tty (its device number, named by sysfs)."""
    try:
        number = struct.unpack("I", fcntl.ioctl(fd, TIOCGDEV, bytes(4)))[0]
    except OSError:
        return path
    device = f"/sys/dev/char/{os.major(number)}:{os.minor(number)}"
    return os.path.basename(os.path.realpath(device)) if os.path.exists(device) else path


def _mode(fd: int) -> int | None:
    """KD_TEXT or KD_GRAPHICS; None when fd is not a virtual terminal."""
    try:
        return struct.unpack("i", fcntl.ioctl(fd, KDGETMODE, bytes(4)))[0]
    except OSError:
        return None
