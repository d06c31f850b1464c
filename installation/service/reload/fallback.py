"""When a model fails for good on the wall and the player holds nothing else to play: any valid model
it can find, loaded off the render loop at a lower CPU priority and posted like a dropped-in model.

The failure is recorded first (model/last_shown.py), so neither this search nor the next start chooses
the same bytes again; then the folder is searched by the one 'latest' rule (model/choose.py), skipping
the models given up, with the shipped default as the last resort. One line says what was found, or
that nothing was.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from installation.model import last_shown
from installation.model.choose import Chooser
from installation.model.load import Generator
from installation.priority import lower_this_thread

log = logging.getLogger("aimoji.reload")


class FallbackFinder(threading.Thread):
    """request(path, sha256, given_up) from the render loop returns at once; the search runs here, one
    at a time (a request while one runs waits for the next round; more are dropped: the answer would be
    the same). deliver(name, model) posts it (runtime: ModelReady)."""

    def __init__(self, models_dir: Path, load: Callable[[Path], Generator], deliver: Callable[[str, Generator], None],
                 record: Path | None, shipped: tuple[Path, ...] = ()):
        super().__init__(name="aimoji-fallback", daemon=True)
        self.models_dir, self.load, self.deliver = Path(models_dir), load, deliver
        self.record, self.shipped = record, shipped
        self._requests: queue.Queue = queue.Queue(maxsize=1)

    def request(self, path: Path, sha256: str, given_up: frozenset[str]) -> None:
        try:
            self._requests.put_nowait((Path(path), sha256, given_up))
        except queue.Full:
            pass

    def stop(self) -> None:
        try:
            self._requests.put(None, timeout=1.0)
        except queue.Full:
            pass
        self.join(2.0)

    def run(self) -> None:
        lower_this_thread()
        while (job := self._requests.get()) is not None:
            self.find(*job)

    def find(self, path: Path, sha256: str, given_up: frozenset[str]) -> Generator | None:
        """Record the failure, find another model, deliver it; None when there is none."""
        if self.record is not None:
            try:
                last_shown.remember_failed(self.record, path, sha256)
            except OSError as exc:
                log.warning("%s: cannot record the failed model (%s); after a restart it may be chosen again",
                            self.record, exc.strerror or exc)
        skipped: list[str] = []
        chooser = Chooser(self.models_dir, self.load, skipped.append, failed=frozenset({(path.name, sha256)}),
                          skip=given_up | {path.stem})
        try:
            model = chooser.latest(self.record, also=self.shipped)
        except LookupError as exc:
            log.error("%s: no other model to play instead (%s); the wall keeps retrying it", path,
                      "; ".join([*skipped, str(exc)]))
            return None
        log.warning("%s: failed for good; found '%s' (%s) to play instead", path, model.name, model.path)
        self.deliver(model.name, model)
        return model
