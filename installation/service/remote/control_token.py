"""The token that lets the status page change what plays (POST /control): a secret in a root-owned file.

Under systemd the unit's `LoadCredential=control-token:/etc/aimoji/control-token` hands the player a
private copy in $CREDENTIALS_DIRECTORY; by hand, `aimoji play --http-token-file PATH`. No token: the
page is read-only and POST /control says why. A token arrives only in the Authorization header, never
in a URL (which ends up in logs and browser history), and is compared in constant time.
"""

from __future__ import annotations

import hmac
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

CREDENTIAL = "control-token"
MIN_LENGTH = 16
MODES = (0o600, 0o400)   # the owner's alone: the group (often a desktop user's) may not read it either
TOKEN = re.compile(rb"[\x21-\x7e]+")   # printable ASCII without spaces: it travels in a header
NO_TOKEN = ("control is off: no token file (aimoji play --http-token-file PATH, or the service's "
            "LoadCredential=control-token; docs/operations.md)")


class TokenError(ValueError):
    """The token file cannot be trusted or used; one line naming the file."""


def read_token(path: Path | str, uid: int | None = None) -> bytes:
    """The token in `path`; TokenError if the file is not owned by root or by this user, if its mode is
    not 0600 or 0400, or if it holds no usable token."""
    path, uid = Path(path), os.getuid() if uid is None else uid
    try:
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())   # the file read, not whatever the name points at later
            data = f.read(4096)
    except OSError as exc:
        raise TokenError(f"{path}: cannot read the control token ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise TokenError(f"{path}: not a regular file; allowed: a file holding the control token")
    if info.st_uid not in (0, uid):
        raise TokenError(f"{path}: owned by uid {info.st_uid}; allowed: owned by root or by the user "
                         f"running the player (uid {uid})")
    if stat.S_IMODE(info.st_mode) not in MODES:
        raise TokenError(f"{path}: mode {stat.S_IMODE(info.st_mode):04o}; allowed: 0600 or 0400, its owner's "
                         f"alone (chmod 0600 {path}; if others could read it, make a new token)")
    token = data.strip()
    if not TOKEN.fullmatch(token) or len(token) < MIN_LENGTH:
        raise TokenError(f"{path}: not a usable token; allowed: one word of at least {MIN_LENGTH} printable "
                         "characters, e.g. from `openssl rand -hex 24`")
    return token


def find_token(explicit: Path | None, environ: Mapping[str, str] = os.environ) -> tuple[bytes | None, str]:
    """(token, where it came from), or (None, why control is off). TokenError for a file that is there
    but cannot be trusted: the player does not start with it."""
    if explicit is not None:
        return read_token(explicit), str(explicit)
    folder = environ.get("CREDENTIALS_DIRECTORY")
    if folder and (Path(folder) / CREDENTIAL).exists():
        path = Path(folder) / CREDENTIAL
        return read_token(path), f"systemd credential {CREDENTIAL}"
    return None, NO_TOKEN


def bearer(header: str | None) -> bytes | None:
    """The token of an 'Authorization: Bearer TOKEN' header; None when there is none."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip().encode("latin-1", "replace")


def authorised(header: str | None, token: bytes) -> bool:
    given = bearer(header)
    return given is not None and hmac.compare_digest(given, token)
