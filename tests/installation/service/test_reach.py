"""Can the service's user reach what its unit runs (service/systemd/reach.py)? A table of places, and
`aimoji install-service --dry-run` refusing, with the fix, a venv made from a Python in a home folder
(pyenv, uv) and a checkout under /tmp."""

import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from installation.cli import main
from installation.service.systemd import install_plan as sp
from installation.service.systemd.reach import (APP_FIX, VENV_FIX, Folder, Place, interpreter_of, problems,
                                                 venv_home)

D, F = stat.S_IFDIR, stat.S_IFREG


def place(what, path, modes, fix=VENV_FIX, owner=0):
    """A place whose folders from / down have the given modes (the last is the place itself)."""
    parts = Path(path).parts
    chain = tuple(Folder(str(Path(*parts[:i + 1])), kind | mode, owner)
                  for i, (kind, mode) in enumerate(zip([D] * (len(parts) - 1) + [F], modes)))
    return Place(what, path, chain, fix)


PYENV = "/root/.pyenv/versions/3.11.7/bin/python3.11"
KMS, X11 = sp.Options(), sp.Options(display="x11")


@pytest.mark.parametrize("places, opts, lines", [
    ([place("its Python", "/usr/bin/python3.11", [0o755, 0o755, 0o755, 0o755])], KMS, []),
    ([place("its Python", PYENV, [0o755, 0o700, 0o755, 0o755, 0o755, 0o755, 0o755])], KMS,
     [f"its Python {PYENV}: the service does not see home folders (ProtectHome=yes binds in only the app folder "
      f"and its venv); {VENV_FIX}"]),
    ([place("its Python", PYENV, [0o755, 0o700, 0o755, 0o755, 0o755, 0o755, 0o755])], X11,
     [f"its Python {PYENV}: the user 'aimoji' may not enter /root (mode 0700); {VENV_FIX}"]),
    ([place("the app folder", "/tmp/aimoji", [0o755, 0o1777, 0o755], APP_FIX)], KMS,
     [f"the app folder /tmp/aimoji: the service does not see /tmp/ (PrivateTmp=yes gives it an empty one of its "
      f"own); {APP_FIX}"]),
    ([place("the app folder", "/tmp/aimoji", [0o755, 0o1777, 0o755], APP_FIX)], X11, []),   # no PrivateTmp there
    # a checkout under /home is bound in, if its owner lets others in
    ([place("the app folder", "/home/gallery/aimoji", [0o755, 0o755, 0o755, 0o755], APP_FIX)],
     sp.Options(app_dir="/home/gallery/aimoji"), []),
    ([place("the app folder", "/home/gallery/aimoji", [0o755, 0o755, 0o750, 0o755], APP_FIX)],
     sp.Options(app_dir="/home/gallery/aimoji"),
     [f"the app folder /home/gallery/aimoji: the user 'aimoji' may not enter /home/gallery (mode 0750); {APP_FIX}"]),
    ([place("the app folder", "/opt/aimoji", [0o755, 0o755, 0o700], APP_FIX)], KMS,
     [f"the app folder /opt/aimoji: the user 'aimoji' may not read it (mode 0700); {APP_FIX}"]),
    # the service user's own folder: its owner bits count
    ([place("the app folder", "/srv/aimoji", [0o755, 0o755, 0o700], APP_FIX, owner=990)], KMS, []),
    # the program and its Python both in the way: one venv made again mends both, so one line
    ([place("the aimoji program", "/tmp/v/bin/aimoji", [0o755, 0o1777, 0o755, 0o755, 0o755]),
      place("its Python", PYENV, [0o755, 0o700, 0o755, 0o755, 0o755, 0o755, 0o755])], KMS,
     [f"the aimoji program /tmp/v/bin/aimoji: the service does not see /tmp/ (PrivateTmp=yes gives it an empty "
      f"one of its own); {VENV_FIX}"]),
])
def test_what_the_service_user_cannot_reach(places, opts, lines):
    assert problems(places, opts, service_uid=990) == lines


@pytest.mark.parametrize("head, python", [
    ("#!/opt/aimoji/.venv/bin/python3\n", "/opt/aimoji/.venv/bin/python3"),
    ("#!/usr/bin/env python3\n", None), ("import sys\n", None), ("", None),
])
def test_the_interpreter_of_a_console_script(head, python):
    assert interpreter_of(head) == python


def test_the_python_a_venv_was_made_from():
    cfg = "home = /root/.pyenv/versions/3.11.7/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
    assert venv_home(cfg) == "/root/.pyenv/versions/3.11.7/bin" and venv_home("version = 3.11\n") is None


@pytest.fixture
def open_dir():
    """A folder everyone may enter (pytest's own tmp_path sits in a 0700 folder, as /root does)."""
    path = Path(tempfile.mkdtemp(prefix="aimoji-reach-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def make_venv(root: Path, python: Path, copies: bool) -> Path:
    """A venv's skeleton: bin/aimoji whose first line names bin/python3, a link to (or copy of) `python`,
    and pyvenv.cfg naming python's folder."""
    bin_ = root / "venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python3").write_bytes(python.read_bytes()) if copies else (bin_ / "python3").symlink_to(python)
    (bin_ / "python3").chmod(0o755)
    (bin_ / "aimoji").write_text(f"#!{bin_ / 'python3'}\nimport sys\n")
    (bin_ / "aimoji").chmod(0o755)
    (root / "venv" / "pyvenv.cfg").write_text(f"home = {python.parent}\nversion = 3.11.7\n")
    for folder in (root / "venv", root / "venv" / "bin"):
        folder.chmod(0o755)
    return bin_ / "aimoji"


def fake_python(folder: Path) -> Path:
    folder.mkdir(parents=True)
    python = folder / "python3.11"
    python.write_bytes(b"\x7fELF")
    python.chmod(0o755)
    return python


@pytest.mark.parametrize("copies", [False, True])
def test_dry_run_refuses_a_venv_made_from_a_python_in_a_private_home(open_dir, capsys, copies):
    # pyenv or uv: the Python under a home folder its owner keeps to itself (as /root, or /home/alice 0750)
    home = open_dir / "home" / "alice"
    python = fake_python(home / ".pyenv" / "versions" / "3.11.7" / "bin")
    for folder in (open_dir / "home", home / ".pyenv", home / ".pyenv" / "versions",
                   home / ".pyenv" / "versions" / "3.11.7"):
        folder.chmod(0o755)
    home.chmod(0o750)
    app = open_dir / "app"
    app.mkdir(mode=0o755)
    aimoji = make_venv(open_dir, python, copies)
    rc = main(["install-service", "--dry-run", "--display", "x11", "--app-dir", str(app), "--aimoji", str(aimoji)])
    out, err = capsys.readouterr()
    what, where = (("the Python its venv was made from", python.parent) if copies else ("its Python", python))
    assert rc == 2 and "plan for" not in out
    assert err.strip().splitlines() == [
        f"aimoji install-service: {what} {where}: the user 'aimoji' may not enter {home} (mode 0750); {VENV_FIX}"]


def test_dry_run_refuses_a_checkout_under_tmp_and_passes_one_everyone_can_reach(open_dir, capsys):
    python = fake_python(open_dir / "usr" / "bin")
    (open_dir / "usr").chmod(0o755)
    aimoji = make_venv(open_dir, python, copies=False)
    app = open_dir / "app"
    app.mkdir(mode=0o755)
    rc = main(["install-service", "--dry-run", "--display", "kms", "--app-dir", str(app), "--aimoji", str(aimoji)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[0] == (f"aimoji install-service: the app folder {app}: the service does not see /tmp/ "
                                  f"(PrivateTmp=yes gives it an empty one of its own); {APP_FIX}")
    # x11 has no private /tmp: the same folders are fine there
    rc = main(["install-service", "--dry-run", "--display", "x11", "--app-dir", str(app), "--aimoji", str(aimoji)])
    out = capsys.readouterr().out
    assert rc == 0 and out.startswith("plan for --display x11")
