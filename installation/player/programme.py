"""What should be on the wall, decided between frames: the show and its schedule, the models the player
holds and which is 'latest', the operators' overrides, and a show waiting to take over. No pygame, no
threads, no clock of its own: every call takes the time it is about, so tests drive it directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from installation.model.load import Generator
from installation.paths import DEFAULT_MODEL
from installation.player.messages import Control, ShowReady
from installation.player.overrides import Overrides
from installation.player.state import Override, Pending
from installation.player.stats import venue_iso
from installation.scenes.base import SceneEntry
from installation.show.config import Show
from installation.show.schedule import schedule_hook
from installation.show.wall import region_for


@dataclass(frozen=True)
class Want:
    """One playlist entry on one model, with the operators' overrides folded in."""
    index: int
    model: str
    entry: SceneEntry     # with the mood override
    show: Show            # with the walk speed override
    screen: str | None = None   # this PC's screen on the show's [wall] (show/wall.py)


class Programme:
    def __init__(self, show: Show, models: dict[str, Generator], latest: str, overrides: Overrides,
                 schedule=None, say=lambda line: None, screen: str | None = None):
        """schedule: (unix seconds) -> (playlist index or None, until), default the show's own
        (show/schedule.py); tests hand in their own. say(line): what the programme tells the log (an
        opening, a closing, a show taking over). screen: this PC's name on a show's [wall]
        (commands/play.py checks it before; a name not on the wall raises show/wall.py's ScreenError)."""
        self.say, self.screen = say, screen
        region_for(show.wall, screen, show.title)   # ScreenError (one line) for a name not on the wall
        self.show, self.models, self.latest = show, dict(models), latest
        self.overrides = overrides
        self._custom_schedule = schedule
        self.schedule = schedule or schedule_hook(show)
        self.showing: tuple[int | None, float] = (None, -math.inf)   # cached (index, until)
        self.waiting: tuple[ShowReady, float] | None = None   # show_change = "next_scene": (message, due)
        self.rejected_files = 0
        self.names = tuple(sorted(self.models))
        self.cue: Override | None = None   # the show playing is an operator's cue: who, until when

    # ---- the schedule ------------------------------------------------------------------------
    def scene_at(self, t: float) -> int | None:
        """The schedule's answer at walk time t, asked again only when the previous one runs out. An
        opening or a closing is one line."""
        if t >= self.showing[1]:
            was, self.showing = self.showing, self.schedule(t)
            index, until = self.showing
            if was[1] != -math.inf and (was[0] is None) != (index is None):
                until_text = venue_iso(until, self.show.timezone) or "further notice"
                self.say(f"closed: outside opening hours ({self.show.outside_hours.action}) until {until_text}"
                         if index is None else f"open: playlist entry {index + 1} until {until_text}")
        return self.showing[0]

    def forget_schedule(self) -> None:
        """The wall clock stepped, or the show changed: ask the schedule again."""
        self.showing = (None, -math.inf)

    def want(self, t: float, closed: bool, broken) -> Want:
        """What to play at walk time t while open (or closed with a dim walk): the playlist's entry or
        the operator's, on the model asked for unless it is given up (`broken`), else 'latest'."""
        index = self.showing[0]
        chosen = self.overrides.variant.scene
        if closed:   # outside hours, 'dim': the first scene keeps walking, darkened
            index = 0
        elif chosen is not None and chosen < len(self.show.playlist):
            index = chosen
        entry = self.show.playlist[index]
        model = next((m for m in (self.overrides.variant.model, entry.model)
                      if m in self.models and m not in broken), self.latest)
        return Want(index, model, self.overrides.entry(entry), self.overrides.show(self.show), self.screen)

    # ---- models ------------------------------------------------------------------------------
    def add_model(self, name: str, model: Generator, latest: bool = True) -> None:
        """A loaded model under its file's name, made 'latest' when asked (same name, new content:
        scenes on it restart). The caller prunes."""
        self.models[name] = model
        self.latest = name if latest else self.latest
        self.names = tuple(sorted(self.models))

    def prune(self, running: tuple[str, ...], worked: str | None = None) -> None:
        """Forget models nothing can play any more, so hot reload does not pile them up in memory:
        keep 'latest', the default, the one that last worked, those the playlist (or a show waiting
        for next_scene) names, those the running pipelines use (a model whose file was deleted keeps
        playing) and those an override holds."""
        keep = {self.latest, DEFAULT_MODEL, worked, *running} | {e.model for e in self.show.playlist}
        if self.waiting is not None:
            keep |= {e.model for e in self.waiting[0].show.playlist}
        keep |= {self.overrides.variant.model} | {v for k, (v, _) in self.overrides.wanted.items() if k == "model"}
        for name in [n for n in self.models if n not in keep]:
            del self.models[name]
        self.names = tuple(sorted(self.models))

    # ---- shows -------------------------------------------------------------------------------
    def receive_show(self, msg: ShowReady, t: float, playing: bool) -> str | None:
        """A new show: held until the current scene ends when it asks for show_change = "next_scene"
        and a scene is playing (at the schedule's next change, or after one duration_s of the scene,
        whichever comes first: a one-scene playlist never ends by itself). Returns the line that says
        so, or None when it should be applied now."""
        self.waiting = None
        self.models.update(dict(msg.models))
        if msg.show.transitions.show_change != "next_scene" or not playing or self.showing[0] is None:
            return None
        scene_s = self.show.playlist[self.showing[0]].duration_s
        self.waiting = (msg, min(self.showing[1], t + scene_s))
        return (f"show '{msg.show.title}' takes over when the current scene ends "
                f"(in {self.waiting[1] - t:.0f} s; show_change = next_scene)")

    def due_show(self, t: float) -> ShowReady | None:
        """The waiting show, once its time has come (said in one line)."""
        if self.waiting is not None and t >= self.waiting[1]:
            self.say(f"show '{self.waiting[0].show.title}' takes over now (the scene it waited for ended)")
            return self.waiting[0]
        return None

    def apply_show(self, show: Show, same_calibration: bool = True, cue: Override | None = None) -> bool:
        """Play `show` from now on (an operator's cue when `cue`); False (nothing to do) when it is the
        show playing, calibration and all, or a show whose [wall] has no screen of this PC's name (one
        line; the show playing stays)."""
        self.waiting, self.cue = None, cue
        if show == self.show and same_calibration:
            return False
        if show.wall is not None and self.screen not in show.wall.names:
            why = "this PC has no screen name (--screen or /etc/aimoji/screen)" if self.screen is None else \
                f"screen '{self.screen}' is not on its wall"
            self.say(f"show '{show.title}': {why}; known: {', '.join(show.wall.names)}; '{self.show.title}' goes on")
            return False
        self.show = show
        self.schedule = self._custom_schedule or schedule_hook(show)
        self.forget_schedule()
        self.overrides.forget_scene()  # an index into the old playlist
        return True

    # ---- controls ----------------------------------------------------------------------------
    def walk_facts(self, index: int | None) -> dict:
        """The state's scene_index (from 1), mood and speed for playlist entry `index` on the wall, and
        whether the show makes this PC one screen of a wall (whose clocks must agree)."""
        mood = None if index is None else self.overrides.entry(self.show.playlist[index]).mood
        return {"scene_index": None if index is None else index + 1, "mood": mood,
                "speed": self.overrides.show(self.show).walk.speed, "wall": self.show.wall is not None}

    def pending(self) -> Pending | None:
        """The show waiting to take over, as the state says it."""
        if self.waiting is None:
            return None
        msg, due = self.waiting
        return Pending(msg.show.title, venue_iso(due, self.show.timezone), msg.cue)

    def held(self, now: float, walk_now: float) -> dict[str, Override]:
        """What operators hold now, with who and until when: the overrides, and a cued show."""
        held = self.overrides.report(now, walk_now, self.show.max_override_s, self.show.timezone)
        return {**held, "cue": self.cue} if self.cue is not None else held

    def control(self, msg: Control, now: float, t: float, showing: int | None) -> str | None:
        """An operator's override, checked again against what the player holds now (the show or the
        models may have changed since the sender's thread looked). Returns why it changed nothing."""
        if msg.kind == "model" and msg.value not in self.models:
            return f"model '{msg.value}' is not loaded"
        if showing is None:
            showing = self.showing[0]
        return self.overrides.apply(msg, now, t, showing, len(self.show.playlist))
