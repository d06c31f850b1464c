"""Which way the player draws (pure): on the GPU through SDL's renderer, or on the CPU into a surface.

The GPU path is worth it only where the renderer really is a GPU: SDL calls Mesa's software GL
(llvmpipe) "accelerated" too, and there every full-screen texture costs the CPU more than the CPU path
does. So the choice rests on a frame timed at open (display/gpu.py `frame_cost`): a picture-sized
target drawn from a small texture, copied to the window and read back, the GPU work of the simplest
frame. One line says the choice and why, e.g. "gpu (opengl renderer, 0.4 ms a 2160p frame)".
"""

from __future__ import annotations

from typing import NamedTuple

from installation.show.config import Renderer
# A frame is fast when it takes at most MS_PER_MP a megapixel of the display, plus SYNC_MS for the
# read-back that ends the timing: 8.8 ms at 2160p, 2.6 ms at 1080p. For the frame's two full-screen
# passes even an old integrated GPU (a few gigapixels a second) needs under 1 ms/MP; Mesa's llvmpipe
# took about 10 ms/MP on this 2-core PC (benchmarks/gpu_path.py).
MS_PER_MP = 1.0
SYNC_MS = 0.5


class Measured(NamedTuple):
    """What opening SDL's renderer found: its driver's name, whether SDL counts it as hardware, and the
    milliseconds one frame of the display's size took (median)."""
    renderer: str
    hardware: bool
    frame_ms: float
    size: tuple[int, int]


class PathChoice(NamedTuple):
    gpu: bool
    why: str       # the display line's start: 'gpu (...)' or 'cpu (...)'


def choose(asked: Renderer, measured: Measured | None, unavailable: str = "") -> PathChoice:
    """The path for the show's `asked` renderer given what was measured (None: no renderer opened, for
    the reason `unavailable`). 'auto' takes the GPU only for a hardware renderer whose frame is
    fast (`fast_ms`); 'gpu' takes any renderer that opened; 'cpu' never asks."""
    if asked == "cpu":
        return PathChoice(False, 'cpu (renderer = "cpu" asked for)')
    if measured is None:
        told = "the show asks for gpu, but " if asked == "gpu" else ""
        return PathChoice(False, f"cpu ({told}no GPU renderer: {unavailable})")
    figure = f"{measured.renderer} renderer, {measured.frame_ms:.1f} ms a {measured.size[1]}p frame"
    if asked == "gpu":
        return PathChoice(True, f"gpu (the show asks for it; {figure})")
    if not measured.hardware:
        return PathChoice(False, f"cpu (renderer is software: {figure})")
    bound = fast_ms(measured.size)
    if measured.frame_ms > bound:
        return PathChoice(False, f"cpu ({figure}, over {bound:.1f} ms: software GL such as llvmpipe)")
    return PathChoice(True, f"gpu ({figure})")


def fast_ms(size: tuple[int, int]) -> float:
    """The most a GPU's frame of `size` may take (MS_PER_MP a megapixel, plus SYNC_MS)."""
    return SYNC_MS + MS_PER_MP * size[0] * size[1] / 1e6
