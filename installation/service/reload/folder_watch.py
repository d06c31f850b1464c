"""Keep a watchdog watch on each folder hot reload cares about, whatever happens to the folder or to inotify.

A watch follows an inode, not a name: after `rm -rf exported_models && mkdir exported_models` it still
points at the deleted folder and nothing new is ever seen. So the reloader's worker calls `check()`
about once a second; it compares each folder's (device, inode) with the one watched and re-schedules
the watch on a folder that was replaced, removed and re-created, or created late. If inotify itself
fails (the per-user watch or instance limit, ENOSPC / EMFILE), every folder is polled instead:
slower, but hot reload keeps working. `mode` says which, and why.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

log = logging.getLogger("aimoji.reload")

POLLING_S = 1.0  # how often the polling fallback lists each folder; cheap for a handful of files
INOTIFY = "inotify"
# inotify's own failures, told in words a technician can act on (the sysctl to raise).
_INOTIFY_LIMITS = {
    errno.ENOSPC: "inotify watch limit reached (sysctl fs.inotify.max_user_watches)",
    errno.EMFILE: "inotify instance limit reached (sysctl fs.inotify.max_user_instances)",
}
_MISSING = (errno.ENOENT, errno.ENOTDIR)  # the folder went away between our stat and the watch


def folder_id(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of a folder, or None if there is no folder by that name."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if os.path.isdir(folder) else None


def why_inotify_failed(exc: OSError) -> str:
    return _INOTIFY_LIMITS.get(exc.errno, f"{exc.strerror or exc}")


class FolderWatcher:
    """Watches folders for `handler` (watchdog's dispatch target). `start` never raises for an inotify
    problem; `check` and `stop` may be called from another thread than `start`."""

    def __init__(self, handler, *, observer_factory: Callable[[], object] = Observer,
                 polling_s: float = POLLING_S):
        self._handler, self._factory, self._polling_s = handler, observer_factory, polling_s
        self._observer = None
        # folder -> (watch, identity); identity None once the watch reported its folder gone
        self._watched: dict[Path, tuple[object, tuple[int, int] | None]] = {}
        self._missing: set[Path] = set()  # folders already reported as not there
        self._lock = threading.Lock()
        self.mode = "not started"  # INOTIFY, or "polling (why)", or "off (why)"

    def start(self, folders: Iterable[Path]) -> None:
        folders = list(folders)
        with self._lock:
            try:
                self._open(self._factory, folders)
                self.mode = INOTIFY
            except OSError as exc:
                self._fall_back(exc, folders)

    def check(self, folders: Iterable[Path]) -> list[Path]:
        """Re-watch every folder whose identity changed; returns the folders now watched afresh, whose
        contents the caller should read as if they had just arrived."""
        folders = list(folders)
        fresh: list[Path] = []
        with self._lock:
            if self._observer is None:
                return fresh
            for folder in folders:
                now_id = folder_id(folder)
                entry = self._watched.get(folder)
                if entry is not None and entry[1] is not None and entry[1] == now_id:
                    continue
                if entry is not None:
                    self._unwatch(folder)
                if now_id is None:
                    if folder not in self._missing:
                        self._missing.add(folder)
                        log.warning("%s: no such folder; hot reload watches it again once it is back", folder)
                    continue
                try:
                    if self._watch(folder):
                        fresh.append(folder)
                except OSError as exc:
                    if self.mode == INOTIFY:
                        self._fall_back(exc, folders)
                        return list(self._watched)
                    if folder not in self._missing:  # polling cannot read it (permissions?): say so once
                        self._missing.add(folder)
                        log.warning("%s: cannot watch this folder (%s); trying again every check", folder,
                                    exc.strerror or exc)
            for folder in fresh:
                was = "appeared" if folder in self._missing else "was replaced"
                self._missing.discard(folder)
                log.warning("%s: the folder %s; watching the new one and reading what is in it", folder, was)
        return fresh

    def forget(self, folder: Path) -> bool:
        """The watched folder was deleted or moved away (its watch said so): the next check re-watches
        whatever folder has that name by then. False if folder is not one of ours."""
        with self._lock:
            entry = self._watched.get(folder)
            if entry is None:
                return False
            self._watched[folder] = (entry[0], None)
            return True

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._close(timeout_s)

    # -- inside the lock ---------------------------------------------------------------------------
    def _open(self, factory: Callable[[], object], folders: list[Path]) -> None:
        """Start an observer first, then add one watch at a time, so a folder that vanished in between
        costs only its own watch (check() adds it later) instead of failing them all."""
        self._observer, self._watched = factory(), {}
        try:
            self._observer.start()
            for folder in folders:
                self._watch(folder)
        except OSError:
            self._close(1.0)
            raise

    def _watch(self, folder: Path) -> bool:
        ident = folder_id(folder)
        if ident is None:
            return False
        try:
            watch = self._observer.schedule(self._handler, str(folder), recursive=False)
        except OSError as exc:
            if exc.errno in _MISSING:
                return False
            raise
        self._watched[folder] = (watch, ident)
        return True

    def _unwatch(self, folder: Path) -> None:
        watch, _ = self._watched.pop(folder)
        # The emitter of a deleted folder has usually stopped itself; removing its watch may then find
        # nothing left to remove, which is fine.
        with contextlib.suppress(KeyError, OSError):
            self._observer.unschedule(watch)

    def _fall_back(self, exc: OSError, folders: list[Path]) -> None:
        why = why_inotify_failed(exc)
        self._close(1.0)
        try:
            self._open(lambda: PollingObserver(timeout=self._polling_s), folders)
        except OSError as poll_exc:
            self.mode = f"off ({why}; polling failed too: {poll_exc.strerror or poll_exc})"
            log.error("hot reload is off: %s; polling failed too (%s); restart the player to retry",
                      why, poll_exc.strerror or poll_exc)
            return
        self.mode = f"polling ({why})"
        log.warning("hot reload: %s; polling %s every %g s instead",
                    why, ", ".join(str(f) for f in folders), self._polling_s)

    def _close(self, timeout_s: float) -> None:
        observer, self._observer, self._watched = self._observer, None, {}
        if observer is None:
            return
        with contextlib.suppress(Exception):  # a half-started observer: stop what there is, carry on
            observer.stop()
            if observer.is_alive():
                observer.join(timeout_s)
