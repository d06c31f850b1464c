"""The player's health: the truth about the screen, judged from a PlayerState (player/state.py).

"Healthy while open" means: a frame was presented in the last STALL_S seconds, the picture on it (the
small generated image, player/content.py) changed within FROZEN_S (plus any stillness the scene
intends, such as evolution's held final face), it is not one flat colour or black unless the show
asks for black (or an operator froze or blacked out the wall: `intended_still`), and the frame rate
holds. Closed with a black or display-off action, fresh frames are enough. 'starting' for longer than
START_BOUND_S is unhealthy. `verdict` is the one judgement: the systemd pinger feeds the watchdog only
on its "ok", and the state file carries its problems.

Every time here is CLOCK_MONOTONIC (time.monotonic on Linux), which all processes of one boot share,
so `aimoji status` judges staleness by it too and a wall-clock step gives no false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from installation.player.state import PlayerState

STALL_S = 5.0  # no new frame for this long = the render loop is stuck
FROZEN_S = 10.0  # the picture unchanged this long (beyond what the scene intends) = frozen
START_BOUND_S = 60.0  # no emoji this long after start = unhealthy (a restart may help; saying so does)
SLOW_FRACTION = 0.5  # fps below this fraction of the target fps = unhealthy
SLOW_AFTER_S = 10.0  # the frame rate is judged once the player has run this long


@dataclass(frozen=True)
class Verdict:
    phase: str                 # "starting" (not yet judged), "ok" or "unhealthy"
    problems: tuple[str, ...]  # one line each; empty unless unhealthy

    @property
    def healthy(self) -> bool:
        return self.phase == "ok"


def verdict(state: PlayerState, now_mono: float, stall_s: float = STALL_S) -> Verdict:
    """Judge the player's state at monotonic time now_mono."""
    problems = []
    last, up = state.frames.last_monotonic, state.uptime_s
    if last is not None and now_mono - last > stall_s:
        problems.append(f"render loop stalled: no new frame for {now_mono - last:.1f} s")
    if last is None or state.activity == "starting":
        if up <= START_BOUND_S and not problems:
            return Verdict("starting", ())
        why = state.generation.status
        problems.append(f"starting for {up:.0f} s and no emoji on screen yet" + (f" ({why})" if why != "ok" else ""))
        return Verdict("unhealthy", tuple(problems))
    picture = state.picture
    watching = not picture.intended_still and (
        state.activity == "playing" or (state.activity == "closed" and state.outside_action == "dim"))
    if watching and picture.changed_monotonic is not None:
        still = now_mono - picture.changed_monotonic
        if still > FROZEN_S + picture.still_allowed_s:
            problems.append(f"picture frozen: unchanged for {still:.0f} s")
    if state.activity == "playing" and picture.flat and not picture.intended_still:
        problems.append("picture blank: one flat colour" + (" (black)" if picture.dark else ""))
    fps, target = state.frames.fps, state.frames.target_fps
    if target and fps < SLOW_FRACTION * target and up > SLOW_AFTER_S:
        problems.append(f"slow: {fps:.1f} fps, target {target:g} fps")
    return Verdict("unhealthy" if problems else "ok", tuple(problems))
