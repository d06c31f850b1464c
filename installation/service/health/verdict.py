"""The player's health: the truth about the screen, judged from a PlayerState (player/state.py), in
two kinds of finding, because a restart helps with only one of them:

* problems: what a restart may fix, so the watchdog stops for them: the render loop stalled, the
  picture on the panel frozen, blank or pushed off the panel by the calibration, generation dead with
  nothing else to play or stuck in one batch, no emoji long after start;
* degradations: the wall is worse than the show asks but alive, and a restart would not make it
  better: slow frames, dropped frames, a scene generating less than it asks, a picture held while its
  next image is still being made, a model replaced by a fallback, and on a wall a clock that is not
  synchronised to within half a frame (its screen may show another frame than its neighbours).
  Reported in the status, the log and the metrics, answered by degrading further.

"Open" means the picture is judged: it changed within FROZEN_S (plus any stillness the scene intends,
such as evolution's held final face) and is not one flat colour, unless an operator froze or blacked
out the wall (`intended_still`). Closed with a black or display-off action, fresh frames are enough.
`verdict` is the one judgement: the systemd pinger feeds the watchdog while it is `alive`, and the
state file carries both lists.

Every time here is CLOCK_MONOTONIC (time.monotonic on Linux), which all processes of one boot share,
so `aimoji status` judges staleness by it too and a wall-clock step gives no false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from installation.clocksync.readings import ClockSync
from installation.player.state import PlayerState

STALL_S = 5.0  # no new frame for this long = the render loop is stuck
FROZEN_S = 10.0  # the picture unchanged this long (beyond what the scene intends) = frozen
# No emoji this long after start = unhealthy. A weak PC needs ~60 s to its first frame (the gallery VM:
# 52-57 s), more while other work shares its CPU; the unit's TimeoutStartSec is 300.
START_BOUND_S = 240.0
SLOW_FRACTION = 0.5  # fps below this fraction of the target fps = degraded
SLOW_AFTER_S = 10.0  # the frame rate is judged once the player has run this long
DROPPED_SHARE = 0.25  # more than this share of recent frame slots dropped = degraded
ON_PANEL_MIN = 0.5  # less than this share of the picture on the panel = the calibration hides it
# A picture held because its next images are still being made is slow, not dead (an emulated PC under
# load takes 20 s an image), until the images in the making have taken this long: then it is stuck.
MAKING_STUCK_S = 120.0
HELD_SLACK_S = 1.0  # an image made this recently may not have been looked at yet


@dataclass(frozen=True)
class Verdict:
    phase: str                    # "starting" (not judged yet), "ok", "degraded" or "unhealthy"
    problems: tuple[str, ...]     # what a restart may fix; one line each
    degraded: tuple[str, ...] = ()  # what is worse than asked but alive; one line each

    @property
    def healthy(self) -> bool:
        return self.phase == "ok"

    @property
    def alive(self) -> bool:
        """Whether the wall shows the piece, however degraded: what feeds the watchdog."""
        return self.phase in ("ok", "degraded")


def verdict(state: PlayerState, now_mono: float, stall_s: float = STALL_S) -> Verdict:
    """Judge the player's state at monotonic time now_mono."""
    problems, degraded = [], []
    last, up = state.frames.last_monotonic, state.uptime_s
    generation = state.generation
    if last is not None and now_mono - last > stall_s:
        problems.append(f"render loop stalled: no new frame for {now_mono - last:.1f} s")
    if last is None or state.activity == "starting":
        if up <= START_BOUND_S and not problems:
            return Verdict("starting", ())
        why = generation.status
        problems.append(f"starting for {up:.0f} s and no emoji on screen yet" + (f" ({why})" if why != "ok" else ""))
        return Verdict("unhealthy", tuple(problems))
    picture = state.picture
    judged = state.activity == "playing" or (state.activity == "closed" and state.outside_action == "dim")
    if judged and picture.on_panel < ON_PANEL_MIN:
        problems.append(f"the calibration puts {1 - picture.on_panel:.0%} of the picture off the panel "
                        "(its offset or scale)")
    if judged and not picture.intended_still:
        held = _held(state, now_mono)
        if held is not None:
            (problems if held[1] else degraded).append(held[0])
        elif picture.changed_monotonic is not None:
            still = now_mono - picture.changed_monotonic
            if still > FROZEN_S + picture.still_allowed_s:
                problems.append(f"picture frozen: unchanged for {still:.0f} s")
        if state.activity == "playing" and picture.flat and held is None:
            problems.append("picture blank: one flat colour" + (" (black)" if picture.dark else ""))
    if generation.stopped:
        problems.append(f"generation stopped: {generation.status}")
    fps, target = state.frames.fps, state.frames.target_fps
    if up > SLOW_AFTER_S and target and fps < SLOW_FRACTION * target:
        degraded.append(f"slow: {fps:.1f} fps, target {target:g} fps")
    if state.frames.dropped_share > DROPPED_SHARE and state.activity == "playing":
        degraded.append(f"dropping {state.frames.dropped_share:.0%} of frames")
    if state.display is not None and state.display.connected is False:
        # A restart cannot plug a cable back in; the player re-opens the display when it returns.
        degraded.append(state.display.status(state.display.since))
    if generation.degraded and state.activity == "playing":
        degraded.append(generation.degraded)
    if generation.status != "ok" and not generation.stopped:
        degraded.append(generation.status)
    if (clock := clock_degradation(state.clock, state.wall)) is not None:
        degraded.append(clock)
    phase = "unhealthy" if problems else "degraded" if degraded else "ok"
    return Verdict(phase, tuple(problems), tuple(degraded))


def clock_degradation(clock: ClockSync | None, on_wall: bool) -> str | None:
    """On a wall, a clock that is anything but synced (unsynchronised, off by more than half a frame, or
    nobody can tell) is a degradation: its line. A single screen only reports its clock (its schedule
    needs seconds, not frames); a clock not looked at yet is not judged."""
    if not on_wall or clock is None or clock.state == "synced":
        return None
    return clock.line


def _held(state: PlayerState, now_mono: float) -> tuple[str, bool] | None:
    """When the picture stands still or blank because its next images are still being made (no image
    was made since it last changed, but for one made within HELD_SLACK_S and not looked at yet): the
    line, and whether it is stuck (in the making longer than MAKING_STUCK_S, which a restart may cure).
    None otherwise, and for a generator that makes images the picture does not show."""
    generation, changed = state.generation, state.picture.changed_monotonic
    making, made = generation.making_since, generation.made_at
    if making is None or changed is None:
        return None
    if made is not None and made > changed + HELD_SLACK_S and now_mono - made > HELD_SLACK_S:
        return None
    waited = now_mono - making
    if waited > MAKING_STUCK_S:
        return f"generation stuck: one batch in the making for {waited:.0f} s", True
    if now_mono - changed <= FROZEN_S and not state.picture.flat:
        return None
    return f"picture held: its next image in the making for {waited:.0f} s", False
