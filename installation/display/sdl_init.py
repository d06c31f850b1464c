"""SDL's video subsystem, started (again) the one way the player does it.

Right after `pygame.display.quit()` an X server may still be closing the connection that quit ended,
and SDL's next init then fails with 'x11 not available': a third of 300 quick quit/init pairs under
Xvfb on the 2-core test machine, none with 0.1 s between them. Opening the GPU path, timing it and
closing it before opening the CPU path (display/output.py) is exactly such a pair, so every init goes
through `init()`, which tries again for up to 0.75 s before it gives up with SDL's own error.
"""

from __future__ import annotations

import time

import pygame

RETRY_AFTER_S = (0.05, 0.1, 0.2, 0.4)


def init() -> None:
    """pygame.display.init(), again after a short wait while the driver says it is not available.
    pygame.error (SDL's one line) when it still is not, or fails another way."""
    for wait in RETRY_AFTER_S:
        try:
            pygame.display.init()
            return
        except pygame.error as exc:
            if "not available" not in str(exc):
                raise
        time.sleep(wait)
    pygame.display.init()
