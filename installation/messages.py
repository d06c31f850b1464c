"""Messages other threads post to the running player (`player.post(...)`); applied between frames.

Plain frozen dataclasses with no pygame or onnxruntime, so hot reload and service code can import
them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelReady:
    """A validated, loaded model (onnx_model.OnnxGenerator) under its file stem, e.g. 'default'.
    It becomes 'latest'; the scene using it cross-fades to it (transitions.crossfade_s)."""
    name: str
    model: object


@dataclass(frozen=True)
class ShowReady:
    """A validated show.Show replacing the current one (cross-fades to its scene)."""
    show: object


@dataclass(frozen=True)
class Rejected:
    """A dropped-in file failed validation: counted in rejected_files, logged; nothing changes."""
    path: str
    reason: str


@dataclass(frozen=True)
class Quit:
    """Finish the current frame and stop (workers are stopped, stats returned)."""
