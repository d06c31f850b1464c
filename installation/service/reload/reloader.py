"""Hot reload: watch exported_models/ and the show's folder, hand over files that are complete and valid.

Watchdog's thread only queues events. One worker thread stats files until they are complete
(installation/service/reload/stable_file.py), loads them (model/load.py) and calls `on_model(name, Generator)`,
`on_show(show)` or `on_reject(path, reason)`. Callbacks run on that worker thread: they should only
post to the player's queue. Nothing here ever blocks the caller; a bad file never replaces a good one.

A model is new when its bytes are: a same-name copy of a retrained model is delivered again, a rewrite
with the bytes already delivered under that name is not. The worker also keeps the folder watches
alive (installation/service/reload/folder_watch.py) and records each delivered model for the next start
(installation/model/last_shown.py).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from watchdog.observers import Observer

from installation.model.load import DEFAULT_BATCH, MAX_MODEL_BYTES, Generator, ModelError, load
from installation.model import last_shown as last_model
from installation.priority import lower_this_thread
from installation.service.reload.folder_watch import POLLING_S, FolderWatcher
from installation.show.config import Show, ShowError, load_show, resolve_show_path
from installation.service.reload.stable_file import WINDOW_S, StableFiles, Stat, watched_kind

log = logging.getLogger("aimoji.reload")

POLL_S = 0.05  # how often files still being written are stat'ed again
# A failed read is reported only if the file is still unchanged this long after: a copy that stalled
# longer than the window and then went on is not worth an alarming log line.
REJECT_GRACE_S = 1.0
IGNORED_EVENTS = ("opened", "closed_no_write")  # our own reads cause these
FOLDER_CHECK_S = 1.0  # how often the worker checks that each watched folder is still the one watched


def stat_of(path: str) -> Stat | None:
    try:
        st = os.stat(path)  # follows symlinks: active.toml -> museum.toml
    except OSError:
        return None
    return Stat(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


class _Handler:
    """Watchdog calls this from its own thread: put the event on the queue, nothing else."""

    def __init__(self, events: queue.SimpleQueue):
        self._events = events

    def dispatch(self, event) -> None:
        if event.is_directory:
            if event.event_type in ("deleted", "moved"):  # perhaps a watched folder itself
                self._events.put(("folder_gone", os.fsdecode(event.src_path), ""))
        elif event.event_type not in IGNORED_EVENTS:
            dest = getattr(event, "dest_path", "") or ""
            self._events.put((event.event_type, os.fsdecode(event.src_path), os.fsdecode(dest)))


class Reloader:
    """Start with `start()` (or `with Reloader(...)`); stop with `stop()`.

    show_path: the show being played; None follows show_folder's active.toml, else default.toml.
    scan_existing: also hand over the models already in models_dir at start, oldest first.
    known_models: {path: sha256} of the model files the player already plays, so rewriting one of them
      with the same bytes is not a new model.
    last_model_file: where to record each delivered model for the next start (None: nowhere).
    observer_factory: watchdog's inotify Observer; if it fails, the folders are polled every polling_s.
    `mode` says which: "inotify" or "polling (why)".
    """

    def __init__(self, models_dir: Path | str, show_path: Path | str | None = None, *,
                 show_folder: Path | str = "show_configs",
                 on_model: Callable[[str, Generator], None],
                 on_show: Callable[[Show], None],
                 on_reject: Callable[[str, str], None] = lambda path, reason: None,
                 window_s: float = WINDOW_S, grace_s: float = REJECT_GRACE_S, poll_s: float = POLL_S,
                 max_model_bytes: int = MAX_MODEL_BYTES, batch: int = DEFAULT_BATCH, scan_existing: bool = False,
                 known_models: Mapping[Path | str, str] | None = None, last_model_file: Path | None = None,
                 observer_factory: Callable[[], object] = Observer, polling_s: float = POLLING_S,
                 folder_check_s: float = FOLDER_CHECK_S, clock: Callable[[], float] = time.monotonic):
        self.models_dir = Path(models_dir).absolute()
        self._explicit_show = Path(show_path).absolute() if show_path is not None else None
        self._show_folder = Path(show_folder).absolute()
        self.show_path = resolve_show_path(self._explicit_show, self._show_folder)
        self._on_model, self._on_show, self._on_reject = on_model, on_show, on_reject
        self._files = StableFiles(window_s)
        self._grace_s, self._poll_s, self._clock = grace_s, poll_s, clock
        self._max_bytes, self._batch, self._scan = max_model_bytes, batch, scan_existing
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._held: dict[str, tuple[Stat, str, float]] = {}  # path -> (version, reason, report at)
        self._show_version: tuple[Path, Stat | None] | None = None  # the show last handed over
        # path -> sha256 of the bytes last delivered (or played from the start) under that name
        self._delivered = {str(Path(p).absolute()): sha for p, sha in (known_models or {}).items()}
        self._last_model_file = last_model_file
        self._folder_check_s, self._next_folder_check = folder_check_s, 0.0
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._watcher = FolderWatcher(_Handler(self._events), observer_factory=observer_factory,
                                      polling_s=polling_s)
        self.counts: Counter = Counter()  # models, unchanged, shows, rejected, ignored

    @property
    def mode(self) -> str:
        """How the folders are watched: "inotify", "polling (why)", or "off (why)"; for the health state."""
        return self._watcher.mode

    # -- lifetime ----------------------------------------------------------------------------------
    def start(self) -> "Reloader":
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self._watcher.start(self._folders())
        self._next_folder_check = self._clock() + self._folder_check_s
        if self._scan:
            self._scan_models(self._clock())
        self._worker = threading.Thread(target=self._work, name="aimoji-reload", daemon=True)
        self._worker.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._events.put(None)
        if self._worker is not None:  # first: it may be re-scheduling a watch
            self._worker.join(timeout_s)
        self._watcher.stop(timeout_s)

    def __enter__(self) -> "Reloader":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _show_folders(self) -> set[Path]:
        folders = {self.show_path.parent, self._show_folder}
        if self._explicit_show is not None:
            folders = {self._explicit_show.parent}
        target = self.show_path.resolve()
        return folders | {target.parent}  # a symlinked show may live elsewhere

    def _folders(self) -> list[Path]:
        return sorted(self._show_folders() | {self.models_dir})

    def _scan_models(self, now: float) -> None:
        """Every model in models_dir as if it had just arrived, oldest first so the newest ends 'latest'."""
        def mtime(path: Path) -> int:
            stat = stat_of(str(path))
            return stat.mtime_ns if stat else 0
        for path in sorted(self.models_dir.glob("*.onnx"), key=mtime):
            if watched_kind(path) == "onnx":
                self._files.observe(str(path), stat_of(str(path)), now)

    # -- the worker --------------------------------------------------------------------------------
    def _work(self) -> None:
        lower_this_thread()   # loading and probing a model must never take a core from the render loop
        while not self._stop.is_set():
            busy = self._files.pending() or self._held
            try:
                item = self._events.get(timeout=self._poll_s if busy else 1.0)
                while item is not None:
                    self._on_event(*item)
                    item = self._events.get_nowait()
            except queue.Empty:
                pass
            if self._stop.is_set():
                return
            try:
                self._step()
                if self._clock() >= self._next_folder_check:
                    self._next_folder_check = self._clock() + self._folder_check_s
                    self._check_folders()
            except Exception:  # a bug here must not end hot reload for the rest of the night
                log.exception("reload worker: unexpected error (continuing)")

    def _check_folders(self) -> None:
        fresh = self._watcher.check(self._folders())
        now = self._clock()
        if self.models_dir in fresh:
            self._scan_models(now)
        if fresh and self._explicit_show is None:
            self._follow_active(now)
        if {self.show_path.parent, self.show_path.resolve().parent} & set(fresh):
            self._files.forget(str(self.show_path))
            self._files.observe(str(self.show_path), stat_of(str(self.show_path)), now)

    def _on_event(self, kind: str, src: str, dest: str) -> None:
        now = self._clock()
        if kind == "folder_gone":
            # A new folder may get the old one's inode number, so the identity check alone could miss
            # the swap: forget the watch and check at once.
            if self._watcher.forget(Path(src)):
                self._next_folder_check = now
            return
        if kind in ("moved", "deleted"):
            self._delivered.pop(src, None)  # put back later, the same bytes are an arrival again
        if kind == "moved":
            self._files.observe(src, None, now)
            if watched_kind(dest):
                self._files.arrived_whole(dest, stat_of(dest), now)
        elif watched_kind(src):
            self._files.observe(src, None if kind == "deleted" else stat_of(src), now)
        if kind in ("moved", "deleted", "created") and self._explicit_show is None:
            self._follow_active(now)

    def _follow_active(self, now: float) -> None:
        # active.toml created, removed or re-pointed: the show to play may now be another file.
        current = resolve_show_path(None, self._show_folder)
        if current != self.show_path:
            self.show_path = current
            self._files.forget(str(current))
            self._files.arrived_whole(str(current), stat_of(str(current)), now)

    def _step(self) -> None:
        now = self._clock()
        for path in self._files.pending():
            self._files.observe(path, stat_of(path), now)
        for path, stat in self._files.ready():
            self._held.pop(path, None)
            self._handle(path, stat)
        for path, (stat, reason, report_at) in list(self._held.items()):
            if stat_of(path) != stat:
                del self._held[path]  # it changed after all: its new version is being watched
            elif self._clock() >= report_at:
                del self._held[path]
                self._reject(path, reason)

    def _handle(self, path: str, stat: Stat) -> None:
        kind = watched_kind(path)
        if kind == "onnx" and Path(path).parent == self.models_dir:
            try:
                model = load(path, max_bytes=self._max_bytes, batch=self._batch)
            except ModelError as exc:
                self._hold(path, stat, exc.reason)
                return
            if self._delivered.get(path) == model.sha256:
                self.counts["unchanged"] += 1
                log.info("%s: rewritten with the same bytes (sha256 %s...); not a new model, not delivered "
                         "again", path, model.sha256[:12])
                return
            self._delivered[path] = model.sha256
            self.counts["models"] += 1
            log.info("%s: new model (%.0f ms)", path, model.load_ms + model.probe_ms)
            self._on_model(model.name, model)
            self._remember(path, model.sha256)
        elif kind == "toml" and self._is_current_show(path):
            version = (self.show_path.resolve(), stat_of(str(self.show_path)))
            if version == self._show_version:
                return  # the same file seen through active.toml and through its own name
            try:
                show = load_show(self.show_path)
            except ShowError as exc:
                self._hold(path, stat, "; ".join(p.removeprefix(f"{self.show_path}: ") for p in exc.problems))
                return
            self._show_version = version
            self.counts["shows"] += 1
            log.info("%s: show reloaded ('%s')", self.show_path, show.title)
            self._on_show(show)
        else:
            self.counts["ignored"] += 1

    def _remember(self, path: str, sha256: str) -> None:
        if self._last_model_file is None:
            return
        try:
            last_model.remember(self._last_model_file, path, sha256)
        except OSError as exc:
            log.warning("%s: cannot record the model shown (%s); after a restart the newest file is "
                        "'latest' instead", self._last_model_file, exc.strerror or exc)

    def _is_current_show(self, path: str) -> bool:
        p = Path(path)
        return p == self.show_path or p.resolve() == self.show_path.resolve()

    def _hold(self, path: str, stat: Stat, reason: str) -> None:
        self._held[path] = (stat, reason, self._clock() + self._grace_s)

    def _reject(self, path: str, reason: str) -> None:
        self.counts["rejected"] += 1
        log.warning("%s: rejected: %s", path, reason)
        self._on_reject(path, reason)
