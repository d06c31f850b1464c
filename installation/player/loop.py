"""The player loop: a fixed frame rate on a monotonic clock; generation runs in a worker thread.

Order each frame: commands → events → schedule/hand-over → draw → present → on_frame → (wait) → flip
→ count.
Other threads talk to the loop only through `post()` (hot reload, signals) and read it through
`snapshot()` (health file, systemd watchdog); installation/service/runtime.py wires them up.
"""

from __future__ import annotations

import logging
import math
import queue
import sys
import threading
import time
from collections import deque
from pathlib import Path

from installation.player import screen as player_io

from installation.player import stats as player_stats
from installation.player.worker import Pipeline
from installation.player.messages import UNCHANGED, ModelReady, Quit, Rejected, ShowReady
from installation.player.pacing import FrameStats, Pacer, VsyncPacer, aligned_start
from installation.scenes import SceneUnavailable, make_view
from installation.show.schedule import schedule_hook

START_LEAD_S = 0.05   # frame 0 is due this long after the loop starts


class Player:
    def __init__(self, show, models: dict, latest: str, screen, *, vsync: bool = False,
                 schedule=None, calibration=None, captures_dir: Path | None = None,
                 keys: bool = False, fullscreen: bool = False, batch: int = 8, clock=time.monotonic, wall=time.time,
                 started_at: float | None = None, log=None, on_frame=None):
        """log: a one-argument function for the player's lines (default: the 'aimoji.player' logger).
        on_frame(player): called once per frame after drawing, on the render thread; must not block."""
        self.show, self.models, self.latest = show, dict(models), latest
        self.screen, self.vsync, self.keys, self.fullscreen = screen, vsync, keys, fullscreen
        self._custom_schedule = schedule
        self.schedule = schedule or schedule_hook(show)
        self._showing: tuple[int | None, float] = (None, -math.inf)  # cached (index, until)
        self.calibration, self.captures_dir, self.batch = calibration, captures_dir, batch
        self.clock, self.on_frame = clock, on_frame
        logger = logging.getLogger("aimoji.player")
        self.log, self.info = (log, log) if log is not None else (logger.warning, logger.info)
        self.started_at = clock() if started_at is None else started_at
        self.wall_offset = wall() - clock()   # walk time = monotonic + offset = epoch seconds
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.stats = FrameStats()
        self.current: Pipeline | None = None
        self.pending: Pipeline | None = None
        self.fade_from = None
        self.fade_started = 0.0
        self.unavailable: set[int] = set()
        self._retired: list[Pipeline] = []
        self._next_show: tuple[ShowReady, float] | None = None  # show_change = "next_scene": (message, due)
        self._view_show_cache: tuple | None = None
        self._model_names = tuple(sorted(self.models))
        self.closed = False
        self.running = True
        self.generated_done = 0
        self.model_swaps = 0
        self.rejected_files = 0
        self._shown_times: deque = deque(maxlen=121)
        self._present_ms: deque = deque(maxlen=36000)  # drawing + presenting, calibration included
        self._lock = threading.Lock()
        self._snap: dict = {}
        self._publish(None)

    # ---- called from other threads -------------------------------------------------------------
    def post(self, message) -> None:
        """Queue a ModelReady / ShowReady / Rejected / Quit; applied between frames."""
        self.inbox.put(message)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._snap)

    # ---- the loop ------------------------------------------------------------------------------
    def run(self, seconds: float | None = None, screenshot: Path | None = None) -> dict:
        import pygame

        # Python hands the GIL over every 5 ms by default: a worker thread busy in Python could
        # hold the render loop that long. 0.5 ms keeps the loop's wake-ups on time.
        sys.setswitchinterval(0.0005)
        period = 1.0 / self.show.display.fps
        start = aligned_start(self.clock(), self.wall_offset, self.show.display.fps, START_LEAD_S)
        pacer = VsyncPacer(self.show.display.fps, start - period) if self.vsync else \
            Pacer(self.show.display.fps, start)
        end = None if seconds is None else self.clock() + seconds
        player_io.clear(self)  # the first scene fades in from the background
        try:
            while self.running and (end is None or self.clock() < end):
                work_start = self.clock()
                t = pacer.due() + self.wall_offset
                self._drain_inbox()
                if self.show.display.fps != pacer.fps:  # a new show with another frame rate
                    period = 1.0 / self.show.display.fps
                    pacer = Pacer(self.show.display.fps, self.clock() + period)
                    t = pacer.due() + self.wall_offset
                player_io.handle_events(self, pygame)
                drawing = self.clock()
                fresh = self._frame(t, period)
                player_io.present(self)
                if self.stats.first_frame_s is not None:
                    self._present_ms.append((self.clock() - drawing) * 1000.0)
                if self.on_frame is not None:
                    self.on_frame(self)
                work_ms = (self.clock() - work_start) * 1000.0
                wait = pacer.sleep_s(self.clock())
                if wait > 0:
                    time.sleep(wait)
                pygame.display.flip()
                shown = self.clock()
                dropped = pacer.advance(shown)
                self._shown_times.append(shown)
                if self.current is not None and self.stats.first_frame_s is None:
                    self.stats.first_frame_s = shown - self.started_at
                    self.info(f"first frame after {self.stats.first_frame_s:.2f} s: model "
                              f"'{self.current.model_name}', scene '{self.current.view.name}'")
                if self.stats.first_frame_s is not None:  # start-up (model warm-up) is not counted
                    counting = not self.closed
                    self.stats.record(work_ms, dropped if counting else 0, dry=counting and not fresh)
                self._publish(shown)
            if screenshot is not None:
                player_io.save_capture(self, screenshot)
        finally:
            # Join the workers: a thread still inside onnxruntime at interpreter exit aborts it.
            for p in [self.current, self.pending, *self._retired]:
                if p is not None:
                    p.stop()
            for p in [self.current, self.pending, *self._retired]:
                if p is not None:
                    p.worker.join(2.0)
        return self.stats_dict()

    def _scene_at(self, t: float) -> int | None:
        """The schedule's answer, asked again only when the previous one runs out."""
        if t >= self._showing[1]:
            self._showing = self.schedule(t)
        return self._showing[0]

    def _frame(self, t: float, period: float) -> bool:
        """Schedule, hand over, draw; returns whether the frame shows a fresh image."""
        if self._next_show is not None and t >= self._next_show[1]:
            self._apply_show(self._next_show[0])
        index = self._scene_at(t)
        self.closed = index is None
        dim = self.closed and self.show.outside_hours.action == "dim"
        if self.closed and not dim:
            for p in (self.current, self.pending):
                if p is not None:
                    self._retire(p)
            self.current = self.pending = None
            self.canvas().fill((0, 0, 0))
            return False
        if dim:  # outside hours, 'dim': the first scene keeps walking, darkened
            index = 0
        model_name = self._model_for(index)
        target = self.pending or self.current
        if target is None or target.index != index or target.model_name != model_name:
            self._start(index, model_name)
        if self.pending is not None:
            self.pending.pump(t, period / 2)
            if self.pending.view.ready(t):
                self._hand_over()
        if self.current is None:
            return False
        self.current.pump(t, period / 2)
        canvas = self.canvas()
        if dim or self.fade_from is not None:
            # Repaint the margins too, or the overlay below would compound frame after frame.
            self.current.view.invalidate()
        fresh = self.current.view.draw(canvas, t, player_io.frame_blit(self))
        self._draw_fade(canvas)
        if dim:
            import pygame
            level = round(255 * self.show.outside_hours.dim_level)
            canvas.fill((level, level, level), special_flags=pygame.BLEND_RGB_MULT)
        return fresh

    def _model_for(self, index: int) -> str:
        wanted = self.show.playlist[index].model
        return wanted if wanted in self.models else self.latest

    def _start(self, index: int, model_name: str) -> None:
        if self.pending is not None:
            self._retire(self.pending)
            self.pending = None
        if index in self.unavailable:
            return
        model = self.models[model_name]
        try:
            view = make_view(self.show.playlist[index], player_io.view_show(self), model.info,
                             self.show.display.fps)
        except SceneUnavailable as exc:
            self.unavailable.add(index)
            self.log(f"playlist entry {index + 1}: {exc}; skipping it")
            return
        colour = self.calibration.apply_colour if self.calibration is not None else None
        if view.plan is None:  # the scene brings its own frames (evolution): load them off the loop
            from installation.scenes.evolution_view import OwnFramesPipeline
            self.pending = OwnFramesPipeline(index, model_name, view, colour)
            return
        self.pending = Pipeline(index, model_name, model, view, lambda: self.clock() + self.wall_offset,
                                self.batch, colour)

    def _hand_over(self) -> None:
        """Swap the pending pipeline in atomically; fade from the last image of the old one."""
        old, self.current, self.pending = self.current, self.pending, None
        if old is not None:
            if old.model_name != self.current.model_name:
                self.model_swaps += 1
                self.info(f"now showing model '{self.current.model_name}' (scene '{self.current.view.name}')")
            self._retire(old)
        crossfade_s = self.show.transitions.crossfade_s
        if crossfade_s > 0 and (old is not None or self.stats.frames > 0):
            self.fade_from = self.canvas().copy()
            self.fade_started = self.clock()
        player_io.clear(self)
        self.current.view.invalidate()

    def _retire(self, p: Pipeline) -> None:
        p.stop()  # no join here: the render loop never waits; it ends after its current batch
        self.generated_done += p.worker.generated
        self._retired = [r for r in self._retired if r.worker.is_alive()] + [p]

    def _draw_fade(self, canvas) -> None:
        if self.fade_from is None:
            return
        progress = (self.clock() - self.fade_started) / max(self.show.transitions.crossfade_s, 1e-6)
        if progress >= 1:
            self.fade_from = None
            return
        self.fade_from.set_alpha(round(255 * (1 - progress)))
        canvas.blit(self.fade_from, (0, 0))

    def canvas(self):
        """Where scenes draw: the screen (through player_io.frame_blit under a calibration geometry)."""
        return player_io.canvas(self)

    # ---- commands from other threads -----------------------------------------------------------
    def _drain_inbox(self) -> None:
        while True:
            try:
                msg = self.inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(msg, Quit):
                self.running = False
            elif isinstance(msg, ModelReady):
                from installation.model.load import as_generator
                self.models[msg.name] = as_generator(msg.model)
                self.latest = msg.name   # the newest arrival is what 'latest' scenes show
                self._prune_models()
            elif isinstance(msg, ShowReady):
                self._receive_show(msg)
            elif isinstance(msg, Rejected):
                self.rejected_files += 1  # the reloader has logged why; one line per file is enough

    def _receive_show(self, msg: ShowReady) -> None:
        """Apply a new show now, or (show_change = "next_scene") when the current scene ends: at the
        schedule's next change, or after one duration_s of the scene, whichever comes first (a
        one-scene playlist never ends by itself)."""
        from installation.model.load import as_generator
        self._next_show = None
        for name, model in msg.models:
            self.models[name] = as_generator(model)
        playing = self.current is not None and not self.closed and self._showing[0] is not None
        if msg.show.transitions.show_change == "next_scene" and playing:
            now_t = self.clock() + self.wall_offset
            scene_s = self.show.playlist[self._showing[0]].duration_s
            self._next_show = (msg, min(self._showing[1], now_t + scene_s))
            self.info(f"show '{msg.show.title}' takes over when the current scene ends "
                      f"(in {self._next_show[1] - now_t:.0f} s; show_change = next_scene)")
            return
        self._apply_show(msg)

    def _apply_show(self, msg: ShowReady) -> None:
        self._next_show = None
        calibration = self.calibration if msg.calibration is UNCHANGED else msg.calibration
        if msg.show == self.show and calibration is self.calibration:
            return  # the same show again (a SIGHUP after the watcher had it): nothing to cross-fade
        self.show, self.calibration = msg.show, calibration
        self.schedule = self._custom_schedule or schedule_hook(msg.show)
        self._showing = (None, -math.inf)
        self.unavailable.clear()
        if self.current is not None:
            self.current.index = -1  # forces a hand-over (with crossfade) to the new show
        self._prune_models()

    def _prune_models(self) -> None:
        """Forget models nothing can play any more, so hot reload does not pile them up in memory:
        keep 'latest', those the playlist (or a show waiting for next_scene) names, and those the
        running pipelines use (a model whose file was deleted keeps playing)."""
        keep = {self.latest} | {e.model for e in self.show.playlist}
        if self._next_show is not None:
            keep |= {e.model for e in self._next_show[0].show.playlist}
        keep |= {p.model_name for p in (self.current, self.pending) if p is not None}
        for name in [n for n in self.models if n not in keep]:
            del self.models[name]
        self._model_names = tuple(sorted(self.models))

    # ---- statistics ----------------------------------------------------------------------------
    def generated(self) -> int:
        live = sum(p.worker.generated for p in (self.current, self.pending) if p is not None)
        return self.generated_done + live

    def _publish(self, shown: float | None) -> None:
        snap = player_stats.snapshot_of(self, shown)
        with self._lock:
            self._snap = snap

    def stats_dict(self) -> dict:
        return player_stats.stats_of(self, self.snapshot())
