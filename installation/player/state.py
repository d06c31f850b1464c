"""What the player publishes about itself once per frame, for the threads that report on it: health's
verdict and the systemd watchdog (service/health/), the state file and `aimoji status`, /metrics,
the status page and OSC/HTTP control. One frozen value, replaced whole each frame, so a reader on
another thread always sees one consistent frame's facts. Plain data: JSON only where the state file
is written (service/health/report.py).

Monotonic times are CLOCK_MONOTONIC seconds (shared by every process of one boot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from installation.clocksync.readings import ClockSync
from installation.display.connector import DisplayLink

Activity = Literal["starting", "playing", "closed"]


@dataclass(frozen=True)
class Override:
    """One thing an operator holds (OSC, the status page), as people say it: a scene counted from 1,
    a blackout as {"on": true, "fade_s": 2}."""
    value: Any
    by: str                     # who: OSC 'host:port', 'http host'
    until: str | None = None    # local ISO time it lapses by itself (the show's max_override_s), or None


@dataclass(frozen=True)
class Pending:
    """A show waiting to take over (show_change = "next_scene"): an edit, or an operator's cue."""
    show: str                   # its title
    at: str | None              # the venue's local ISO time it takes over
    cue: Override | None = None  # who cued it, when it is a cue


@dataclass(frozen=True)
class FrameFacts:
    shown: int = 0                          # frames presented since the first emoji (start-up not counted)
    dropped: int = 0                        # frames due but not shown in time while open
    fps: float = 0.0                        # measured over the last two seconds
    target_fps: float = 0.0                 # the show's
    last_monotonic: float | None = None     # when the last frame was presented; None before the first
    dropped_share: float = 0.0              # of the frame slots in the last few seconds, those dropped
    work_s_buckets: tuple[int, ...] = ()    # frames whose work took <= player/stats.py FRAME_BUCKETS_S[i] (cumulative)
    work_s_sum: float = 0.0                 # the seconds of work of all frames counted
    number: int | None = None               # the last frame's number, floor(wall time x fps): the same on every PC of a wall


@dataclass(frozen=True)
class PictureFacts:
    """What is on the panel: the frame as presented, calibration and all (player/content.py)."""
    changed_monotonic: float | None = None  # when the picture last changed; None: nothing seen yet
    flat: bool = False                      # one flat colour
    dark: bool = False                      # black
    still_allowed_s: float = 0.0            # stillness the scene intends (evolution's held face)
    intended_still: bool = False            # an operator froze or blacked out the wall
    on_panel: float = 1.0                   # the share of the picture the calibration's geometry leaves on the panel


@dataclass(frozen=True)
class GenerationFacts:
    status: str = "ok"                      # 'ok', or what went wrong and what the player does about it
    error: str | None = None                # why the generator on the wall stopped, if it did
    degraded: str | None = None             # why the scene shows less than asked on this machine
    asked_per_s: float = 0.0                # images per second the scene asks
    model_per_s: float = 0.0                # images per second the model made here when it was loaded
    stale_tiles: int = 0                    # grid tiles waiting for a fresh image
    generated: int = 0                      # images generated since start
    stopped: bool = False                   # the model failed for good and there is nothing else to play
    making_since: float | None = None       # monotonic start of the images in the making, None when idle
    made_at: float | None = None            # monotonic time the last images were made


@dataclass(frozen=True)
class PlayerState:
    activity: Activity = "starting"
    uptime_s: float = 0.0
    show: str = ""                          # the show's title
    timezone: str = "UTC"                   # the venue's (the show's): every time here is its local time
    scene: str | None = None                # the scene kind on the wall ('closed' when closed)
    scene_index: int | None = None          # its playlist entry, counted from 1
    mood: str | None = None                 # the mood the walk keeps to, if any
    speed: float = 1.0                      # the walk's speed (the show's, or an operator's)
    pending: Pending | None = None          # a show waiting for the current scene to end
    model: str | None = None                # the model on the wall
    open: bool = True                       # inside opening hours
    outside_action: str = "black"           # what closed looks like: black, dim, display_off
    next_change: str | None = None          # local ISO time of the schedule's next change
    playlist: tuple[str, ...] = ()          # the scene kinds of the show's playlist, in order
    models: tuple[str, ...] = ()            # the models the player holds
    calibrated: bool = False
    panel: str | None = None                # panel care at work (player/panel_care.py); None: the show asks none
    display: DisplayLink | None = None      # the panel's connector (display/connector.py); None: not watched
    clock: ClockSync | None = None          # this PC's clock sync (clocksync/); None: not looked at (yet)
    wall: bool = False                      # this PC is one screen of a wall: its clock must agree with the others'
    model_swaps: int = 0                    # times another model took over the wall
    rejected_files: int = 0                 # dropped-in files refused by validation
    overrides: dict[str, Override] = field(default_factory=dict)
    frames: FrameFacts = FrameFacts()
    picture: PictureFacts = PictureFacts()
    generation: GenerationFacts = GenerationFacts()
