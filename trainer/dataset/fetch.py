"""Fetch pinned npm packages into a cache folder (`npm pack`, then unpack); offline once cached."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from trainer.dataset import DatasetError

DEFAULT_CACHE = Path(".cache/aimoji-sources")
# Marker written last: a folder without it is a half-finished unpack and is redone.
COMPLETE = ".complete"


def _wanted(member: tarfile.TarInfo) -> bool:
    # Sprite sheets are most of each datasource tarball and are never used.
    name = member.name
    return (member.isfile() and "/sheets" not in name
            and name.endswith((".json", ".png", ".svg", "LICENSE", "LICENSE.txt", "README.md")))


def _safe_name(package: str, version: str) -> str:
    return f"{package.lstrip('@').replace('/', '-')}-{version}"


def npm_pack(package: str, version: str, dest: Path) -> Path:
    """Download package@version as a tarball into dest (atomically) and return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DatasetError("npm client not found: install Node.js (npm) to fetch emoji sources, "
                           "or build from a folder with --from-folder")
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{_safe_name(package, version)}.tgz"
    tmp = dest / f".tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        proc = subprocess.run([npm, "pack", f"{package}@{version}", "--json", "--silent",
                               "--pack-destination", str(tmp)], capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()] or ["(no message)"]
            raise DatasetError(f"npm pack {package}@{version} failed: {lines[-1].strip()}")
        filename = json.loads(proc.stdout)[0]["filename"]
        os.replace(tmp / Path(filename).name, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def unpack(tarball: Path, root: Path) -> None:
    """Unpack the wanted members of an npm tarball into root (its `package/` prefix stripped)."""
    tmp = root.with_name(root.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = [m for m in tar.getmembers() if _wanted(m)]
            for m in members:
                m.name = m.name.split("/", 1)[1] if "/" in m.name else m.name
            tar.extractall(tmp, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DatasetError(f"{tarball}: cannot unpack ({exc}); delete it to fetch again") from exc
    (tmp / COMPLETE).write_text(tarball.name + "\n")
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)


def ensure_package(package: str, version: str, cache: Path) -> Path:
    """The unpacked package folder in the cache, fetching and unpacking only what is missing."""
    root = cache / "packages" / _safe_name(package, version)
    if (root / COMPLETE).exists():
        return root
    tarball = cache / "tarballs" / f"{_safe_name(package, version)}.tgz"
    if not tarball.exists():
        npm_pack(package, version, tarball.parent)
    unpack(tarball, root)
    return root
