"""The GPU path's cost per frame (display/gpu.py) next to the CPU path's, at 1920x1080 and 3840x2160,
and what the open-time measurement (gpu.frame_cost) finds and chooses (display/path_choice.py).

Needs an X display. Where there is no GPU this is Mesa's software GL (llvmpipe) under Xvfb: its figures
are what a PC without a GPU would pay for the GPU path, which is why `renderer = "auto"` takes the CPU
there; they are not GPU speed. Run (a screen large enough for 2160p):
    xvfb-run -s "-screen 0 3840x2160x24" .venv/bin/python -m benchmarks.gpu_path
Prints the CPU, the GL renderer SDL opened, then per size: the open-time frame, the choice, and ms per
frame (median, p99 of 120) for a morph frame (a new 64x64 image scaled to the screen's height, drawn)
on each path, the GPU's with its present (the CPU's present is display-dependent: benchmarks/framebuffer.py).
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("SDL_VIDEODRIVER", "x11")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import pygame

from benchmarks.framebuffer import cpu
from installation.display.gpu import open_gpu
from installation.display.path_choice import choose
from installation.display.screen import Screen

SIZES = [(1920, 1080), (3840, 2160)]
FRAMES = 120
RNG = np.random.default_rng(0)
IMAGES = [RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(8)]


def frames_ms(screen, present) -> tuple[float, float]:
    """(median, p99) ms of a morph frame: a new small image placed over the picture's height, drawn."""
    w, h = screen.size
    box = ((w - h) // 2, 0, h, h)
    times = []
    for i in range(FRAMES + 5):
        start = time.perf_counter()
        screen.draw(screen.place(IMAGES[i % len(IMAGES)], box, "smooth"))
        present()
        times.append((time.perf_counter() - start) * 1000)
    times = sorted(times[5:])
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def main() -> None:
    if not os.environ.get("DISPLAY"):
        raise SystemExit("benchmarks.gpu_path: needs an X display; run it under xvfb-run (see the docstring)")
    print(f"CPU: {cpu()}; load average {os.getloadavg()[0]:.2f}")
    for size in SIZES:
        display, measured = open_gpu(size, False, "AImoji benchmark")
        try:
            gpu_screen = display.screen(None, (0, 0, 0))
            gpu_screen.clear()
            gpu_med, gpu_p99 = frames_ms(gpu_screen, display.present)
            glance = []
            for _ in range(20):
                start = time.perf_counter()
                gpu_screen.glance()
                glance.append((time.perf_counter() - start) * 1000)
        finally:
            display.close()
        pygame.display.init()
        cpu_screen = Screen(pygame.Surface(size), None, (0, 0, 0))
        cpu_med, cpu_p99 = frames_ms(cpu_screen, lambda: None)
        pygame.display.quit()
        print(f"{size[0]}x{size[1]}: {measured.renderer} renderer ({'hardware' if measured.hardware else 'software'} "
              f"to SDL), open-time frame {measured.frame_ms:.1f} ms "
              f"({measured.frame_ms / (size[0] * size[1] / 1e6):.1f} ms/MP); auto: {choose('auto', measured).why}")
        print(f"  morph frame, GPU path incl. present: median {gpu_med:.1f} ms, p99 {gpu_p99:.1f} ms; "
              f"glance {statistics.median(glance):.2f} ms")
        print(f"  morph frame, CPU path (no present):  median {cpu_med:.1f} ms, p99 {cpu_p99:.1f} ms")


if __name__ == "__main__":
    main()
