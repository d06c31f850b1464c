"""Cost of the software display path per frame: FramebufferDisplay.present(), i.e. the rendered surface
converted into the framebuffer's pixel layout and written into the mapped device, at 1280x800 (the QEMU
VM's virtio-gpu), 1920x1080 and 3840x2160, for each layout the module converts to.

The device is a file in /dev/shm laid out like /dev/fb0 (a DRM driver's fbdev emulation is a buffer in
system memory too; its flush to the screen happens in the kernel, outside this figure). Prints the CPU,
then ms per frame (median of 60) and the share of a 30 fps frame. Run:
    .venv/bin/python -m benchmarks.framebuffer
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import pygame

from installation.display.console import Console
from installation.display.output import FramebufferDisplay
from installation.display.framebuffer import Bitfield, Framebuffer, Layout

SIZES = [(1280, 800), (1920, 1080), (3840, 2160)]
FORMATS = {  # name: (bpp, red, green, blue)
    "XRGB8888": (32, (16, 8), (8, 8), (0, 8)),   # virtio-gpu, simpledrm, i915, amdgpu: the frame as it is
    "BGRX8888": (32, (8, 8), (16, 8), (24, 8)),  # channels in other bytes
    "RGB888": (24, (16, 8), (8, 8), (0, 8)),     # some server BMCs (mgag200, ast at low memory)
    "RGB565": (16, (11, 5), (5, 6), (0, 5)),     # 16 bpp panels and BMCs
}
REPEAT = 60


def cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    except OSError:
        names = []
    return f"{names[0] if names else platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def present_ms(size: tuple[int, int], name: str, folder: str) -> float:
    bpp, red, green, blue = FORMATS[name]
    layout = Layout(size[0], size[1], bpp, size[0] * bpp // 8, Bitfield(*red), Bitfield(*green),
                    Bitfield(*blue))
    path = os.path.join(folder, "fb0")
    with open(path, "wb") as f:
        f.truncate(layout.mapped_bytes)
    display = FramebufferDisplay(Framebuffer(path, layout), "benchmark", Console("the console left alone"))
    try:
        noise = np.random.default_rng(0).integers(0, 256, (size[0], size[1], 3), np.uint8)
        pygame.surfarray.blit_array(display.surface, noise)
        display.present()   # warm-up: the plan, the pages of the file
        times = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            display.present()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)
    finally:
        display.close()


def main() -> None:
    print(f"CPU: {cpu()}; numpy {np.__version__}, pygame {pygame.version.ver} (SDL "
          f"{'.'.join(map(str, pygame.get_sdl_version()))})")
    folder = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        print(f"{'size':>10} {'layout':>9} {'ms/frame':>9} {'of 33.3 ms':>11}")
        for size in SIZES:
            for name in FORMATS:
                ms = present_ms(size, name, folder)
                print(f"{size[0]:>5}x{size[1]:<4} {name:>9} {ms:9.2f} {ms / (1000 / 30):10.1%}")
    finally:
        os.remove(os.path.join(folder, "fb0"))
        os.rmdir(folder)


if __name__ == "__main__":
    main()
