"""Models an operator may name over OSC or the page although the player does not hold them: any .onnx in
the models folder. The names are listed at most every LIST_S; a model asked for is loaded here, off the
render loop at a lower CPU priority, checked like a dropped-in one, and posted with the control that
asked for it (the player holds it then, without making it 'latest')."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from installation.model.load import Generator, ModelError
from installation.player.messages import Control, ModelReady
from installation.priority import lower_this_thread
from installation.service.remote.control import Fetch

LIST_S = 2.0       # the folder's names are listed at most this often (a fader sends 50 messages a second)
WAITING = 4        # fetches waiting at most; more are refused (each one loads a model)


class Shelf(threading.Thread):
    def __init__(self, models_dir: Path, load: Callable[[Path], Generator], post: Callable[[object], None],
                 log: logging.Logger, clock: Callable[[], float] = time.monotonic):
        super().__init__(name="aimoji-shelf", daemon=True)
        self.models_dir, self.load, self.post, self.log, self.clock = Path(models_dir), load, post, log, clock
        self._names: tuple[float, tuple[str, ...]] = (-LIST_S, ())
        self._jobs: queue.Queue = queue.Queue(maxsize=WAITING)

    def names(self) -> tuple[str, ...]:
        """The .onnx files' names in the folder (without .onnx), listed at most every LIST_S."""
        at, names = self._names
        if self.clock() - at >= LIST_S:
            try:
                names = tuple(sorted(p.stem for p in self.models_dir.glob("*.onnx")
                                     if p.is_file() and not p.name.startswith(".")))
            except OSError:
                names = ()
            self._names = (self.clock(), names)
        return names

    def fetch(self, fetch: Fetch, who: str) -> str | None:
        """Load and play `fetch.name` soon; returns why not at once (too many waiting), else None."""
        try:
            self._jobs.put_nowait((fetch, who))
        except queue.Full:
            return f"model {fetch.name}: {WAITING} models are loading already; refused"
        return None

    def stop(self) -> None:
        try:
            self._jobs.put(None, timeout=1.0)
        except queue.Full:
            pass
        self.join(2.0)

    def run(self) -> None:
        lower_this_thread()
        while (job := self._jobs.get()) is not None:
            fetch, who = job
            path = self.models_dir / f"{fetch.name}.onnx"
            try:
                model = self.load(path)
            except ModelError as exc:
                self.log.warning("%s: model %s: %s; nothing changed", who, fetch.name, exc.reason)
                continue
            self.log.info("%s: model %s loaded from %s; playing it", who, fetch.name, path)
            self.post(ModelReady(fetch.name, model, latest=False))
            self.post(Control("model", fetch.name, fetch.sender))
