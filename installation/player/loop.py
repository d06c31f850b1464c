"""The player loop: a fixed frame rate on a monotonic clock; generation runs in a worker thread.

Order each frame: commands → events → schedule/hand-over → draw → on_frame → (wait) → flip → count.
Other threads talk to the loop only through `post()` (hot reload, signals) and read it through
`snapshot()` (health file, systemd watchdog); installation/service/runtime.py wires them up.
Scenes draw through the player's Screen (player/screen.py), which owns the display and calibration.
"""

from __future__ import annotations

import logging
import math
import queue
import sys
import threading
import time
from pathlib import Path

import pygame

from installation.player.display import toggle_fullscreen
from installation.player.messages import UNCHANGED, ModelReady, Quit, Rejected, ShowReady
from installation.player.pacing import Pacer, VsyncPacer, aligned_start
from installation.player.screen import Screen
from installation.player.stats import FrameStats, local_iso
from installation.player.worker import Pipeline
from installation.scenes.base import SceneUnavailable
from installation.scenes.factory import make_view, walk_for
from installation.scenes.layout import parse_colour
from installation.show.schedule import schedule_hook

START_LEAD_S = 0.05   # frame 0 is due this long after the loop starts


class Player:
    def __init__(self, show, models: dict, latest: str, surface: pygame.Surface, *, vsync: bool = False,
                 schedule=None, calibration=None, captures_dir: Path | None = None,
                 keys: bool = False, fullscreen: bool = False, batch: int = 8, clock=time.monotonic, wall=time.time,
                 started_at: float | None = None, log=None, on_frame=None):
        """models: {name: model.load.Generator}. calibration: a calibration.apply.Calibration or None.
        log: a one-argument function for the player's lines (default: the 'aimoji.player' logger).
        on_frame(player): called once per frame after drawing, on the render thread; must not block."""
        self.show, self.models, self.latest = show, dict(models), latest
        self.screen = Screen(surface, calibration, parse_colour(show.display.background))
        self.vsync, self.keys, self.fullscreen = vsync, keys, fullscreen
        self._custom_schedule = schedule
        self.schedule = schedule or schedule_hook(show)
        self._showing: tuple[int | None, float] = (None, -math.inf)  # cached (index, until)
        self.captures_dir, self.batch = captures_dir, batch
        self.clock, self.on_frame = clock, on_frame
        logger = logging.getLogger("aimoji.player")
        self.log, self.info = (log, log) if log is not None else (logger.warning, logger.info)
        self.started_at = clock() if started_at is None else started_at
        self.wall_offset = wall() - clock()   # walk time = monotonic + offset = epoch seconds
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.stats = FrameStats()
        self.current: Pipeline | None = None
        self.pending: Pipeline | None = None
        self.fade_from: pygame.Surface | None = None
        self.fade_started = 0.0
        self.unavailable: set[int] = set()
        self._retired: list[Pipeline] = []
        self._next_show: tuple[ShowReady, float] | None = None  # show_change = "next_scene": (message, due)
        self._model_names = tuple(sorted(self.models))
        self.closed = False
        self.running = True
        self.generated_done = 0
        self.model_swaps = 0
        self.rejected_files = 0
        self._lock = threading.Lock()
        self._snap: dict = {}
        self._publish(None)

    @property
    def calibration(self):
        return self.screen.calibration

    # ---- called from other threads -------------------------------------------------------------
    def post(self, message) -> None:
        """Queue a ModelReady / ShowReady / Rejected / Quit; applied between frames."""
        self.inbox.put(message)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._snap)

    # ---- the loop ------------------------------------------------------------------------------
    def run(self, seconds: float | None = None, screenshot: Path | None = None) -> dict:
        # Python hands the GIL over every 5 ms by default: a worker thread busy in Python could
        # hold the render loop that long. 0.5 ms keeps the loop's wake-ups on time.
        sys.setswitchinterval(0.0005)
        period = 1.0 / self.show.display.fps
        start = aligned_start(self.clock(), self.wall_offset, self.show.display.fps, START_LEAD_S)
        pacer = VsyncPacer(self.show.display.fps, start - period) if self.vsync else \
            Pacer(self.show.display.fps, start)
        end = None if seconds is None else self.clock() + seconds
        self.screen.clear()  # the first scene fades in from the background
        try:
            while self.running and (end is None or self.clock() < end):
                work_start = self.clock()
                t = pacer.due() + self.wall_offset
                self._drain_inbox()
                if self.show.display.fps != pacer.fps:  # a new show with another frame rate
                    period = 1.0 / self.show.display.fps
                    pacer = Pacer(self.show.display.fps, self.clock() + period)
                    t = pacer.due() + self.wall_offset
                self._handle_events()
                drawing = self.clock()
                fresh = self._frame(t, period)
                if self.stats.first_frame_s is not None:
                    self.stats.present_ms.append((self.clock() - drawing) * 1000.0)
                if self.on_frame is not None:
                    self.on_frame(self)
                work_ms = (self.clock() - work_start) * 1000.0
                wait = pacer.sleep_s(self.clock())
                if wait > 0:
                    time.sleep(wait)
                pygame.display.flip()
                shown = self.clock()
                dropped = pacer.advance(shown)
                self.stats.shown.append(shown)
                if self.current is not None and self.stats.first_frame_s is None:
                    self.stats.first_frame_s = shown - self.started_at
                    self.info(f"first frame after {self.stats.first_frame_s:.2f} s: model "
                              f"'{self.current.model_name}', scene '{self.current.view.name}'")
                if self.stats.first_frame_s is not None:  # start-up (model warm-up) is not counted
                    counting = not self.closed
                    self.stats.record(work_ms, dropped if counting else 0, dry=counting and not fresh)
                self._publish(shown)
            if screenshot is not None:
                self.screen.save_png(Path(screenshot))
        finally:
            # Join the workers: a thread still inside onnxruntime at interpreter exit aborts it.
            running = [p for p in [self.current, self.pending, *self._retired] if p is not None]
            for p in running:
                p.stop()
            for p in running:
                p.join(2.0)
        return self.stats_dict()

    def _handle_events(self) -> None:
        """Window close always quits; F / S / Esc / Q only when keys are enabled (show or --windowed)."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
            elif event.type == pygame.KEYDOWN and self.keys:
                if event.key in (pygame.K_ESCAPE, pygame.K_q):
                    self.running = False
                elif event.key == pygame.K_f:
                    surface, self.vsync = toggle_fullscreen(self.screen.surface.get_size(), self.fullscreen)
                    self.fullscreen = not self.fullscreen
                    self.screen.configure(surface=surface, calibration=self.calibration)
                    if self.current is not None:  # a new, blank screen: background and margins again
                        self.current.view.invalidate()
                elif event.key == pygame.K_s and self.captures_dir is not None:
                    self._save_emoji(Path(self.captures_dir))

    def _save_emoji(self, folder: Path) -> None:
        """The current emoji at generated resolution and as shown, as timestamped PNGs."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        saved = []
        image = self.current.view.current_image() if self.current is not None else None
        if image is not None:
            saved.append(self.screen.save_png(folder / f"aimoji-{stamp}-small.png", image))
        saved.append(self.screen.save_png(folder / f"aimoji-{stamp}-screen.png"))
        self.info("saved " + ", ".join(str(p) for p in saved))

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
            self.screen.surface.fill((0, 0, 0))
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
        if dim or self.fade_from is not None:
            # Repaint the margins too, or the overlay below would compound frame after frame.
            self.current.view.invalidate()
        fresh = self.current.view.draw(self.screen, t)
        self._draw_fade()
        if dim:
            level = round(255 * self.show.outside_hours.dim_level)
            self.screen.surface.fill((level, level, level), special_flags=pygame.BLEND_RGB_MULT)
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
        display = self.show.display
        try:
            view = make_view(self.show.playlist[index], model, display.fps, walk_for(self.show, model.info.z_dim),
                             display.scale, self.screen.background, colour=self.screen.colour)
        except SceneUnavailable as exc:
            self.unavailable.add(index)
            self.log(f"playlist entry {index + 1}: {exc}; skipping it")
            return
        self.pending = Pipeline(index, model_name, model, view, lambda: self.clock() + self.wall_offset,
                                self.batch, self.screen.colour)

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
            self.fade_from = self.screen.surface.copy()
            self.fade_started = self.clock()
        self.screen.clear()
        self.current.view.invalidate()

    def _retire(self, p: Pipeline) -> None:
        p.stop()  # no join here: the render loop never waits; it ends after its current batch
        self.generated_done += p.generated
        self._retired = [r for r in self._retired if r.alive] + [p]

    def _draw_fade(self) -> None:
        if self.fade_from is None:
            return
        progress = (self.clock() - self.fade_started) / max(self.show.transitions.crossfade_s, 1e-6)
        if progress >= 1:
            self.fade_from = None
            return
        self.fade_from.set_alpha(round(255 * (1 - progress)))
        self.screen.surface.blit(self.fade_from, (0, 0))

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
                self.models[msg.name] = msg.model
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
        self._next_show = None
        self.models.update(dict(msg.models))
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
        self.show = msg.show
        self.screen.configure(calibration=calibration, background=parse_colour(msg.show.display.background))
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

    # ---- reports -------------------------------------------------------------------------------
    def generated(self) -> int:
        live = sum(p.generated for p in (self.current, self.pending) if p is not None)
        return self.generated_done + live

    def _publish(self, shown: float | None) -> None:
        """The state other threads read (health file, systemd STATUS), after a frame shown at
        monotonic time `shown` (None before the first)."""
        cur = self.current
        snap = {
            "uptime_s": round(self.clock() - self.started_at, 3),
            "fps": round(self.stats.fps(), 2),
            "fps_target": self.show.display.fps,
            "frames": self.stats.frames,
            "dropped_frames": self.stats.dropped_frames,
            "generated": self.generated(),
            "model": cur.model_name if cur else None,
            "scene": cur.view.name if cur else ("closed" if self.closed else None),
            "show": self.show.title,
            "state": "closed" if self.closed else ("playing" if cur else "starting"),
            "last_frame_monotonic": shown,
            "model_swaps": self.model_swaps,
            "rejected_files": self.rejected_files,
            "stale_tiles": cur.view.stale_tiles if cur else 0,
            "worker_error": cur.error if cur else None,
            "open": not self.closed,
            "next_change": local_iso(self._showing[1]),
            "models": list(self._model_names),
            "calibrated": self.calibration is not None,
        }
        with self._lock:
            self._snap = snap

    def stats_dict(self) -> dict:
        """What `--stats-json` and the benchmarks get at exit."""
        snap = self.snapshot()
        return {**self.stats.summary(), "fps_target": self.show.display.fps, "generated": self.generated(),
                "model": snap["model"], "scene": snap["scene"], "model_swaps": self.model_swaps,
                "rejected_files": self.rejected_files, "fps_measured": snap["fps"],
                "uptime_s": snap["uptime_s"], "worker_error": snap["worker_error"]}
