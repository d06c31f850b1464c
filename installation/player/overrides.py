"""What an operator has overridden from outside the room (OSC, service/remote/osc.py): pure state the render
loop consults each frame. No pygame, no clock of its own: every call takes the time it is about.

Overrides that rebuild a scene (scene, model, mood, speed) take effect once they have stayed the same
for SETTLE_S, so a fader swept from QLab or a burst of messages restarts generation once, not per
message. Blackout and freeze act at once. An override lasts until `release`, or with
override = "until_next_change" until the schedule's next change after it was given, and never longer
than the show's max_override_s (a freeze sent by mistake must not hold the wall for a week).
"""

from __future__ import annotations

from dataclasses import dataclass

from installation.player.messages import Control
from installation.player.state import Override
from installation.player.stats import venue_iso
from installation.scenes.registry import kind_of

SETTLE_S = 0.25   # a scene-rebuilding override unchanged this long is applied (debounces sweeps)
REBUILDS = ("scene", "model", "mood", "speed")


@dataclass(frozen=True)
class Variant:
    """The overrides a running pipeline was built with; a new one means a hand-over."""
    scene: int | None = None
    model: str | None = None
    mood: str | None = None       # "none" = no mood, None = the playlist's own
    speed: float | None = None


@dataclass(frozen=True)
class Blackout:
    """A fade between the picture (level 0) and black (level 1)."""
    target: float
    fade_s: float
    started: float
    start_level: float

    def level(self, now: float) -> float:
        if self.fade_s <= 0:
            return self.target
        progress = min(1.0, max(0.0, (now - self.started) / self.fade_s))
        return self.start_level + (self.target - self.start_level) * progress


class Overrides:
    def __init__(self, mode: str = "until_released"):
        self.mode = mode                      # "until_released" | "until_next_change"
        self.wanted: dict[str, tuple] = {}    # kind -> (value, sender)
        self.since: dict[str, float] = {}     # kind -> monotonic time it was given
        self.variant = Variant()              # the settled, rebuilding overrides
        self._changed_at = -1e18
        self.blackout: Blackout | None = None
        self.frozen_at: float | None = None   # walk time the picture was frozen at
        self.until: float | None = None       # until_next_change: the schedule change that ends them

    # ---- changes -------------------------------------------------------------------------------
    def apply(self, control: Control, now: float, t: float, showing: int | None, scenes: int) -> str | None:
        """Take one Control at monotonic `now` / walk time `t`; `showing` is the playlist index on the
        wall, `scenes` the playlist's length. Returns why it was ignored, or None."""
        kind, value = control.kind, control.value
        if kind == "release":
            self.release(now)
            return None
        if kind == "step":
            if scenes < 1:
                return "no playlist to step through"
            base = self.wanted.get("scene", (showing if showing is not None else 0,))[0]
            kind, value = "scene", (base + int(value)) % scenes
        if kind == "scene" and not 0 <= value < scenes:
            return f"scene {value + 1} is not in the playlist (1..{scenes})"
        if kind == "blackout":
            on, fade_s = value
            level = self.blackout.level(now) if self.blackout else 0.0
            self.blackout = Blackout(1.0 if on else 0.0, fade_s, now, level)
        elif kind == "freeze":
            self.frozen_at = t if value and self.frozen_at is None else (self.frozen_at if value else None)
        elif kind in REBUILDS:
            self._changed_at = now
        else:
            return f"unknown control '{kind}'"
        self.wanted[kind] = (value, control.sender)
        self.since[kind] = now
        if kind == "blackout" and not value[0]:
            self.wanted.pop("blackout")       # fading back up is not an override any more
        if kind == "freeze" and not value:
            self.wanted.pop("freeze")
        self.until = None                     # the next schedule change after this one ends it
        return None

    def release(self, now: float) -> None:
        """Drop every override; a blackout fades back up over its own fade."""
        if self.blackout is not None:
            self.blackout = Blackout(0.0, self.blackout.fade_s, now, self.blackout.level(now))
        self.wanted.clear()
        self.since.clear()
        self.frozen_at = None
        self._changed_at = now - SETTLE_S     # back to the playlist at once
        self.until = None

    def forget_scene(self) -> None:
        """The show changed: a scene index means nothing in another playlist."""
        self.wanted.pop("scene", None)
        self.variant = Variant(None, self.variant.model, self.variant.mood, self.variant.speed)

    def lapse(self, kind: str, now: float) -> None:
        """End one override: a blackout fades back up over its own fade, a freeze moves again."""
        self.wanted.pop(kind, None)
        if kind == "blackout" and self.blackout is not None:
            self.blackout = Blackout(0.0, self.blackout.fade_s, now, self.blackout.level(now))
        elif kind == "freeze":
            self.frozen_at = None
        else:
            self._changed_at = now - SETTLE_S

    # ---- each frame ----------------------------------------------------------------------------
    def tick(self, now: float, t: float, next_change: float, max_s: float = 0.0) -> list[tuple[str, str]]:
        """Settle rebuilding overrides; end all of them at the schedule's next change when asked to, and
        each one max_s after it was given (0: never). Returns the (kind, sender) that lapsed now."""
        lapsed = []
        if max_s > 0:
            for kind in [k for k in self.wanted if now - self.since.get(k, now) >= max_s]:
                lapsed.append((kind, self.wanted[kind][1]))
                self.lapse(kind, now)
        if self.mode == "until_next_change" and self.wanted:
            if self.until is None:
                self.until = next_change
            elif t >= self.until:
                self.release(now)
        if now - self._changed_at >= SETTLE_S:
            get = lambda k: self.wanted[k][0] if k in self.wanted else None  # noqa: E731
            self.variant = Variant(get("scene"), get("model"), get("mood"), get("speed"))
        if self.blackout is not None and self.blackout.target == 0 and self.blackout.level(now) <= 0:
            self.blackout = None
        return lapsed

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def black_level(self, now: float) -> float:
        return 0.0 if self.blackout is None else self.blackout.level(now)

    def entry(self, entry):
        """The playlist entry with the mood override."""
        mood = self.variant.mood
        if mood is None or not kind_of(entry).walks:
            return entry
        return entry.model_copy(update={"mood": None if mood == "none" else mood})

    def show(self, show):
        """The show with the walk speed override."""
        if self.variant.speed is None:
            return show
        return show.model_copy(update={"walk": show.walk.model_copy(update={"speed": self.variant.speed})})

    def report(self, now: float, walk_now: float, max_s: float, zone: str = "UTC") -> dict[str, Override]:
        """What is held, by kind, as people say it, with the venue's time each lapses by itself (the
        player's state); now: monotonic, walk_now: the same moment in epoch seconds."""
        out = {}
        for kind, (value, sender) in self.wanted.items():
            if kind == "scene":
                value = value + 1                 # people count scenes from 1
            elif kind == "blackout":
                value = {"on": True, "fade_s": value[1]}
            lapses = walk_now + self.since.get(kind, now) - now + max_s
            out[kind] = Override(value, sender, venue_iso(lapses, zone) if max_s > 0 else None)
        return out
