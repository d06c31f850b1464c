"""Atomic writes: a hidden temp file beside the target, fsync, rename over it; readers see old or new, never half.
The temp name starts with '.', so the hot reloader (stable_file.watched_kind) never picks it up."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_path_for(path: Path, suffix: str | None = None) -> Path:
    """`.NAME.tmp-PID` beside path; given a suffix `.STEM.tmp-PID<suffix>`, for writers that pick the
    format from the extension (pygame, ffmpeg). The default never ends in the target's suffix, so a glob
    such as `*.onnx` cannot catch a half-written file."""
    if suffix is not None:
        return path.with_name(f".{path.stem}.tmp-{os.getpid()}{suffix}")
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def fsync_dir(folder: Path) -> None:
    """Make a rename inside folder durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path | str, *, suffix: str | None = None, mode: int | None = None) -> Iterator[Path]:
    """Yield a temp path in path's folder to write to (the caller writes and closes it). On success the
    file is fsynced, given `mode` if one is set, and renamed onto path; on an exception it is removed.
    The folder must exist: callers decide whether a missing one is theirs to create."""
    path = Path(path)
    tmp = temp_path_for(path, suffix)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if mode is not None:
            # explicit mode: a service with UMask=0077 still writes files others must read
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_bytes_atomic(path: Path | str, data: bytes, *, mode: int | None = None) -> None:
    with atomic_path(path, mode=mode) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def write_text_atomic(path: Path | str, text: str, *, mode: int | None = None) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode=mode)


def write_json_atomic(path: Path | str, obj, *, indent: int | None = 2, sort_keys: bool = False,
                      mode: int | None = None) -> None:
    """obj as JSON with a final newline; nothing is written if it does not serialise."""
    write_text_atomic(path, json.dumps(obj, indent=indent, sort_keys=sort_keys) + "\n", mode=mode)


def replace_dir(staging: Path, out: Path) -> None:
    """Swap a finished folder in as out: an existing out is moved aside, then deleted only after the swap."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)
