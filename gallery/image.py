"""The gallery PC's disk: Debian 12 from debootstrap, the project installed as README tells a technician
(`make install-player` in /opt/aimoji), then `aimoji install-service --display kms`.

Two cached layers under ~/.cache/aimoji-gallery (or $AIMOJI_GALLERY_CACHE):
  base-KEY  debootstrap + the Debian packages a gallery PC needs       KEY: the package list
  root-KEY  base + the player's venv                                   KEY: base + pyproject + constraints
Every run copies the current project files into root-KEY and writes a fresh ext4 disk from it, so code
changes need no rebuild and dependency changes rebuild the venv layer. A run holds its two layers (a shared
lock on LAYER.lock) and removes the layers that no run holds and this project no longer builds: 1.2-1.7 GB
each, which a CI machine keeping the cache would otherwise gather with every dependency change.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SUITE = "bookworm"
# A console-only PC: systemd and the kernel; Python for the venv; Mesa for SDL's kmsdrm attempt; cage +
# Xwayland + seatd (cage's seat) for the kiosk variant, with xkbcomp and the keymaps Xwayland starts with;
# stress-ng for the "under load" scenario (a weak PC: another program takes the CPU)
# (xwayland depends on them already; named because it cannot start without them); the QEMU guest agent
# so the harness can run commands from outside; chrony, the clock a wall of PCs agrees on (its server
# is the venue's: for the "two PCs" scenario, the host).
PACKAGES = ("systemd", "systemd-sysv", "linux-image-amd64", "udev", "kmod", "dbus", "iproute2", "procps",
            "python3", "python3-venv", "qemu-guest-agent",
            "libgbm1", "libegl1", "libegl-mesa0", "libgl1-mesa-dri", "cage", "xwayland", "seatd", "x11-xkb-utils", "xkb-data",
            "stress-ng", "chrony")
APP_DIR = "/opt/aimoji"
HOST_PYTHON = "/usr/bin/python3"   # Debian's, the same 3.11 the guest has: the venv runs in both
DISK_SIZE = "6G"
DISK_HEADROOM = 256 * 2**20   # beyond the files: the ext4 metadata and journal, and room to spare on the host
VM_SHOW = Path(__file__).with_name("vm-show.toml")   # the technician's show for this (emulated) PC


@dataclass(frozen=True)
class Image:
    root: Path       # the file tree the disk was made from
    disk: Path
    kernel: Path
    initrd: Path


def cache_dir() -> Path:
    explicit = os.environ.get("AIMOJI_GALLERY_CACHE")
    return Path(explicit) if explicit else Path.home() / ".cache" / "aimoji-gallery"


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()[:12]


def base_key() -> str:
    return _digest(SUITE.encode(), " ".join(PACKAGES).encode())


def root_key(project: Path) -> str:
    return _digest(base_key().encode(), (project / "pyproject.toml").read_bytes(),
                   (project / "constraints.txt").read_bytes(), (project / "Makefile").read_bytes())


def debian_mirror(sources: Path = Path("/etc/apt/sources.list.d/debian.sources")) -> str:
    """The Debian mirror this machine's apt already uses (deb822 or one-line format)."""
    legacy = Path("/etc/apt/sources.list")
    for path in (sources, legacy):
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] and len(words) > 1:
                return words[1]
            if words[:1] == ["deb"] and len(words) > 2:
                return words[1] if not words[1].startswith("[") else words[2]
    raise SystemExit("gallery: no Debian mirror in /etc/apt/sources.list(.d): debootstrap needs one")


def tree_bytes(root: Path) -> int:
    """What the files under root take on disk (allocated blocks, a hard-linked file once, as mkfs.ext4 -d
    writes it): about what a disk written from it holds."""
    total, seen = 0, set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:
                continue
            if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


def room_problem(free: int, need: int, where: Path) -> str | None:
    if free >= need:
        return None
    return (f"gallery: {where} has {free / 1e9:.1f} GB free; a disk of this image needs about {need / 1e9:.1f} GB "
            f"(free space there, or give --out another file system)")


def layer_names(project: Path) -> tuple[str, str]:
    """The cache's two layers for this project: the Debian system, and it with the player's venv."""
    return f"base-{base_key()}", f"root-{root_key(project)}"


def prune(cache: Path, keep: tuple[str, ...]) -> None:
    """Remove the layers (and half-built `.tmp` ones) not named in keep that no other run holds."""
    for layer in sorted(cache.iterdir()):
        name = layer.name.removesuffix(".tmp")
        if not layer.is_dir() or name in keep or not name.startswith(("base-", "root-")):
            continue
        with open(cache / f"{name}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(f"  cache: {layer.name} kept: another gallery run holds it", flush=True)
                continue
            size = tree_bytes(layer)
            shutil.rmtree(layer)
            print(f"  cache: removed {layer.name} ({size / 1e9:.1f} GB), a layer this project no longer builds",
                  flush=True)


@contextmanager
def held(project: Path) -> Iterator[Path]:
    """The cache for the length of a run: this project's layers held, the stale ones removed."""
    if os.geteuid() != 0:
        raise SystemExit("gallery: building the image needs root (debootstrap, chroot, mount)")
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    names = layer_names(project)
    with ExitStack() as stack:
        for name in names:
            lock = stack.enter_context(open(cache / f"{name}.lock", "a"))
            fcntl.flock(lock, fcntl.LOCK_SH)
        prune(cache, names)
        yield cache


def run_logged(argv: list[str], log: Path, what: str, **kw) -> None:
    started = time.monotonic()
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(argv)}\n".encode())
        out.flush()
        begins = out.tell()
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, **kw)
    if done.returncode != 0:
        with open(log, "rb") as written:     # this command's own words, not the commands' before it
            written.seek(begins)
            said = written.read().decode(errors="replace")
        raise SystemExit(f"gallery: {what} failed (exit {done.returncode}); it said (in {log}):\n{said[-1500:]}")
    print(f"  {what}: {time.monotonic() - started:.0f} s", flush=True)


def build_base(base: Path, log: Path) -> Path:
    if base.exists():
        return base
    tmp = base.with_name(base.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    run_logged(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(tmp),
               debian_mirror()], log, "debootstrap Debian 12")
    (tmp / "etc/hostname").write_text("gallery-pc\n")
    # The console shows the wall, not a login prompt; the serial line keeps its getty for people.
    (tmp / "etc/systemd/system/getty.target.wants/getty@tty1.service").unlink(missing_ok=True)
    tmp.rename(base)
    return base


def project_files(project: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a clone plus the technician's own edits hold."""
    out = subprocess.run(["git", "-C", str(project), "ls-files", "-co", "--exclude-standard", "-z"],
                         capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p and (project / p).is_file()]


def copy_project(project: Path, dest: Path) -> None:
    """Replace everything in dest but its .venv with the project's current files."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in dest.iterdir():
        if entry.name != ".venv":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for rel in project_files(project):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / rel, target)


def build_root(project: Path, cache: Path, log: Path) -> Path:
    base_name, root_name = layer_names(project)
    root = cache / root_name
    if root.exists():
        return root
    base = build_base(cache / base_name, log)
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    run_logged(["cp", "-a", str(base), str(tmp)], log, "copy the base system")
    copy_project(project, tmp / APP_DIR.lstrip("/"))
    # The technician's step, `make install-player`, run at the path the guest will see: the guest's tree
    # is bind-mounted on /opt/aimoji in a private mount namespace, so the venv's paths are the guest's,
    # while pip reads this machine's package configuration (the guest has no network).
    Path(APP_DIR).mkdir(parents=True, exist_ok=True)
    script = (f"mount --bind {tmp / APP_DIR.lstrip('/')} {APP_DIR} && "
              f"make -C {APP_DIR} install-player PYTHON={HOST_PYTHON}")
    run_logged(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], log,
               "make install-player (the player's venv)")
    tmp.rename(root)
    return root


def install_service(root: Path, log: Path, display: str = "kms") -> None:
    """`aimoji install-service` as root inside the image: writes the units, creates the user, enables it."""
    script = (f"mount -t proc proc {root}/proc && "
              f"chroot {root} {APP_DIR}/.venv/bin/aimoji install-service --display {display} --app-dir {APP_DIR}")
    run_logged(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], log,
               f"aimoji install-service --display {display}")


def write_disk(root: Path, disk: Path, log: Path) -> None:
    disk.unlink(missing_ok=True)
    problem = room_problem(shutil.disk_usage(disk.parent).free, tree_bytes(root) + DISK_HEADROOM, disk.parent)
    if problem:
        raise SystemExit(problem)
    run_logged(["truncate", "-s", DISK_SIZE, str(disk)], log, "allocate the disk")
    run_logged(["mkfs.ext4", "-q", "-F", "-L", "gallery", "-d", str(root), str(disk)], log, "write the ext4 disk")


def _mkdirs(path: str) -> list[str]:
    """debugfs commands making the folders above path below the top level (an existing one: a harmless error)."""
    return [f"mkdir {p}" for p in reversed(PurePosixPath(path).parents) if len(p.parts) > 2]


def pc_disk(img: Image, disk: Path, files: dict[str, str], enable: tuple[str, ...], log: Path) -> None:
    """A fresh disk from the image for one PC of several, with what its technician sets on it before it
    is switched on: files written (its screen's name, the show, the time server) and units enabled.
    Written into the ext4 file system with debugfs, and read back."""
    write_disk(img.root, disk, log)
    lines: list[str] = []
    staged = disk.with_suffix(".files")
    staged.mkdir(exist_ok=True)
    for n, (path, text) in enumerate(sorted(files.items())):
        lines += _mkdirs(path)
        local = staged / str(n)
        local.write_text(text)
        local.chmod(0o644)
        lines += [f"rm {path}", f"write {local} {path}"]
    for unit in enable:
        link = f"/etc/systemd/system/multi-user.target.wants/{unit}"
        lines += [*_mkdirs(link), f"symlink {link} /lib/systemd/system/{unit}"]
    script = staged / "debugfs.cmds"
    script.write_text("\n".join(lines) + "\n")
    run_logged(["debugfs", "-w", "-f", str(script), str(disk)], log, f"set up {disk.name}")
    for path, text in files.items():
        back = subprocess.run(["debugfs", "-R", f"cat {path}", str(disk)], capture_output=True, text=True).stdout
        if back != text:
            raise SystemExit(f"gallery: {path} on {disk} reads back as {back[:80]!r}, not what was written")


def build(project: Path, cache: Path, workdir: Path) -> Image:
    """The image from the cache's layers (built where missing) and the project as it is now; call it
    inside held()."""
    log = workdir / "build.log"
    root = build_root(project, cache, log)
    copy_project(project, root / APP_DIR.lstrip("/"))
    for package in (root / "var/cache/apt/archives").glob("*.deb"):   # debootstrap's downloads: ~180 MB a disk
        package.unlink()
    shutil.copy2(VM_SHOW, root / APP_DIR.lstrip("/") / "show_configs" / "active.toml")
    install_service(root, log)
    disk = workdir / "gallery-pc.img"
    write_disk(root, disk, log)
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    initrds = sorted((root / "boot").glob("initrd.img-*"))
    if not kernels or not initrds:
        raise SystemExit(f"gallery: no kernel/initrd in {root / 'boot'}")
    return Image(root, disk, kernels[-1], initrds[-1])


if __name__ == "__main__":
    project_dir = Path(sys.argv[1]).resolve()
    with held(project_dir) as held_cache:
        print(build(project_dir, held_cache, Path(sys.argv[2]).resolve()))
