"""The player loop: a fixed frame rate on a monotonic clock; generation runs in a worker thread.

Order each frame: commands → events → schedule/overrides/hand-over → draw → on_frame → (wait) → present
→ count. Other threads talk to the loop only through `post()` (hot reload, signals, OSC) and read it through
`snapshot()` (health file, systemd watchdog); installation/service/runtime.py wires them up.
Scenes draw through the player's Screen (display/screen.py), which owns the surface and calibration; the
display (display/output.py: an SDL window or the framebuffer in software) presents it. A frame counts as
shown once it was presented.
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

from installation.model.load import DEFAULT_BATCH
from installation.paths import DEFAULT_MODEL
from installation.player.captures import CaptureWriter, save_png
from installation.player.content import ContentWatch
from installation.player.messages import UNCHANGED, Control, ModelReady, Quit, Rejected, ShowReady
from installation.player.overrides import Overrides
from installation.player.pacing import Pacer, VsyncPacer, aligned_start
from installation.display.screen import Screen
from installation.player.stats import FrameStats, local_iso
from installation.player.supervision import Supervisor
from installation.player.worker import Pipeline
from installation.scenes.base import SceneUnavailable
from installation.scenes.factory import make_view, walk_for
from installation.scenes.layout import parse_colour
from installation.scenes.morph import frames_per_image_within
from installation.show.config import MorphScene
from installation.show.schedule import schedule_hook

START_LEAD_S = 0.05       # frame 0 is due this long after the loop starts
CLOCK_STEP_S = 1.0        # the wall clock moved this much against the monotonic one: it was stepped
CONTENT_EVERY_S = 0.25    # how often the picture on screen is looked at (health)
GENERATION_SHARE = 0.75   # of the images/s measured at load that a scene may ask for (the loop needs CPU too)
BATCH_LATENCY_S = 1.0     # the longest a batch of images may take: an image waits for its whole batch
FILL_TIMEOUT_S = 3.0      # a scene not ready this long after it started is shown as its images arrive
BLANK_S = 1.0             # generated pictures one flat colour this long: the model is failing (NaN, ...)
INBOX_PER_FRAME = 256     # messages applied per frame at most: a burst of OSC spreads over frames


def sustainable_batch(batch: int, images_per_s: float) -> int:
    """The batch this machine can make within BATCH_LATENCY_S: on a slow one (an emulated CPU makes 0.5
    images/s) a batch of 8 arrives 16 s after it was asked for, its images already in the past, and the
    wall holds a still picture meanwhile; one image at a time arrives in 2 s."""
    if images_per_s <= 0:
        return batch
    return max(1, min(batch, int(images_per_s * BATCH_LATENCY_S)))


class Player:
    def __init__(self, show, models: dict, latest: str, display, *, vsync: bool = False,
                 schedule=None, calibration=None, captures_dir: Path | None = None,
                 keys: bool = False, batch: int = DEFAULT_BATCH, clock=time.monotonic, wall=time.time,
                 started_at: float | None = None, log=None, on_frame=None, override: str = "until_released"):
        """models: {name: model.load.Generator}. display: a display.output Window or FramebufferDisplay.
        vsync: the display's presents pace the loop (display.probe_vsync). calibration: a
        calibration.apply.Calibration or None.
        log: a one-argument function for the player's lines (default: the 'aimoji.player' logger).
        on_frame(player): called once per frame after drawing, on the render thread; must not block.
        override: how long a Control lasts, "until_released" or "until_next_change" (player/overrides.py)."""
        self.show, self.models, self.latest = show, dict(models), latest
        self.display = display
        self.screen = Screen(display.surface, calibration, parse_colour(show.display.background))
        self.wall = wall
        self.vsync, self.keys = vsync, keys
        self._custom_schedule = schedule
        self.schedule = schedule or schedule_hook(show)
        self._showing: tuple[int | None, float] = (None, -math.inf)  # cached (index, until)
        self.captures_dir, self.batch = captures_dir, batch
        self._captures: CaptureWriter | None = None
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
        self._retired: list[Pipeline] = []
        self._next_show: tuple[ShowReady, float] | None = None  # show_change = "next_scene": (message, due)
        self._model_names = tuple(sorted(self.models))
        self.closed = False
        self.running = True
        self.generated_done = 0
        self.model_swaps = 0
        self.rejected_files = 0
        self.content = ContentWatch()
        self._content_due = 0.0
        self.supervisor = Supervisor()
        self.generation = "ok"                 # what generation is doing, for status: ok | why not
        self._restart_at: float | None = None  # a failed scene restarts then (back-off)
        self._pending_since = 0.0
        self._said: set[tuple] = set()          # one log line per degraded or replaced scene
        self.overrides = Overrides(override)
        self._lock = threading.Lock()
        self._snap: dict = {}
        self._picture: tuple | None = None     # (small image on the wall, brightness), see picture()
        self._publish(None)

    @property
    def calibration(self):
        return self.screen.calibration

    # ---- called from other threads -------------------------------------------------------------
    def post(self, message) -> None:
        """Queue a ModelReady / ShowReady / Rejected / Quit / Control; applied between frames."""
        self.inbox.put(message)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._snap)

    def picture(self) -> tuple | None:
        """The small generated image on the wall and how bright it is shown (a dim walk, a blackout),
        as (image [H, W, 3] uint8, brightness 0..1), or None when the wall shows none. Refreshed with
        health's look at the picture (CONTENT_EVERY_S): a reference the loop stops using, never a copy
        or an encode on the render thread. The status page's thumbnail (service/thumbnail.py)."""
        return self._picture

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
                pacer = self._follow_wall_clock(pacer)
                t = pacer.due() + self.wall_offset
                self._drain_inbox()
                if self.show.display.fps != pacer.fps:  # a new show with another frame rate
                    period = 1.0 / self.show.display.fps
                    pacer = Pacer(self.show.display.fps, self.clock() + period)
                    t = pacer.due() + self.wall_offset
                self._handle_events()
                self._supervise()
                drawing = self.clock()
                fresh = self._frame(t, period)
                if self.stats.first_frame_s is not None:
                    self.stats.present_ms.append((self.clock() - drawing) * 1000.0)
                self._watch_content()
                if self.on_frame is not None:
                    self.on_frame(self)
                work_ms = (self.clock() - work_start) * 1000.0
                wait = pacer.sleep_s(self.clock())
                if wait > 0:
                    time.sleep(wait)
                self.display.present()
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
                save_png(self.screen.surface, Path(screenshot))
        finally:
            if self._captures is not None:
                self._captures.close()
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
                    self.display = self.display.toggled()
                    self.vsync = self.display.vsync
                    self.screen.configure(surface=self.display.surface, calibration=self.calibration)
                    if self.current is not None:  # a new, blank screen: background and margins again
                        self.current.view.invalidate()
                elif event.key == pygame.K_s and self.captures_dir is not None:
                    self._capture()

    def _capture(self) -> None:
        """The current emoji at generated resolution and as shown: copies handed to the capture
        thread, which encodes and writes them (never the render loop)."""
        if self._captures is None:
            self._captures = CaptureWriter(Path(self.captures_dir))
        image = self.current.view.current_image() if self.current is not None else None
        stamp = time.strftime("%Y%m%d-%H%M%S-") + f"{int(time.time() * 1000) % 1000:03d}"
        self._captures.submit(stamp, self.screen.surface.copy(), None if image is None else image.copy())

    # ---- health: the wall clock, the picture, the workers -----------------------------------------
    def _follow_wall_clock(self, pacer):
        """NTP, an RTC fixed at boot or a resume from suspend steps the wall clock: walk and schedule
        follow it within a frame; pacing stays on the monotonic clock. The picture jumps to another
        part of the walk, so the scene restarts under a crossfade instead of cutting."""
        offset = self.wall() - self.clock()
        step = offset - self.wall_offset
        if abs(step) < CLOCK_STEP_S:
            return pacer
        self.log(f"wall clock stepped by {step:+.1f} s; walk and schedule follow it")
        self.wall_offset = offset
        self._showing = (None, -math.inf)
        for p in (self.current, self.pending):   # a new walk position: hand over with a crossfade
            if p is not None:
                p.index = -1
        if isinstance(pacer, VsyncPacer):
            return pacer
        return Pacer(self.show.display.fps, aligned_start(self.clock(), offset, self.show.display.fps, 0.0))

    def _watch_content(self) -> None:
        now = self.clock()
        if now < self._content_due:
            return
        self._content_due = now + CONTENT_EVERY_S
        image = None
        if self.current is not None:   # closed with 'dim': the darkened walk is watched too
            image = self.current.view.glance()
            self.content.observe(image, now)
            self.supervisor.running(self.current.model_name, now)
        self._picture = None if image is None else (image, self._brightness(now))

    def _brightness(self, now: float) -> float:
        dim = self.show.outside_hours.dim_level if self.closed else 1.0
        return dim * (1.0 - self.overrides.black_level(now))

    def _supervise(self) -> None:
        """A worker that failed is restarted with back-off; a model that keeps failing is given up for
        the one that last worked (then the shipped default). One log line per decision."""
        now = self.clock()
        for p in (self.current, self.pending):
            if p is None or p.index == -1:
                continue
            error = p.error
            if error is None and p is self.current and self.content.flat_since is not None \
                    and now - self.content.flat_since > BLANK_S:
                error = "its pictures are one flat colour (NaN or a broken model)"
            if error is None:
                continue
            path = getattr(p.model, "path", p.model_name)
            decision = self.supervisor.failed(p.model_name, error, now)
            if decision.give_up:
                others = [n for n in self.models if n != p.model_name]
                instead = self.supervisor.fallback(others, DEFAULT_MODEL)
                if instead is None:
                    self.generation = (f"model '{p.model_name}' keeps failing ({error}) and no other "
                                       f"model is loaded; retrying in {decision.retry_in_s:g} s")
                else:
                    self.generation = f"model '{p.model_name}' failed {decision.failures} times ({error}); " \
                                      f"playing '{instead}' instead"
                    self.latest = instead
            else:
                self.generation = (f"model '{p.model_name}' failed ({error}); restarting in "
                                   f"{decision.retry_in_s:g} s (failure {decision.failures})")
            self.log(f"{path}: {self.generation}")
            self._retire(p)
            p.index = -1           # the view keeps drawing its last image until the restart
            fallback = decision.give_up and self.latest != p.model_name
            self._restart_at = now if fallback else now + decision.retry_in_s   # another model: at once
            if p is self.current:
                self.content.reset()
        if self._restart_at is not None and now >= self._restart_at:
            self._restart_at = None

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
        self.overrides.tick(self.clock(), t, self._showing[1])
        self.closed = index is None
        dim = self.closed and self.show.outside_hours.action == "dim"
        if self.closed and not dim:
            for p in (self.current, self.pending):
                if p is not None:
                    self._retire(p)
            self.current = self.pending = None
            self.screen.surface.fill((0, 0, 0))
            return False
        chosen = self.overrides.variant.scene   # an operator's scene (OSC), while open
        if dim:  # outside hours, 'dim': the first scene keeps walking, darkened
            index = 0
        elif chosen is not None and chosen < len(self.show.playlist):
            index = chosen
        if self.overrides.frozen and self.current is not None:
            return self._draw_frozen()
        model_name = self._model_for(index)
        target = self.pending or self.current
        stale = target is None or target.index != index or target.model_name != model_name or \
            target.model is not self.models.get(model_name) or target.variant != self.overrides.variant
        if stale and self._restart_at is None:
            self._start(index, model_name)
        if self.pending is not None:
            self.pending.pump(t, period / 2)
            slow = self.clock() - self._pending_since > FILL_TIMEOUT_S
            if self.pending.view.ready(t) or (slow and self._say_once(("slow", self.pending.view.name), (
                    f"scene '{self.pending.view.name}' is slow to fill; showing it as its images arrive"))):
                self._hand_over()
        if self.current is None:
            return False
        self.current.pump(t, period / 2)
        black = self.overrides.black_level(self.clock())
        if dim or self.fade_from is not None or black > 0:
            # Repaint the margins too, or the overlay below would compound frame after frame.
            self.current.view.invalidate()
        fresh = self.current.view.draw(self.screen, t)
        self._draw_fade()
        if dim:
            level = round(255 * self.show.outside_hours.dim_level)
            self.screen.surface.fill((level, level, level), special_flags=pygame.BLEND_RGB_MULT)
        self._draw_blackout(black)
        return fresh

    def _draw_frozen(self) -> bool:
        """Freeze: the picture of the moment it was frozen, drawn again; nothing new is pulled. An
        intended still, so it counts as a fresh frame (and health is told, see _publish)."""
        black = self.overrides.black_level(self.clock())
        self.current.view.invalidate()
        self.current.view.draw(self.screen, self.overrides.frozen_at)
        self._draw_blackout(black)
        return True

    def _draw_blackout(self, black: float) -> None:
        if black > 0:
            level = round(255 * (1 - black))
            self.screen.surface.fill((level, level, level), special_flags=pygame.BLEND_RGB_MULT)

    def _model_for(self, index: int) -> str:
        chosen = self.overrides.variant.model
        if chosen in self.models and chosen not in self.supervisor.broken:
            return chosen
        wanted = self.show.playlist[index].model
        if wanted in self.models and wanted not in self.supervisor.broken:
            return wanted
        return self.latest

    def _start(self, index: int, model_name: str) -> None:
        if self.pending is not None:
            self._retire(self.pending)
            self.pending = None
        model = self.models[model_name]
        display = self.show.display
        entry, every, degraded = self._sustainable(index, self.overrides.entry(self.show.playlist[index]), model)
        walk = walk_for(self.overrides.show(self.show), model.info.z_dim)
        try:
            view = make_view(entry, model, display.fps, walk, display.scale, self.screen.background,
                             colour=self.screen.colour, frames_per_image=every)
        except SceneUnavailable as exc:
            # Never an empty wall: the same model as a morph, said once.
            self._say_once(("unavailable", index, model_name),
                           f"playlist entry {index + 1}: {exc}; showing a morph of it instead")
            entry, every, degraded = self._sustainable(index, MorphScene(), model)
            view = make_view(entry, model, display.fps, walk, display.scale, self.screen.background,
                             frames_per_image=every)
        self.pending = Pipeline(index, model_name, model, view, lambda: self.clock() + self.wall_offset,
                                sustainable_batch(self.batch, getattr(model, "images_per_s", 0.0)),
                                self.screen.colour, self.overrides.variant, degraded)
        self._pending_since = self.clock()
        self.supervisor.started(model_name, self._pending_since)

    def _sustainable(self, index: int, entry, model) -> tuple[object, int, str | None]:
        """The entry as this machine can show it, the morph's displayed frames per generated image, and
        why it shows less than asked (None: as asked). The model makes images_per_s here (measured when it
        was loaded); a scene may ask GENERATION_SHARE of that. A grid asking more gets a lower tile
        rate; a morph (one image per frame) generates every k-th frame and blends between. Said once."""
        made = getattr(model, "images_per_s", 0.0)
        capacity, fps = GENERATION_SHARE * made, self.show.display.fps
        if entry.scene == "morph" and 0 < capacity < fps:
            every = frames_per_image_within(fps, capacity)
            why = (f"playlist entry {index + 1}: a morph at {fps:g} fps asks {fps:g} images/s; this machine "
                   f"makes {made:.3g} with '{model.name}': generating {fps / every:.3g}/s, blending between them")
            self._say_once(("degraded", index, entry.scene, id(model)), why)
            return entry, every, why
        if entry.scene != "grid" or capacity <= 0 or entry.cols * entry.rows * entry.tile_fps <= capacity:
            return entry, 1, None
        tile_fps = capacity / (entry.cols * entry.rows)
        why = (f"playlist entry {index + 1}: a {entry.cols}x{entry.rows} grid at {entry.tile_fps:g} Hz/tile "
               f"asks {entry.cols * entry.rows * entry.tile_fps:.0f} images/s; this machine makes "
               f"{made:.0f} with '{model.name}': showing {tile_fps:.2f} Hz/tile")
        self._say_once(("degraded", index, entry.scene, id(model)), why)
        return entry.model_copy(update={"tile_fps": tile_fps}), 1, why

    def _say_once(self, key: tuple, line: str) -> bool:
        if key not in self._said:
            self._said.add(key)
            self.log(line)
        return True

    def _hand_over(self) -> None:
        """Swap the pending pipeline in atomically; fade from the last image of the old one."""
        old, self.current, self.pending = self.current, self.pending, None
        if old is not None:
            if old.model is not self.current.model:
                self.model_swaps += 1
                self.info(f"now showing model '{self.current.model_name}' (scene '{self.current.view.name}')")
            self._retire(old)
        crossfade_s = self.show.transitions.crossfade_s
        if crossfade_s > 0 and (old is not None or self.stats.frames > 0):
            self.fade_from = self.screen.surface.copy()
            self.fade_started = self.clock()
        self.screen.clear()
        self.current.view.invalidate()
        self.content.reset()
        if self.current.model_name not in self.supervisor.failures and not self.supervisor.broken:
            self.generation = "ok"   # a fallback stays in the status until its model is replaced

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
        for _ in range(INBOX_PER_FRAME):
            try:
                msg = self.inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(msg, Quit):
                self.running = False
            elif isinstance(msg, ModelReady):
                self.models[msg.name] = msg.model   # same name, new content: scenes on it restart
                self.supervisor.forgive(msg.name)
                self.latest = msg.name   # the newest arrival is what 'latest' scenes show
                self._prune_models()
            elif isinstance(msg, ShowReady):
                self._receive_show(msg)
            elif isinstance(msg, Rejected):
                self.rejected_files += 1  # the reloader has logged why; one line per file is enough
            elif isinstance(msg, Control):
                self._control(msg)

    def _control(self, msg: Control) -> None:
        """An operator's override (OSC, the status page): checked again against what the player holds
        now, since the show or the models may have changed since that thread looked. One line when it
        is refused."""
        if msg.kind == "model" and msg.value not in self.models:
            self.log(f"control from {msg.sender}: model '{msg.value}' is not loaded; nothing changed")
            return
        showing = self._showing[0]
        if self.current is not None and self.current.index >= 0:
            showing = self.current.index
        was_frozen = self.overrides.frozen
        why = self.overrides.apply(msg, self.clock(), self.clock() + self.wall_offset, showing,
                                   len(self.show.playlist))
        if why is not None:
            self.log(f"control from {msg.sender}: {why}; nothing changed")
        elif was_frozen and not self.overrides.frozen:
            self.content.reset()   # moving again: health judges the picture afresh

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
        self.overrides.forget_scene()  # an index into the old playlist
        if self.current is not None:
            self.current.index = -1  # forces a hand-over (with crossfade) to the new show
        self._prune_models()

    def _prune_models(self) -> None:
        """Forget models nothing can play any more, so hot reload does not pile them up in memory:
        keep 'latest', those the playlist (or a show waiting for next_scene) names, and those the
        running pipelines use (a model whose file was deleted keeps playing)."""
        keep = {self.latest, DEFAULT_MODEL, *self.supervisor.worked[:1]} | {e.model for e in self.show.playlist}
        if self._next_show is not None:
            keep |= {e.model for e in self._next_show[0].show.playlist}
        keep |= {p.model_name for p in (self.current, self.pending) if p is not None}
        keep |= {self.overrides.variant.model} | {v for k, (v, _) in self.overrides.wanted.items() if k == "model"}
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
            "asked_images_per_s": round(cur.view.plan.rate_hz, 1) if cur and cur.view.plan else 0.0,
            "model_images_per_s": round(getattr(cur.model, "images_per_s", 0.0), 1) if cur else 0.0,
            "degraded": cur.degraded if cur else None,
            "worker_error": cur.error if cur else None,
            "generation": self.generation,
            "picture_changed_monotonic": self.content.changed_at,
            "picture_flat": self.content.flat,
            "picture_dark": self.content.dark,
            "still_allowed_s": getattr(cur.view, "still_s", 0.0) if cur else 0.0,
            "outside_action": self.show.outside_hours.action,
            "open": not self.closed,
            "next_change": local_iso(self._showing[1]),
            "models": list(self._model_names),
            "calibrated": self.calibration is not None,
            "playlist": [e.scene for e in self.show.playlist],
            "overrides": self.overrides.report(),
            # a freeze or a blackout is a still or black wall on purpose: health does not call it frozen
            "intended_still": self.overrides.frozen or self.overrides.blackout is not None,
        }
        with self._lock:
            self._snap = snap

    def stats_dict(self) -> dict:
        """What `--stats-json` and the benchmarks get at exit."""
        snap = self.snapshot()
        return {**self.stats.summary(), "fps_target": self.show.display.fps, "generated": self.generated(),
                "model": snap["model"], "scene": snap["scene"], "model_swaps": self.model_swaps,
                "rejected_files": self.rejected_files, "fps_measured": snap["fps"],
                "asked_images_per_s": snap["asked_images_per_s"],
                "uptime_s": snap["uptime_s"], "worker_error": snap["worker_error"]}
