"""Supervised generation (pure): when a model's worker fails, when to restart it, and when to give the
model up and fall back to one that worked.

A failure is restarted after a back-off that doubles; a model that fails FAILURES_TO_GIVE_UP times
within FAILURE_WINDOW_S is given up, and the player plays the model that last worked (then the
shipped default). A model counts as working once it has run WORKING_AFTER_S without failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BLANK_S = 1.0       # generated pictures one flat colour this long: the model is failing (NaN, ...)
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
FAILURES_TO_GIVE_UP = 3
FAILURE_WINDOW_S = 120.0
WORKING_AFTER_S = 30.0


@dataclass(frozen=True)
class Decision:
    retry_in_s: float        # restart the scene this long after the failure
    give_up: bool            # stop playing this model: fall back
    failures: int            # failures of this model within the window, this one included


@dataclass(frozen=True)
class Response:
    status: str              # what generation does now, for the state and one log line
    instead: str | None      # the model that is 'latest' from now on, when another takes over
    restart_in_s: float      # start the scene again this long after the failure
    gave_up: bool = False    # the model is given up (instead None: ask for any other valid model)


def failure(worker_error: str | None, on_wall: bool, flat_since: float | None, now: float) -> str | None:
    """Why a pipeline counts as failed at monotonic `now`, or None: its worker stopped, or (the one on
    the wall) its pictures have been one flat colour for longer than BLANK_S."""
    if worker_error is not None:
        return worker_error
    if on_wall and flat_since is not None and now - flat_since > BLANK_S:
        return "its pictures are one flat colour (NaN or a broken model)"
    return None


@dataclass
class Supervisor:
    failures: dict[str, list[float]] = field(default_factory=dict)   # model name -> failure times
    worked: list[str] = field(default_factory=list)                   # models that ran well, newest first
    broken: dict[str, str] = field(default_factory=dict)              # given-up model -> why
    status: str = "ok"                 # what generation does now, for the state: ok | why not
    restart_at: float | None = None    # a failed scene may start again from then (back-off)
    stopped: bool = False              # a model was given up and no other one is held to play instead
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

    def handle(self, model: str, why: str, now: float, others: list[str], default: str,
               latest: str) -> Response:
        """A failure of `model` at `now`: restart it after the back-off, or give it up for the newest
        model that worked (then `default`, then any of `others`). A scene on another model restarts at
        once."""
        decision = self.failed(model, why, now)
        if not decision.give_up:
            response = Response(f"model '{model}' failed ({why}); restarting in {decision.retry_in_s:g} s "
                                f"(failure {decision.failures})", None, decision.retry_in_s)
        elif (instead := self.fallback(others, default)) is None:
            response = Response(f"model '{model}' keeps failing ({why}) and no other model is loaded; looking "
                                f"for another, retrying in {decision.retry_in_s:g} s", None,
                                0.0 if latest != model else decision.retry_in_s, gave_up=True)
        else:
            response = Response(f"model '{model}' failed {decision.failures} times ({why}); playing "
                                f"'{instead}' instead", instead, 0.0, gave_up=True)
        self.status, self.restart_at = response.status, now + response.restart_in_s
        self.stopped = response.gave_up and response.instead is None and latest == model
        return response

    def may_start(self, now: float) -> bool:
        """Whether a scene may be (re)started at `now`: not while a failed one waits out its back-off."""
        if self.restart_at is not None and now >= self.restart_at:
            self.restart_at = None
        return self.restart_at is None

    def shown(self, model: str) -> None:
        """A scene on `model` took over the wall: generation is 'ok' again unless that model has
        failed lately or a model was given up (a fallback stays in the status until its model is
        replaced)."""
        if model not in self.broken:
            self.stopped = False
        if model not in self.failures and not self.broken:
            self.status = "ok"

    def forgive(self, model: str) -> None:
        """A new file under this name arrived: it gets a fresh start."""
        self.broken.pop(model, None)
        self.failures.pop(model, None)
