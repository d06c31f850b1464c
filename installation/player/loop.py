"""The player loop: a fixed frame rate on a monotonic clock; generation runs in worker threads.

Each frame, in order: events (other threads' messages, keys) → update (schedule, overrides, failures,
hand-over: what should be on the wall) → draw (through the Screen) → on_frame → wait → present →
count and publish. Other threads talk to the loop only through `post()` and read it through
`snapshot()` (a PlayerState) and `picture()`; service/runtime.py wires them up. The decisions live
beside it: programme.py (what plays), stage.py (hand-over and crossfades), supervision.py (failures),
capacity.py (what this machine sustains), content.py (what the picture looks like). A frame counts as
shown once it was presented.
"""

from __future__ import annotations

import logging
import queue
import sys
import time
from pathlib import Path

import pygame

from installation.model.load import DEFAULT_BATCH
from installation.paths import DEFAULT_MODEL
from installation.player import capacity
from installation.player.captures import CaptureWriter
from installation.player.content import Witness
from installation.player.controls import ControlBox
from installation.player.messages import UNCHANGED, Control, ModelReady, Quit, Rejected, Reopen, ShowReady
from installation.player.oncelog import OnceLog
from installation.player.overrides import Overrides
from installation.player.pacing import Pacer, VsyncPacer, WalkClock
from installation.player.panel_care import PanelCare
from installation.player.programme import Programme, Want
from installation.player.stage import Stage
from installation.player.state import PlayerState
from installation.player.stats import FrameStats, stats_json, venue_iso
from installation.player.supervision import Supervisor, failure
from installation.player.worker import Pipeline
from installation.scenes.morph import frame_index

START_LEAD_S = 0.05       # frame 0 is due this long after the loop starts
CLOCK_STEP_S = 1.0        # the wall clock moved this much against the monotonic one: it was stepped
INBOX_PER_FRAME = 256     # messages applied per frame at most: a burst of OSC spreads over frames


class Player:
    def __init__(self, show, models: dict, latest: str, display, *, vsync: bool = False,
                 schedule=None, calibration=None, captures_dir: Path | None = None,
                 keys: bool = False, batch: int = DEFAULT_BATCH, clock=time.monotonic, wall=time.time,
                 sleep=time.sleep, started_at: float | None = None, log=None, on_frame=None,
                 override: str = "until_released", find_model=None, screen: str | None = None):
        """models: {name: Generator}; display: a display.output Window or FramebufferDisplay, whose
        presents pace the loop when `vsync`. clock / wall / sleep: monotonic time, wall time and how to
        wait (tests hand in a fake clock's). log: one-argument function for the player's lines.
        on_frame(player): once per frame after drawing, on the render thread; must not block.
        override: how long a Control lasts (player/overrides.py). find_model(path, sha256, given_up): asks,
        without blocking, for any other valid model when one fails for good (service/reload/fallback.py).
        screen: this PC's screen on the show's [wall] (show/wall.py), checked against the show before."""
        self.display = display
        self.screen = display.screen(calibration, show.display.background_rgb)
        logger = logging.getLogger("aimoji.player")
        self.log, self.info = (log, log) if log is not None else (logger.warning, logger.info)
        self.overrides = Overrides(override)   # what operators hold, consulted by the programme
        self.programme = Programme(show, models, latest, self.overrides, schedule, say=self.info, screen=screen)
        self.models = self.programme.models     # the models held: the programme's own dict
        self.stage = Stage(self.screen, clock)
        self.supervisor, self.witness, self.stats = Supervisor(), Witness(), FrameStats()
        self.vsync, self.keys, self.captures_dir, self.batch = vsync, keys, captures_dir, batch
        self.clock, self.sleep, self.on_frame, self.walk = clock, sleep, on_frame, WalkClock(clock, wall)
        self.started_at = clock() if started_at is None else started_at
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()   # local threads: reload, signals (bounded there)
        self.controls, self.find_model = ControlBox(), find_model   # operators: the latest of each kind
        self.running, self.closed, self.model_swaps = True, False, 0
        self._say_once = OnceLog(self.log)      # one line per degraded or replaced scene
        self.link = self.clock_sync = None     # watchers: the panel's connector (display/), the clock (clocksync/)
        self.panel = PanelCare(self.log, clock)   # the show's [panel]: orbit, brightness, refresh
        self._captures: CaptureWriter | None = None
        self._state = PlayerState()
        self._publish(None)

    @property
    def show(self):
        return self.programme.show

    # ---- called from other threads -------------------------------------------------------------
    def post(self, message) -> None:
        """Queue a ModelReady / ShowReady / Rejected / Quit / Control; applied between frames."""
        (self.controls.put if isinstance(message, Control) else self.inbox.put)(message)

    def snapshot(self) -> PlayerState:
        """The facts of the last frame (replaced whole each frame: reading it needs no lock)."""
        return self._state

    def picture(self):
        """The panel as presented, small ([h, w, 3] uint8), or None before the first look: the thumbnail."""
        return self.witness.panel.image

    # ---- the loop ------------------------------------------------------------------------------
    def run(self, seconds: float | None = None, screenshot: Path | None = None) -> dict:
        # Python hands the GIL over every 5 ms by default: a worker thread busy in Python could
        # hold the render loop that long. 0.5 ms keeps the loop's wake-ups on time.
        sys.setswitchinterval(0.0005)
        fps = self.show.display.fps
        pacer = self.walk.pacer(fps, START_LEAD_S)
        pacer = VsyncPacer(fps, pacer.start - 1.0 / fps) if self.vsync else pacer
        end = None if seconds is None else self.clock() + seconds
        self.screen.clear()  # the first scene fades in from the background
        try:
            while self.running and (end is None or self.clock() < end):
                work_start = self.clock()
                pacer = self._follow_wall_clock(pacer)
                self._drain_inbox()
                self._handle_events()
                if self.show.display.fps != pacer.fps:  # a new show with another frame rate
                    pacer = Pacer(self.show.display.fps, self.clock() + 1.0 / self.show.display.fps)
                t = pacer.due() + self.walk.offset
                self._supervise()
                drawing = self.clock()
                self._update(t, pacer.period)
                fresh = self._draw(t)
                present_ms = (self.clock() - drawing) * 1000.0
                self._watch_content()
                if self.on_frame is not None:
                    self.on_frame(self)
                work_ms = (self.clock() - work_start) * 1000.0
                wait = pacer.sleep_s(self.clock())
                if wait > 0:
                    self.sleep(wait)
                self.display.present()
                self._count(pacer.advance(self.clock()), work_ms, present_ms, fresh, t)
            if screenshot is not None:
                self.screen.save_png(Path(screenshot))
        finally:
            if self._captures is not None:
                self._captures.close()
            self.stage.stop(2.0)
            self.panel.stop()
        return self.stats_dict()

    def _count(self, dropped: int, work_ms: float, present_ms: float, fresh: bool, t: float) -> None:
        shown, current = self.clock(), self.stage.current
        if self.stats.count(shown, work_ms, present_ms, dropped, fresh, emoji=current is not None,
                            open_=not self.closed, started_at=self.started_at):
            self.info(f"first frame after {self.stats.first_frame_s:.2f} s: model "
                      f"'{current.model_name}', scene '{current.view.name}'")
        self._publish(shown, frame_index(t, self.show.display.fps))

    # ---- events: other threads' messages, keys ---------------------------------------------------
    def _drain_inbox(self) -> None:
        for _ in range(INBOX_PER_FRAME):
            try:
                msg = self.inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(msg, Quit):
                self.running = False
            elif isinstance(msg, Reopen):
                self._use_display(self.display.reopened)
            elif isinstance(msg, ModelReady):
                self.programme.add_model(msg.name, msg.model, msg.latest)
                self.supervisor.forgive(msg.name)
                if msg.latest:   # one asked for by name is kept for the control that follows it
                    self._prune()
            elif isinstance(msg, ShowReady):
                waits = self.programme.receive_show(msg, self.walk.now(), bool(self.stage.current) and not self.closed)
                if waits is None:
                    self._apply_show(msg)
                else:
                    self.info(waits)
            elif isinstance(msg, Rejected):
                self.programme.rejected_files += 1  # the reloader has logged why; one line per file is enough
        for control in self.controls.take():
            self._control(control)

    def _control(self, msg: Control) -> None:
        """An operator's override (OSC, the status page); one line when it is refused."""
        was_frozen = self.overrides.frozen
        why = self.programme.control(msg, self.clock(), self.walk.now(), self.stage.showing())
        if why is not None:
            self.log(f"control from {msg.sender}: {why}; nothing changed")
        elif was_frozen and not self.overrides.frozen:
            self.witness.reset()   # moving again: health judges the picture afresh

    def _apply_show(self, msg: ShowReady) -> None:
        calibration = self.screen.calibration if msg.calibration is UNCHANGED else msg.calibration
        if not self.programme.apply_show(msg.show, calibration is self.screen.calibration, msg.cue):
            return  # the same show again (a SIGHUP after the watcher had it): nothing to cross-fade
        self.screen.configure(calibration=calibration, background=msg.show.display.background_rgb)
        self.stage.restart()   # a hand-over (with crossfade) to the new show
        self._prune()

    def _use_display(self, open_it) -> None:
        """A display opened anew (the F key, a panel back): drawn on from the next frame, whole."""
        try:
            self.display = open_it()
        except pygame.error as exc:
            self.log(f"display: cannot open it again ({exc}); drawing on the one there is")
            return
        self.vsync = self.display.vsync
        self.screen = self.stage.screen = self.display.screen(self.screen.calibration, self.screen.show_background)
        if self.stage.current is not None:  # a new, blank screen: background and margins again
            self.stage.current.view.invalidate()

    def _prune(self) -> None:
        self.programme.prune(self.stage.model_names(), next(iter(self.supervisor.worked), None))

    def _handle_events(self) -> None:
        """Window close always quits; F / S / Esc / Q only when keys are enabled (show or --windowed)."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.running = False
            elif event.type == pygame.KEYDOWN and self.keys:
                if event.key in (pygame.K_ESCAPE, pygame.K_q):
                    self.running = False
                elif event.key == pygame.K_f:
                    self._use_display(self.display.toggled)
                elif event.key == pygame.K_s and self.captures_dir is not None:
                    self._captures = self._captures or CaptureWriter(Path(self.captures_dir))
                    self._captures.capture(self.screen, self.stage.current.view if self.stage.current else None)

    # ---- update: what should be on the wall -------------------------------------------------------
    def _follow_wall_clock(self, pacer):
        """A stepped wall clock (NTP, RTC, resume): walk and schedule follow it, the scene restarts under a
        crossfade (the picture jumps to another part of the walk); pacing stays monotonic."""
        step = self.walk.follow(CLOCK_STEP_S)
        if step is None:
            return pacer
        self.log(f"wall clock stepped by {step:+.1f} s; walk and schedule follow it")
        self.programme.forget_schedule()
        self.stage.restart()
        return pacer if isinstance(pacer, VsyncPacer) else self.walk.pacer(pacer.fps, 0.0)

    def _supervise(self) -> None:
        """A worker that failed is restarted with back-off; a model that keeps failing is given up for
        the one that last worked (then the shipped default). One log line per decision."""
        now = self.clock()
        for p in self.stage.running:
            why = failure(p.error, p is self.stage.current, self.witness.generated.flat_since, now)
            if p.index == -1 or why is None:
                continue
            others = [n for n in self.models if n != p.model_name]
            response = self.supervisor.handle(p.model_name, why, now, others, DEFAULT_MODEL, self.programme.latest)
            self.programme.latest = response.instead or self.programme.latest
            self.log(f"{p.model.path}: {response.status}")
            if response.gave_up and response.instead is None and self.find_model is not None:
                self.find_model(p.model.path, p.model.sha256, frozenset(self.supervisor.broken))
            self.stage.retire(p)
            p.index = -1           # the view keeps drawing its last image until the restart
            if p is self.stage.current:
                self.witness.reset()

    def _update(self, t: float, period: float) -> None:
        """The schedule and the overrides at walk time t; a new pipeline when the wall should show
        something else; the hand-over once it is ready."""
        due = self.programme.due_show(t)
        if due is not None:
            self._apply_show(due)
        index = self.programme.scene_at(t)
        for kind, by in self.overrides.tick(self.clock(), t, self.programme.showing[1], self.show.max_override_s):
            self.info(f"override '{kind}' by {by} lapsed after {self.show.max_override_s:g} s (max_override_s)")
        self.closed = index is None
        if self.closed and self.show.outside_hours.action != "dim":
            self.stage.clear()
            return
        if self.overrides.frozen and self.stage.current is not None:
            return   # a freeze: nothing new is pulled
        want = self.programme.want(t, self.closed, self.supervisor.broken)
        heading = self.stage.heading_for(want, self.models.get(want.model), self.overrides.variant)
        if not heading and self.supervisor.may_start(self.clock()):
            self._start(want)
        self.stage.pump(t, period / 2)
        slow = self.stage.pending_slow()
        if slow:
            name = self.stage.pending.view.name
            self._say_once(("slow", name), f"scene '{name}' is slow to fill; showing it as its images arrive")
        if slow or self.stage.pending_ready(t):
            self._hand_over()

    def _start(self, want: Want) -> None:
        model = self.models[want.model]
        cast = capacity.cast(want, model, self.show.display, self.screen.colour, lambda: self.screen)
        if cast.unavailable is not None:
            self._say_once(("unavailable", want.index, want.model), cast.unavailable)
        if cast.degraded is not None:
            self._say_once(("degraded", want.index, cast.view.name, id(model)), cast.degraded)
        self.stage.prepare(Pipeline(want.index, want.model, model, cast.view, self.walk.now,
                                    capacity.sustainable_batch(self.batch, model.images_per_s),
                                    self.screen.colour, self.overrides.variant, cast.degraded, cast.enlarge))
        self.supervisor.started(want.model, self.stage.pending_since)

    def _hand_over(self) -> None:
        old = self.stage.hand_over(self.show.transitions.crossfade_s, shown_before=self.stats.frames > 0)
        current = self.stage.current
        if old is not None and old.model.sha256 != current.model.sha256:   # not a re-cast of the same model
            self.model_swaps += 1
            self.info(f"now showing model '{current.model_name}' (scene '{current.view.name}')")
        self.witness.reset()
        self.supervisor.shown(current.model_name)

    # ---- draw ------------------------------------------------------------------------------------
    def _draw(self, t: float) -> bool:
        """The frame for walk time t; whether it shows a fresh image. Dimmed: a dim walk, a blackout."""
        if self.panel.frame(self.show, t, self.closed, self.stage, self.screen):
            return False   # panel care's refresh at closing
        if self.stage.current is None:   # starting, or closed without a dim walk (the stage is cleared): black
            if self.closed:
                self.screen.flood()
            return False
        dim = self.show.outside_hours.dim_level if self.closed else 1.0
        return self.stage.draw(t, self.show.transitions.crossfade_s, dim * (1.0 - self.overrides.black_level(
            self.clock())), frozen_at=self.overrides.frozen_at)

    # ---- health: the picture, and what others read -----------------------------------------------
    def _watch_content(self) -> None:
        now, current = self.clock(), self.stage.current
        if self.witness.look(self.screen, current.view if current else None, now) and current:
            self.supervisor.running(current.model_name, now)
            if self.show.wall is None and (slower := self.stage.remeasure()) is not None:   # a wall keeps its rate
                self.models[current.model_name] = slower

    def _publish(self, shown: float | None, number: int | None = None) -> None:
        """The state other threads read, after frame `number` (the wall's, scenes/morph.py frame_index)
        was shown at monotonic time `shown` (None before the first)."""
        cur, programme, overrides = self.stage.current, self.programme, self.overrides
        self._state = PlayerState(
            activity="closed" if self.closed else ("playing" if cur else "starting"),
            uptime_s=round(self.clock() - self.started_at, 3), show=self.show.title, timezone=self.show.timezone,
            scene=cur.view.name if cur else ("closed" if self.closed else None), pending=programme.pending(),
            **programme.walk_facts(self.stage.showing()),
            model=cur.model_name if cur else None, open=not self.closed,
            outside_action=self.show.outside_hours.action, next_change=venue_iso(programme.showing[1], self.show.timezone),
            playlist=tuple(e.scene for e in self.show.playlist), models=programme.names,
            calibrated=self.screen.calibration is not None, panel=self.panel.facts(self.screen),
            model_swaps=self.model_swaps, display=self.link.state if self.link else None,
            clock=self.clock_sync.state if self.clock_sync else None,
            rejected_files=programme.rejected_files, overrides=programme.held(self.clock(), self.walk.now()),
            frames=self.stats.facts(self.show.display.fps, shown, number),
            # a freeze or a blackout is a still or black wall on purpose
            picture=self.witness.panel.facts(cur.view.still_s if cur else 0.0,
                                             overrides.frozen or overrides.blackout is not None, self.screen.on_panel),
            generation=self.stage.facts(self.supervisor.status, self.supervisor.stopped))

    def stats_dict(self) -> dict:
        """What `--stats-json` and the benchmarks get at exit."""
        return stats_json(self.stats, self._state)
