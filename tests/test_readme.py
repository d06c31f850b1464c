"""The README's two paths a newcomer follows: set-up is exactly `make play` and `make test`, and the
numbered path from a clone to a running wall names commands and targets that exist."""

from __future__ import annotations

import re
from pathlib import Path

from installation.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_set_up_is_exactly_make_play_and_make_test():
    block = re.search(r"```sh\n(.*?)```", section("Set-up on a fresh machine"), re.S).group(1)
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make play", "make test"]


def test_the_path_to_a_wall_is_numbered_and_names_real_commands():
    path = section("From a clone to a running wall")
    steps = re.findall(r"^(\d+)\. \*\*", path, re.M)
    assert steps == [str(i) for i in range(1, len(steps) + 1)] and len(steps) >= 7
    for needed in ("/opt/aimoji", "make install-player", "active.toml", "aimoji check", "install-service",
                   "reboot", "aimoji status"):
        assert needed in path, needed
    used = set(re.findall(r"\.venv/bin/aimoji ([a-z-]+)", path))
    assert used and used <= set(COMMANDS)
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.M))
    assert set(re.findall(r"`make ([a-z-]+)`", path)) <= targets
