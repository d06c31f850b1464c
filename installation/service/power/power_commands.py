"""The service's display power commands: which programs switch the screen off and on.

They live in a root-owned file (default /etc/aimoji/display-power.toml), never in a show: a show may be
edited by a curator, and a show must not be able to make the player run programs. The show only says
it wants the display off outside hours (`outside_hours.action = "display_off"`).
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from installation.errors import format_validation_error

DEFAULT_FILE = Path("/etc/aimoji/display-power.toml")
ENV_VAR = "AIMOJI_DISPLAY_POWER_FILE"  # the systemd units set it; `aimoji play --display-power` wins
EXAMPLE_ARGV = '["xset", "dpms", "force", "off"]'


class PowerCommands(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    off: list[str] = Field(description="argv that switches the display off, e.g. " + EXAMPLE_ARGV)
    on: list[str] = Field(description="argv that switches it back on")
    timeout_s: float = Field(15.0, gt=0, le=300,
                             description="a command still running after this is killed and counts as failed "
                                         "(DDC/CI monitors can take several seconds)")

    @field_validator("off", "on")
    @classmethod
    def _argv(cls, v: list[str]) -> list[str]:
        if not v or not all(v) or not v[0].strip():
            raise ValueError(f"{v} is not a command; allowed: a program and its arguments as a list of "
                             f"non-empty strings, such as {EXAMPLE_ARGV}")
        return v


class PowerConfigError(ValueError):
    """The commands file cannot be used; str() is one line naming the file. `missing`: there is no file
    at all, which is normal for a show that never asks for display_off."""

    def __init__(self, line: str, missing: bool = False):
        super().__init__(line)
        self.missing = missing


def resolve_path(explicit: Path | str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """`--display-power FILE` if given, else $AIMOJI_DISPLAY_POWER_FILE, else /etc/aimoji/display-power.toml."""
    if explicit is not None:
        return Path(explicit)
    return Path(environ[ENV_VAR]) if environ.get(ENV_VAR) else DEFAULT_FILE


def permission_problem(mode: int, owner_uid: int, euid: int) -> str | None:
    """Why a file with this mode and owner must not be trusted to name programs, or None.

    Anyone who can write the file decides what the player runs, so only root and the player's own user
    (who could run anything as itself anyway) may own it, and neither group nor others may write it.
    A player running as root accepts only root's files."""
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = " and ".join(w for bit, w in ((stat.S_IWGRP, "group"), (stat.S_IWOTH, "others")) if mode & bit)
        return f"writable by {who} (mode {stat.S_IMODE(mode):04o}); allowed: mode 0644 or stricter"
    if owner_uid not in (0, euid):
        owners = "root" if euid == 0 else f"root or uid {euid} (the player's user)"
        return f"owned by uid {owner_uid}; allowed: a file owned by {owners}"
    return None


def parse_power_commands(data: dict, path: Path | str) -> PowerCommands:
    try:
        return PowerCommands.model_validate(data)
    except ValidationError as err:
        raise PowerConfigError("; ".join(format_validation_error(path, err, PowerCommands))) from None


def load_power_commands(path: Path | str, euid: int | None = None) -> PowerCommands:
    """The validated commands, or PowerConfigError with one line naming the file and the problem."""
    path = Path(path)
    euid = os.geteuid() if euid is None else euid
    try:
        with open(path, "rb") as fh:
            info = os.fstat(fh.fileno())  # the file actually read, not whatever the name points to later
            problem = permission_problem(info.st_mode, info.st_uid, euid)
            if problem:
                raise PowerConfigError(f"{path}: refused, {problem} (anyone who can write it chooses the "
                                       "programs the player runs)")
            raw = fh.read()
    except FileNotFoundError:
        raise PowerConfigError(f"{path}: not found", missing=True) from None
    except OSError as exc:
        raise PowerConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PowerConfigError(f"{path}: not UTF-8 text; allowed: a TOML text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise PowerConfigError(f"{path}: TOML syntax error: {exc}") from None
    return parse_power_commands(data, path)


def load_or_problem(path: Path | str) -> tuple[PowerCommands | None, PowerConfigError | None]:
    """For the player, which keeps playing without commands: (commands, None) or (None, the problem)."""
    try:
        return load_power_commands(path), None
    except PowerConfigError as exc:
        return None, exc
