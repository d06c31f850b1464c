"""Messages other threads post to the running player (`player.post(...)`); applied between frames.

Plain frozen dataclasses with no pygame or onnxruntime, so hot reload and service code can import
them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from installation.player.state import Override

if TYPE_CHECKING:   # for the annotations only: importing the loader would load onnxruntime here
    from installation.calibration.apply import Calibration
    from installation.model.load import Generator
    from installation.show.config import Show

UNCHANGED = "unchanged"  # ShowReady.calibration: keep the calibration the player has


@dataclass(frozen=True)
class ModelReady:
    """A loaded, checked model under its file stem, e.g. 'default'. It becomes 'latest' (scenes on
    'latest' cross-fade to it), unless `latest` is False (one an operator asked for by name: held, and
    chosen by the Control that follows it)."""
    name: str
    model: Generator
    latest: bool = True


@dataclass(frozen=True)
class ShowReady:
    """A validated show.Show replacing the current one (cross-fades to its scene; with
    transitions.show_change = "next_scene" it waits for the current scene to end).
    calibration: a calibration.apply.Calibration, None for none, or UNCHANGED to keep the current one.
    models: (name, model) pairs the new playlist names that the player did not have loaded.
    cue: who cued it and until when (an operator's show: the state says so while it plays), or None."""
    show: Show
    calibration: Calibration | None | str = UNCHANGED
    models: tuple[tuple[str, Generator], ...] = ()
    cue: Override | None = None


@dataclass(frozen=True)
class Rejected:
    """A dropped-in file failed validation: counted in rejected_files; nothing changes. The poster
    (the reloader) logs the reason; the player does not log it again."""
    path: str
    reason: str


@dataclass(frozen=True)
class Quit:
    """Finish the current frame and stop (workers are stopped, stats returned)."""


@dataclass(frozen=True)
class Control:
    """An operator's override from outside the room (OSC or the status page; service/remote/control.py has
    parsed and range-checked it).
    kind / value: "scene" 0-based index, "step" +1 | -1, "mood" a mood or "none", "model" a name,
    "speed" walk speed, "blackout" (on, fade_s), "freeze" bool, "release" None. The player applies it
    between frames (player/overrides.py); sender (OSC 'host:port', 'http host') is shown in the state file."""
    kind: str
    value: object = None
    sender: str = ""


@dataclass(frozen=True)
class Reopen:
    """The panel came back (display/connector.py): open the display again between frames."""
