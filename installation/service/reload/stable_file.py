"""Is a dropped file complete? Pure bookkeeping: the watcher feeds in stat results and the clock;
a file is ready once its size and mtime have not changed for a window, or at once if it arrived by rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

WINDOW_S = 0.3  # a local copy writes continuously; 0.3 s of silence means it has finished
# Names that copy tools and editors use while writing; the real name arrives later by rename.
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", "~")


@dataclass(frozen=True)
class Stat:
    """One version of a file. Size and mtime alone miss a same-size rewrite that keeps the mtime
    (cp -p, rsync -t, unzip): a new inode or a new ctime, which no copy tool can set, tells those apart."""
    size: int
    mtime_ns: int
    ino: int = 0
    ctime_ns: int = 0


@dataclass
class _Pending:
    stat: Stat
    since: float  # when this (size, mtime) was first seen
    seen: float  # when it was last confirmed
    whole: bool  # arrived by rename: complete when it appeared


def watched_kind(path: str | PurePath, suffixes: tuple[str, ...] = (".onnx", ".toml")) -> str | None:
    """'onnx' / 'toml' for a file worth watching; None for hidden, temporary and other files."""
    name = PurePath(path).name
    if name.startswith((".", "~")) or name.lower().endswith(TEMP_SUFFIXES):
        return None
    for suffix in suffixes:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return suffix[1:]
    return None


class StableFiles:
    """Tracks files being written; `ready(now)` hands each complete version over exactly once."""

    def __init__(self, window_s: float = WINDOW_S):
        self.window_s = window_s
        self._pending: dict[str, _Pending] = {}
        self._handed: dict[str, Stat] = {}  # the version of each file already handed over

    def observe(self, path: str, stat: Stat | None, now: float) -> None:
        """Record a stat result (None: the file is gone). Call on every event and on every poll."""
        if stat is None:
            self._pending.pop(path, None)
            self._handed.pop(path, None)
            return
        if self._handed.get(path) == stat:
            return  # an event about a version already handed over (e.g. our own read)
        entry = self._pending.get(path)
        if entry is None or entry.stat != stat:
            self._pending[path] = _Pending(stat, since=now, seen=now, whole=False)
        else:
            entry.seen = now

    def arrived_whole(self, path: str, stat: Stat | None, now: float) -> None:
        """A file renamed into place was written completely under another name: no waiting."""
        if stat is None:
            self.observe(path, None, now)
        elif self._handed.get(path) != stat:
            self._pending[path] = _Pending(stat, since=now, seen=now, whole=True)

    def ready(self) -> list[tuple[str, Stat]]:
        """Files complete as of the latest observations, oldest first; each version is returned once.
        A file counts as unchanged only once a stat taken a whole window later still agrees."""
        done = [(p, e) for p, e in self._pending.items()
                if e.whole or e.seen - e.since >= self.window_s]
        done.sort(key=lambda pe: pe[1].since)
        for path, entry in done:
            del self._pending[path]
            self._handed[path] = entry.stat
        return [(path, entry.stat) for path, entry in done]

    def pending(self) -> list[str]:
        """Files still being watched, to stat again at the next poll."""
        return list(self._pending)

    def forget(self, path: str) -> None:
        """Let the same version be handed over again (after a rejected read that may have been early)."""
        self._handed.pop(path, None)
