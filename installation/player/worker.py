"""The generation worker: a thread that runs the model ahead of the render loop into a bounded buffer.

A scene's plan says what to generate (requests in the order the screen will need them); the worker
batches them through the model; the render loop only takes what is due. The render loop never waits:
if the buffer runs dry it repeats the last image and counts a dropped frame.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

import numpy as np

from installation.priority import WORKER_NICE, lower_this_thread
from installation.scenes.base import Frame, Plan

BATCHES_KEPT = 64   # the generator's latest batches, timed: what capacity.made_per_s reads

class FrameBuffer:
    """Bounded, thread-safe, ordered by need time (the worker produces in that order)."""

    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self._items: deque[Frame] = deque()
        self._cond = threading.Condition()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def space(self) -> int:
        with self._cond:
            return self.capacity - len(self._items)

    def wait_for_space(self, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._items) < self.capacity, timeout_s)

    def put(self, frames: list[Frame]) -> None:
        """Add frames; never blocks (the worker asks for at most `space()` images)."""
        with self._cond:
            self._items.extend(frames)

    def holds(self, t: float) -> bool:
        """Frames needed at walk time t or later are in, or no more fit: the worker is that far ahead."""
        with self._cond:
            return len(self._items) >= self.capacity or bool(self._items) and self._items[-1].need_t >= t

    def take_due(self, t: float) -> list[Frame]:
        """Pop every frame needed by walk time t (render thread; constant time when nothing is due)."""
        out = []
        with self._cond:
            while self._items and self._items[0].need_t <= t:
                out.append(self._items.popleft())
            if out:
                self._cond.notify_all()
        return out


def buffer_capacity(rate_hz: float, lead_s: float, batch: int) -> int:
    """Enough images for lead_s of display plus one batch in flight."""
    return max(2 * batch, int(rate_hz * lead_s) + batch)


class GeneratorWorker(threading.Thread):
    """Runs `plan` through `model` into `buffer`, at most `batch` images per inference call.

    `now_t()` returns the current walk time (so a worker that fell behind skips ahead instead of
    producing frames that are already late). `colour` is applied to each small image (calibration);
    `enlarge` then makes each one's `Frame.enlarged` (display.scale 'sharp': player/capacity.py
    `enlarger`), so the render thread only scales it smoothly.
    """

    def __init__(self, model, plan: Plan, buffer: FrameBuffer, now_t: Callable[[], float],
                 batch: int = 4, colour: Callable[[np.ndarray], np.ndarray] | None = None,
                 name: str = "aimoji-generator",
                 enlarge: Callable[[np.ndarray], np.ndarray | None] | None = None):
        super().__init__(name=name, daemon=True)
        self.model, self.plan, self.buffer, self.now_t = model, plan, buffer, now_t
        self.batch = max(1, batch)
        self.colour, self.enlarge = colour, enlarge
        self.generated = 0
        self.error: str | None = None
        # (started, images, seconds) of the latest BATCHES_KEPT batches made, oldest first: a tuple replaced
        # whole, never changed in place, so the render thread reads it while this thread adds to it.
        self.batches: tuple[tuple[float, int, float], ...] = ()
        self.making_since: float | None = None   # monotonic start of the batch in the making, None when idle
        self.made_at: float | None = None        # monotonic time the last batch was put in the buffer
        self._halt = threading.Event()

    @property
    def stopped(self) -> bool:
        return self._halt.is_set()

    def stop(self, join_s: float = 0.0) -> None:
        self._halt.set()
        if join_s and self.is_alive():
            self.join(join_s)

    def run(self) -> None:
        lower_this_thread(WORKER_NICE)   # the render thread comes first when both want a core
        try:
            while not self._halt.is_set():
                if not self.buffer.wait_for_space(0.05):
                    continue
                n = min(self.batch, self.buffer.space())
                requests = self.plan.next_requests(self.now_t(), n)
                if not requests:
                    self._halt.wait(0.005)
                    continue
                started = self.making_since = time.monotonic()
                images = self.model.generate(np.stack([r.z for r in requests]))
                if self.colour is not None:
                    images = [self.colour(img) for img in images]
                enlarged = [None] * len(images) if self.enlarge is None else [self.enlarge(i) for i in images]
                self.buffer.put([Frame(r.key, r.need_t, *made) for r, *made in zip(requests, images, enlarged)])
                self.generated += len(requests)
                self.made_at = time.monotonic()
                self.batches = (*self.batches[1 - BATCHES_KEPT:], (started, len(requests), self.made_at - started))
                self.making_since = None
        except Exception as exc:  # degrade: the render loop keeps showing the last image
            self.error = f"{type(exc).__name__}: {exc}"


def generate_now(model, plan: Plan, t: float, batch: int = 16) -> list[Frame]:
    """Synchronously generate everything the plan needs up to walk time t (offline rendering)."""
    frames: list[Frame] = []
    while True:
        requests = plan.next_requests(t, batch, until_t=t)
        if not requests:
            return frames
        images = model.generate(np.stack([r.z for r in requests]))
        frames += [Frame(r.key, r.need_t, img) for r, img in zip(requests, images)]


LEAD_S = 0.5  # how far ahead of the screen the worker generates
HANDOVER_LEAD_S = 0.1   # how far ahead it must be before its scene is shown: a scene's first draw (a new
                        # 2160 px surface: 16-21 ms) took the lead of one image, and the third frame repeated


class Pipeline:
    """One playlist entry running on one model: its view and, for a scene that generates (a plan), a
    worker and the buffer between them. A scene without a plan (evolution) draws what it holds."""

    def __init__(self, index: int, model_name: str, model, view, now_t: Callable[[], float],
                 batch: int, colour=None, variant=None, degraded: str | None = None, enlarge=None):
        """variant: the operator's overrides it was built with (player/overrides.py Variant); degraded:
        why it generates less than the entry asks on this machine (one line), None when it does not;
        enlarge: the worker's per-image step for display.scale 'sharp' (player/capacity.py Cast)."""
        self.index, self.model_name, self.model, self.view = index, model_name, model, view
        self.variant, self.degraded = variant, degraded
        self.worker: GeneratorWorker | None = None
        if view.plan is not None:
            self.buffer = FrameBuffer(buffer_capacity(view.plan.rate_hz, LEAD_S, batch))
            self.worker = GeneratorWorker(model, view.plan, self.buffer, now_t, batch=batch, colour=colour,
                                          enlarge=enlarge)
            self.worker.start()

    def pump(self, t: float, half_frame_s: float) -> None:
        """Hand the view every frame due by walk time t (render thread)."""
        if self.worker is not None:
            self.view.accept(self.buffer.take_due(t + half_frame_s))

    def ready(self, t: float) -> bool:
        """The view can draw walk time t and its worker is HANDOVER_LEAD_S ahead, or will not get there:
        it has stopped (a failed model's images are shown while it restarts) or makes images slower than
        the scene shows them (shown as they arrive, as before the lead)."""
        if not self.view.ready(t):
            return False
        return self.worker is None or self.error is not None or self.buffer.holds(t + HANDOVER_LEAD_S) or \
            self._slower_than_shown()

    def _slower_than_shown(self) -> bool:
        """The worker's latest batch took longer than the screen takes to show it."""
        batches = self.worker.batches   # one read: the worker replaces the tuple whole
        if not batches:
            return False
        _, images, seconds = batches[-1]
        return images < seconds * self.view.plan.rate_hz

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def join(self, timeout_s: float) -> None:
        if self.worker is not None:
            self.worker.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    @property
    def generated(self) -> int:
        return 0 if self.worker is None else self.worker.generated

    @property
    def error(self) -> str | None:
        """Why generation stopped, or None while it runs (or for a scene that generates nothing)."""
        if self.worker is None:
            return None
        if self.worker.error is None and not self.worker.is_alive() and not self.worker.stopped:
            return "the generation thread ended"
        return self.worker.error
