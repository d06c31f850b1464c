"""Can the service's user reach what its unit runs? The aimoji program, the Python it runs on, that
Python's standard library, and the app folder, judged from facts the installer gathers (where each one
really is, symlinks resolved, and the folders on the way there). A venv made from pyenv's or uv's Python
under /root or /home, or a checkout under /tmp, installs fine and then fails at every start with
"Permission denied" or "No such file"; the installer refuses it instead, naming the fix.

Pure: `problems` takes the facts; the command reads the disk.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath as P

from installation.service.systemd.install_plan import HOME_ROOTS, Options, home_binds

PRIVATE_TMP = ("/tmp/", "/var/tmp/")   # aimoji.service has PrivateTmp=yes: the service sees its own, empty
VENV_FIX = ("make the venv from a Python every user can run: /usr/bin/python3 -m venv /opt/aimoji/.venv "
            "(uv venv --python /usr/bin/python3); `venv --copies` is not enough, the standard library stays "
            "behind")
APP_FIX = "clone the project to /opt/aimoji (or cp -a it there) and install from there"


@dataclass(frozen=True)
class Folder:
    path: str
    mode: int    # st_mode
    uid: int     # owner: the service user may own its own folders


@dataclass(frozen=True)
class Place:
    what: str                    # 'the app folder', 'the aimoji program', 'its Python', ...
    path: str                    # where it really is (symlinks resolved)
    chain: tuple[Folder, ...]    # '/' down to the place itself, as far as they exist
    fix: str


def interpreter_of(script_head: str) -> str | None:
    """The absolute interpreter of a console script's first line ('#!/opt/aimoji/.venv/bin/python3');
    None for '#!/usr/bin/env ...' or a script without one."""
    m = re.match(r"#!(/\S+)", script_head)
    return m.group(1) if m and not m.group(1).endswith("/env") else None


def venv_home(pyvenv_cfg: str) -> str | None:
    """The folder of the Python a venv was made from: pyvenv.cfg's `home =` (its standard library is
    beside it, even in a venv made with --copies)."""
    m = re.search(r"^home\s*=\s*(.+?)\s*$", pyvenv_cfg, re.MULTILINE)
    return m.group(1) if m else None


def problems(places: list[Place], opts: Options, service_uid: int | None = None) -> list[str]:
    """A line for each place the service's user cannot reach (what, where, why, the fix), the first one
    for each fix only: one venv made again mends the program and its Python alike."""
    out, fixes = [], set()
    for place in places:
        why = _hidden(place.path, opts) or _blocked(place, opts.user, service_uid)
        if why and place.fix not in fixes:
            fixes.add(place.fix)
            out.append(f"{place.what} {place.path}: {why}; {place.fix}")
    return out


def _hidden(path: str, opts: Options) -> str | None:
    """Where the kms and cage units do not see it (the x11 unit has no PrivateTmp= and reads homes)."""
    if opts.display == "x11":
        return None
    for root in PRIVATE_TMP:
        if path.startswith(root):
            return f"the service does not see {root} (PrivateTmp=yes gives it an empty one of its own)"
    if path.startswith(HOME_ROOTS) and not any(P(path).is_relative_to(b) for b in home_binds(opts)):
        return "the service does not see home folders (ProtectHome=yes binds in only the app folder and its venv)"
    return None


def _blocked(place: Place, user: str, service_uid: int | None) -> str | None:
    """The first folder on the way that the user may not enter, or the place itself if it may not read it."""
    def allowed(folder: Folder, bits: int) -> bool:
        # The owner's bits if it is the service user's, else the others': its group is its own (and video,
        # render, input), so a folder's group bits are someone else's.
        shift = 6 if folder.uid == service_uid else 0
        return folder.mode >> shift & bits == bits
    for folder in place.chain:
        if folder.path == place.path:
            if not allowed(folder, stat.S_IROTH | stat.S_IXOTH):
                return f"the user '{user}' may not read it (mode {stat.S_IMODE(folder.mode):04o})"
        elif not allowed(folder, stat.S_IXOTH):
            return f"the user '{user}' may not enter {folder.path} (mode {stat.S_IMODE(folder.mode):04o})"
    return None
