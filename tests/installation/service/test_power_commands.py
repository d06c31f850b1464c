"""The service's display power file: where it is looked for, who may own and write it, and one line per
mistake naming the file."""

import os
import tomllib
from pathlib import Path

import pytest

from installation.service.power.power_commands import (DEFAULT_FILE, PowerCommands, PowerConfigError,
                                                 load_or_problem, load_power_commands, parse_power_commands,
                                                 permission_problem, resolve_path)

ROOT = Path(__file__).resolve().parents[3]
ME = os.geteuid()


@pytest.mark.parametrize("explicit, environ, expected", [
    ("my.toml", {"AIMOJI_DISPLAY_POWER_FILE": "/srv/p.toml"}, Path("my.toml")),
    (None, {"AIMOJI_DISPLAY_POWER_FILE": "/srv/p.toml"}, Path("/srv/p.toml")),
    (None, {"AIMOJI_DISPLAY_POWER_FILE": ""}, DEFAULT_FILE),
    (None, {}, Path("/etc/aimoji/display-power.toml")),
])
def test_resolve_path(explicit, environ, expected):
    assert resolve_path(explicit, environ) == expected


@pytest.mark.parametrize("mode, owner, euid, problem", [
    (0o100644, 0, 0, None),
    (0o100600, 0, 1000, None),
    (0o100644, 1000, 1000, None),    # a player started by hand, with its user's own file
    (0o100664, 0, 0, "writable by group (mode 0664); allowed: mode 0644 or stricter"),
    (0o100666, 0, 1000, "writable by group and others (mode 0666); allowed: mode 0644 or stricter"),
    (0o100646, 0, 1000, "writable by others (mode 0646); allowed: mode 0644 or stricter"),
    (0o100644, 1000, 0, "owned by uid 1000; allowed: a file owned by root"),   # root trusts only root
    (0o100644, 1001, 1000, "owned by uid 1001; allowed: a file owned by root or uid 1000 (the player's user)"),
])
def test_permission_problem(mode, owner, euid, problem):
    assert permission_problem(mode, owner, euid) == problem


def _write(tmp_path, text, mode=0o644):
    path = tmp_path / "display-power.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_good_file_loads(tmp_path):
    path = _write(tmp_path, 'off = ["ddcutil", "setvcp", "D6", "04"]\non = ["ddcutil", "setvcp", "D6", "01"]\n')
    assert load_power_commands(path) == PowerCommands(off=["ddcutil", "setvcp", "D6", "04"],
                                                      on=["ddcutil", "setvcp", "D6", "01"], timeout_s=15)


def test_the_shipped_example_is_valid():
    path = ROOT / "systemd/display-power.toml"  # its mode is the checkout's umask: only the content counts
    commands = parse_power_commands(tomllib.loads(path.read_text()), path)
    assert commands.off == ["xset", "dpms", "force", "off"] and commands.on == ["xset", "dpms", "force", "on"]


ARGV_HINT = 'allowed: a program and its arguments as a list of non-empty strings, such as ["xset", "dpms", "force", "off"]'


@pytest.mark.parametrize("text, line", [
    ('off = ["xset"]\n', "on: missing; this key is required"),
    ('off = "xset dpms force off"\non = ["x"]\n',
     "off: 'xset dpms force off' is not allowed; allowed: a list [...]"),
    ('off = []\non = ["x"]\n', f"off: [] is not a command; {ARGV_HINT}"),
    ('off = ["xset", ""]\non = ["x"]\n', f"off: ['xset', ''] is not a command; {ARGV_HINT}"),
    ('off = ["a"]\non = ["b"]\ntimeout_s = 0\n', "timeout_s: 0 is too small; allowed: more than 0 and at most 300"),
    ('off = ["a"]\non = ["b"]\nof = ["c"]\n', "of: unknown key (check the spelling); allowed: off, on, timeout_s"),
    ('off = ["a"\n', "TOML syntax error: "),
])
def test_a_bad_file_is_one_line_naming_it(tmp_path, text, line):
    path = _write(tmp_path, text)
    with pytest.raises(PowerConfigError) as caught:
        load_power_commands(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {line}") and "\n" not in message
    assert not caught.value.missing


def test_a_file_others_may_write_is_refused(tmp_path):
    path = _write(tmp_path, 'off = ["a"]\non = ["b"]\n', mode=0o666)
    commands, problem = load_or_problem(path)
    assert commands is None and not problem.missing
    assert str(problem) == (f"{path}: refused, writable by group and others (mode 0666); allowed: mode 0644 or "
                            "stricter (anyone who can write it chooses the programs the player runs)")


def test_a_root_player_refuses_a_file_not_owned_by_root(tmp_path):
    path = _write(tmp_path, 'off = ["a"]\non = ["b"]\n')
    if ME == 0:
        os.chown(path, 65534, -1)  # as root, hand it to 'nobody'; otherwise it is already ours, not root's
    owner = path.stat().st_uid
    with pytest.raises(PowerConfigError, match=f"refused, owned by uid {owner}; allowed: a file owned by root"):
        load_power_commands(path, euid=0)


def test_a_missing_file_is_marked_missing(tmp_path):
    commands, problem = load_or_problem(tmp_path / "nope.toml")
    assert commands is None and problem.missing and str(problem) == f"{tmp_path / 'nope.toml'}: not found"
