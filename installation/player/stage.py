"""The pipelines on the wall and the hand-over between them: the one shown (current), the one being
prepared until its first images are in (pending), the ones stopping in the background (retired), and
the crossfade from the last picture of one to the next. Render thread only; it never waits for a
worker: a retired pipeline stops after its current batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from installation.player.capacity import made_per_s, recast_rate

from installation.display.screen import Screen, Snapshot
from installation.player.state import GenerationFacts
from installation.player.worker import Pipeline

FILL_TIMEOUT_S = 3.0      # a scene not ready this long after it started is shown as its images arrive...
FILL_IMAGES = 3           # ...or, on a machine slow enough, after the time its model takes to make this many


class Stage:
    def __init__(self, screen: Screen, clock: Callable[[], float]):
        self.screen, self.clock = screen, clock
        self.current: Pipeline | None = None
        self.pending: Pipeline | None = None
        self.retired: list[Pipeline] = []
        self.fade_from: Snapshot | None = None
        self.fade_started = 0.0
        self.pending_since = 0.0
        self.generated_done = 0     # images made by pipelines that have stopped
        self._alone_since: float | None = None   # since when the current pipeline generates alone

    @property
    def running(self) -> tuple[Pipeline, ...]:
        return tuple(p for p in (self.current, self.pending) if p is not None)

    def model_names(self) -> tuple[str, ...]:
        return tuple(p.model_name for p in self.running)

    def generated(self) -> int:
        return self.generated_done + sum(p.generated for p in self.running)

    def facts(self, status: str, stopped: bool) -> GenerationFacts:
        """Generation as it is on the wall; `status` and `stopped` are the supervisor's word on it."""
        cur = self.current
        if cur is None:
            return GenerationFacts(status, generated=self.generated(), stopped=stopped)
        plan = cur.view.plan
        return GenerationFacts(status, cur.error, cur.degraded, round(plan.rate_hz, 1) if plan else 0.0,
                               round(cur.model.images_per_s, 1), cur.view.stale_tiles, self.generated(), stopped,
                               *((cur.worker.making_since, cur.worker.made_at) if cur.worker else ()))

    # ---- preparing and handing over ----------------------------------------------------------
    def showing(self) -> int | None:
        """The playlist index on the wall, or None (nothing yet, or a scene about to restart)."""
        current = self.current
        return current.index if current is not None and current.index >= 0 else None

    def heading_for(self, want, model, variant) -> bool:
        """Whether the wall already shows, or is preparing, playlist entry want.index on this very
        model object (a model replaced under its name is another) with these overrides."""
        target = self.pending or self.current
        return target is not None and target.index == want.index and target.model_name == want.model and \
            target.model is model and target.variant == variant

    def prepare(self, pipeline: Pipeline) -> None:
        """The pipeline to hand over to once its view is ready, laid out on the screen meanwhile."""
        if self.pending is not None:
            self.retire(self.pending)
        self.pending = pipeline
        self.pending_since = self.clock()
        pipeline.view.lay_out(self.screen)

    def pump(self, t: float, half_frame_s: float) -> None:
        """Hand both pipelines' views the frames due by walk time t."""
        for p in self.running:
            p.pump(t, half_frame_s)

    def pending_ready(self, t: float) -> bool:
        """The pending scene can draw t, its worker ahead (Pipeline.ready)."""
        return self.pending is not None and self.pending.ready(t)

    def pending_slow(self) -> bool:
        """The pending scene has waited long enough to be shown as its images arrive: FILL_TIMEOUT_S, or
        FILL_IMAGES of its model's images where they take longer (an emulated PC makes 0.5 images/s; a
        morph shown before its first image is an empty wall)."""
        if self.pending is None:
            return False
        speed = self.pending.model.images_per_s
        bound = max(FILL_TIMEOUT_S, FILL_IMAGES / speed if speed > 0 else 0.0)
        return self.clock() - self.pending_since > bound

    def hand_over(self, crossfade_s: float, shown_before: bool) -> Pipeline | None:
        """Swap the pending pipeline in atomically, fading from the picture on the wall (if a scene or a
        frame was shown before); returns the one it replaced (already retired), or None."""
        old, self.current, self.pending = self.current, self.pending, None
        if old is not None:
            self.retire(old)
        if crossfade_s > 0 and (old is not None or shown_before):
            self.fade_from = self.screen.snapshot()
            self.fade_started = self.clock()
        self.screen.clear()
        self.current.view.invalidate()
        return old

    def remeasure(self):
        """The current pipeline's model with the images/s this machine makes it now, when that no longer
        fits what the scene asks (capacity.recast_rate); None while it fits. Only batches made while
        the pipeline generated alone count (a hand-over shares the CPU for a while), timed in real
        time like the batches. The player puts that model in place of the old one, which casts the
        scene again."""
        cur = self.current
        if cur is None or cur.worker is None or cur.index == -1 or self.pending is not None or \
                any(r.alive for r in self.retired):
            self._alone_since = None
            return None
        if self._alone_since is None:
            self._alone_since = time.monotonic()
        made = made_per_s(cur.worker.batches, self._alone_since)
        rate = recast_rate(cur.view.plan.rate_hz, cur.model.images_per_s, made, cur.degraded is not None)
        if rate is None:
            return None
        self._alone_since = None
        return replace(cur.model, images_per_s=round(rate, 3))

    def restart(self) -> None:
        """Make every pipeline out of date (a new show, a stepped clock): the next frame starts anew
        and hands over with a crossfade."""
        for p in self.running:
            p.index = -1

    def retire(self, p: Pipeline) -> None:
        p.stop()  # no join here: the render loop never waits; it ends after its current batch
        self.generated_done += p.generated
        self.retired = [r for r in self.retired if r.alive] + [p]

    def clear(self) -> None:
        """Nothing on the wall (closed): every pipeline stops."""
        for p in self.running:
            self.retire(p)
        self.current = self.pending = None

    def stop(self, join_s: float) -> None:
        """At exit: stop every worker and wait for it (a thread still inside onnxruntime at interpreter
        exit aborts it)."""
        every = [*self.running, *self.retired]
        for p in every:
            p.stop()
        for p in every:
            p.join(join_s)

    # ---- drawing -----------------------------------------------------------------------------
    def draw(self, t: float, crossfade_s: float, brightness: float, frozen_at: float | None = None) -> bool:
        """The current scene at walk time t, the crossfade over it, darkened to `brightness` (a dim
        walk, a blackout); returns whether the frame shows a fresh image. Frozen (an operator's
        freeze): the picture of walk time frozen_at drawn again, an intended still, so a fresh frame."""
        if frozen_at is not None:
            self.current.view.invalidate()
            self.current.view.draw(self.screen, frozen_at)
            self.screen.darken(brightness)
            return True
        if brightness < 1 or self.fade_from is not None:
            # Repaint the margins too, or the overlay below would compound frame after frame.
            self.current.view.invalidate()
        fresh = self.current.view.draw(self.screen, t)
        if self.fade_from is not None:
            progress = (self.clock() - self.fade_started) / max(crossfade_s, 1e-6)
            if progress >= 1:
                self.fade_from = None
            else:
                self.screen.fade_in_snapshot(self.fade_from, 1 - progress)
        self.screen.darken(brightness)
        return fresh
