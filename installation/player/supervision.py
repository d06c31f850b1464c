"""Supervised generation (pure): when a model's worker fails, when to restart it, and when to give the
model up and fall back to one that worked.

A failure is restarted after a back-off that doubles; a model that fails FAILURES_TO_GIVE_UP times
within FAILURE_WINDOW_S is given up, and the player plays the model that last worked (then the
shipped default). A model counts as working once it has run WORKING_AFTER_S without failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
FAILURES_TO_GIVE_UP = 3
FAILURE_WINDOW_S = 120.0
WORKING_AFTER_S = 30.0


@dataclass(frozen=True)
class Decision:
    retry_in_s: float        # restart the scene this long after the failure
    give_up: bool            # stop playing this model: fall back
    failures: int            # failures of this model within the window, this one included


@dataclass
class Supervisor:
    failures: dict[str, list[float]] = field(default_factory=dict)   # model name -> failure times
    worked: list[str] = field(default_factory=list)                   # models that ran well, newest first
    broken: dict[str, str] = field(default_factory=dict)              # given-up model -> why
    _since: dict[str, float] = field(default_factory=dict)            # model -> when it (re)started

    def started(self, model: str, now: float) -> None:
        self._since[model] = now

    def running(self, model: str, now: float) -> None:
        """Called while a model's scene is on screen: after WORKING_AFTER_S it counts as working."""
        since = self._since.get(model)
        if since is not None and now - since >= WORKING_AFTER_S:
            del self._since[model]
            self.failures.pop(model, None)
            if model in self.worked:
                self.worked.remove(model)
            self.worked.insert(0, model)

    def failed(self, model: str, why: str, now: float) -> Decision:
        times = [t for t in self.failures.get(model, []) if now - t < FAILURE_WINDOW_S] + [now]
        self.failures[model] = times
        self._since.pop(model, None)
        give_up = len(times) >= FAILURES_TO_GIVE_UP
        if give_up:
            self.broken[model] = why
            if model in self.worked:
                self.worked.remove(model)
        return Decision(BACKOFF_S[min(len(times) - 1, len(BACKOFF_S) - 1)], give_up, len(times))

    def fallback(self, available: list[str], default: str) -> str | None:
        """The model to play instead of a given-up one: the newest that worked, then the shipped
        default, then anything not given up; None when every model is broken."""
        for name in [*self.worked, default, *available]:
            if name in available and name not in self.broken:
                return name
        return None

    def forgive(self, model: str) -> None:
        """A new file under this name arrived: it gets a fresh start."""
        self.broken.pop(model, None)
        self.failures.pop(model, None)
