"""Panel care on the render thread: the show's [panel] (show/config.py Panel) applied once a frame.

The orbit's offset and the brightness level change only where the scene says the whole picture changes
anyway (its `seam`: a new walk keyframe, a replay restarting) or inside a crossfade, at most a pixel
and one step of the colour table at a time; the Screen applies both without an extra pass (a shift as it
blits, a level in its colour table). At each closing an optional refresh floods the panel white, then
black, before the outside-hours action. The light sensor is read by its own thread (AmbientSensor);
the render loop only reads the smoothed value it keeps. The maths: calibration/panel.py.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from installation.calibration import panel as care
from installation.priority import WORKER_NICE, lower_this_thread
from installation.show.config import Ambient, Panel

READ_BYTES = 64     # a sensor's reading is a short number; a longer file is not one


class AmbientSensor(threading.Thread):
    """Reads the light sensor's file every poll_s, at most READ_BYTES a time, and keeps the smoothed
    lux (`lux`, None while it cannot read) and why not (`problem`). A reading that fails is one log line
    (the brightness follows the curve alone); its coming back is another."""

    def __init__(self, ambient: Ambient, log, clock=time.monotonic):
        super().__init__(name="aimoji-ambient", daemon=True)
        self.ambient, self.log, self.clock = ambient, log, clock
        self.lux: float | None = None
        self.problem: str | None = None
        self._read_at: float | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        lower_this_thread(WORKER_NICE)
        while not self._halt.is_set():
            self.poll()
            self._halt.wait(self.ambient.poll_s)

    def stop(self) -> None:
        self._halt.set()

    def poll(self) -> None:
        """One reading, smoothed into `lux`."""
        path, now = self.ambient.path, self.clock()
        try:
            with open(path, "rb") as f:
                raw = f.read(READ_BYTES + 1)
            if len(raw) > READ_BYTES:
                raise ValueError(f"more than {READ_BYTES} bytes")
            sample = care.parse_reading(raw, self.ambient.scale)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if self.problem is None:
                self.log(f"panel: light sensor {path} unreadable ({why}); brightness follows the curve only")
            self.problem, self.lux, self._read_at = why, None, None
            return
        if self.problem is not None:
            self.log(f"panel: light sensor {path} readable again ({sample:g} lux)")
        dt = 0.0 if self._read_at is None else now - self._read_at
        self.lux, self.problem, self._read_at = care.smoothed(self.lux, sample, dt, self.ambient.smoothing_s), None, now


class PanelCare:
    """What the show's [panel] asks, once a frame (`frame`), and the facts the state reports."""

    def __init__(self, log, clock=time.monotonic):
        self.log, self.clock = log, clock
        self.panel: Panel | None = None
        self.sensor: AmbientSensor | None = None
        self._seam: tuple | None = None         # (the view, its seam) last frame
        self._screen = None                     # the screen of last frame (a display reopened makes another)
        self._was_open: bool | None = None      # None: not known yet (a start while closed is no closing)
        self._refresh_from: float | None = None
        self._zone, self._curve = ZoneInfo("UTC"), (None, 1.0)   # the curve's level, cached per second

    def frame(self, show, t: float, closed: bool, stage, screen) -> bool:
        """Panel care for the frame at walk time t (epoch seconds): True when it drew the refresh and
        nothing else is to be drawn."""
        if show.panel is not self.panel:
            self._configure(show.panel, show.timezone)
        if screen is not self._screen:
            if self._screen is not None and (self.panel.brightness or self.panel.ambient):
                stage.restart()   # the workers hold the old screen's colour table: recast on the new one
            self._screen = screen
        colour = self._refresh(closed, self.clock())
        if colour is not None:
            screen.flood(colour)
            return True
        view = stage.current.view if stage.current is not None else None
        seam = (view, view.seam(t)) if view is not None else None
        safe, self._seam = seam != self._seam or stage.fade_from is not None, seam
        if view is None or not safe:
            return False
        orbit = self.panel.orbit
        shift = care.step_towards(screen.shift, care.orbit(t, orbit.amplitude_px, orbit.period_s)
                                  if orbit else (0, 0))
        # On a screen of its own a morph's image keeps the orbit's amplitude off the frame's edges, so
        # shifted it stays on the picture (and is scaled straight into the display: docs/player.md,
        # "4K"). Not on a wall: each PC's image would shrink about its own centre and the seams would
        # no longer meet.
        inset = orbit.amplitude_px if orbit and show.wall is None else 0
        level = self.level(t)
        level = level if abs(level - screen.level) >= care.LEVEL_STEP else screen.level   # a step or none
        if shift != screen.shift or level != screen.level or inset != screen.inset:
            screen.care(shift, level, inset)
            view.invalidate()   # the picture is repainted: a view that keeps parts of it (a grid's tiles
            # between their turns) draws it all again
        return False

    def level(self, t: float) -> float:
        """The brightness wanted at walk time t: the curve's level (the venue's time of day) times the
        light sensor's (1 without one, or while it cannot be read)."""
        second = int(t)
        if self.panel.brightness is not None and self._curve[0] != second:
            local = datetime.fromtimestamp(second, self._zone)
            minute = local.hour * 60 + local.minute + local.second / 60
            self._curve = second, care.daily_level(self.panel.brightness.minutes(), minute)
        ambient = 1.0
        if self.sensor is not None and self.sensor.lux is not None:
            ambient = care.interpolate(self.panel.ambient.points, self.sensor.lux)
        return (self._curve[1] if self.panel.brightness is not None else 1.0) * ambient

    def _refresh(self, closed: bool, now: float) -> tuple[int, int, int] | None:
        if closed and self._was_open and self.panel.refresh_s > 0:
            self._refresh_from = now
        self._was_open = not closed
        if not closed or self._refresh_from is None:
            return None
        return care.refresh_colour(now - self._refresh_from, self.panel.refresh_s)

    def _configure(self, panel: Panel, zone: str) -> None:
        """A new show's [panel]: the sensor restarts only when its own settings changed."""
        if self.sensor is not None and (panel.ambient != self.sensor.ambient):
            self.stop()
        if panel.ambient is not None and self.sensor is None:
            self.sensor = AmbientSensor(panel.ambient, self.log)
            self.sensor.start()
        self.panel, self._zone, self._curve = panel, ZoneInfo(zone), (None, 1.0)

    def facts(self, screen) -> str | None:
        """The state's one line on panel care, None when the show asks for none."""
        p = self.panel
        if p is None or (p.orbit is None and p.brightness is None and p.ambient is None and not p.refresh_s):
            return None
        sensor = self.sensor
        parts = [f"orbit {screen.shift[0]:+d},{screen.shift[1]:+d} px" if p.orbit else "",
                 f"brightness {screen.level:.2f}" if p.brightness or p.ambient else "",
                 "" if sensor is None or sensor.lux is None else f"light sensor {sensor.lux:.0f} lux",
                 "" if sensor is None or sensor.problem is None else
                 f"light sensor unreadable ({sensor.problem}): curve only",
                 f"refresh {p.refresh_s:g} s at closing" if p.refresh_s else ""]
        return "; ".join(x for x in parts if x)

    def stop(self) -> None:
        if self.sensor is not None:
            self.sensor.stop()
            self.sensor = None
