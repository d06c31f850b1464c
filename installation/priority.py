"""CPU priority of the player's side threads. On 2 cores the render loop must win whenever it wants a
core: generation, and model loading and probing below it, run niced (Linux nices threads one by one).
The unit allows exactly this (SystemCallFilter=setpriority: lowering needs no privilege; raising needs
CAP_SYS_NICE, which the service does not have). A refusal is one log line per process, not per thread."""

from __future__ import annotations

import logging
import os
import threading

SIDE_NICE = 10       # loading and probing a model: only when the render loop and the worker leave CPU over
WORKER_NICE = 5      # generation: below the render loop, above loading

_said: set[str] = set()


def lower_this_thread(nice: int = SIDE_NICE) -> bool:
    """Lower the calling thread's priority to `nice`; False (said once in the log) when refused."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        return True
    except AttributeError:
        why = "setpriority is not available on this system"
    except OSError as exc:
        why = f"setpriority refused ({exc.strerror or exc}; the unit allows it with SystemCallFilter=setpriority)"
    if why not in _said:
        _said.add(why)
        logging.getLogger("aimoji.player").warning("side threads run at the render loop's CPU priority: %s", why)
    return False
