"""CPU priority and placement of the player's threads. On 2 cores the render loop must win whenever it
wants a core: generation, and model loading and probing below it, run niced (Linux nices threads one by
one), and on a PC of two CPUs or more the render loop runs alone on one of them (`render_core`) while the
side threads run on the others. Without that, the scheduler woke the render loop on the CPU where the
generator had just started a batch and left it waiting there 3.5-4 ms, the other CPU idle, about every
100 ms (`perf sched timehist` of a 1080p morph): the frame-work p99 at 1080p was 6.5-7.7 ms, 4.0-4.2 with
the render loop on its own CPU (docs/player.md, "4K"). The unit allows exactly these two calls
(SystemCallFilter=setpriority sched_setaffinity: lowering a priority or narrowing a thread's CPUs needs
no privilege; raising a priority needs CAP_SYS_NICE, which the service does not have). A refusal is one
log line per process, not per thread."""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager

SIDE_NICE = 10       # loading and probing a model: only when the render loop and the worker leave CPU over
WORKER_NICE = 5      # generation: below the render loop, above loading

_said: set[str] = set()
_side_cpus: frozenset[int] | None = None   # while the render loop holds a CPU alone: the CPUs side threads use


def split_cpus(allowed: set[int] | frozenset[int]) -> tuple[int, frozenset[int]] | None:
    """(the render loop's CPU, the side threads' CPUs) out of the CPUs the process may use; None with fewer
    than two (nothing to split). The render loop takes the highest-numbered one: the kernel and most
    interrupts favour CPU 0."""
    if len(allowed) < 2:
        return None
    mine = max(allowed)
    return mine, frozenset(allowed) - {mine}


@contextmanager
def render_core(say=None):
    """While inside, the calling thread (the render loop) runs only on a CPU of its own, and the process's
    other threads, those they start and every thread that lowers itself (`lower_this_thread`) on the
    others; the CPUs are given back on leaving.
    `say`: one-argument function for the one line saying which CPUs (or why none was taken)."""
    global _side_cpus
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        allowed = set()
    split = split_cpus(allowed)
    if split is None:
        if say is not None:
            say(f"CPU: the render loop shares the {len(allowed) or 'unknown number of'} CPU(s) this process "
                "may use with generation (nothing to split)")
        yield None
        return
    mine, others = split
    if not _set_cpus({mine}):
        yield None
        return
    _side_cpus = others
    _others_to(others)
    if say is not None:
        say(f"CPU: the render loop runs alone on CPU {mine}; generation and model loading on "
            f"{_cpu_list(others)}")
    try:
        yield mine
    finally:
        _side_cpus = None
        _set_cpus(allowed)
        _others_to(allowed)


def _others_to(cpus) -> None:
    """Every other thread of this process to `cpus` (a thread gone meanwhile is skipped)."""
    me = threading.get_native_id()
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return
    for tid in tids:
        if tid != me:
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass


def _set_cpus(cpus) -> bool:
    """The calling thread's CPUs; False (said once in the log) when refused."""
    try:
        os.sched_setaffinity(0, cpus)
        return True
    except AttributeError:
        why = "sched_setaffinity is not available on this system"
    except OSError as exc:
        why = (f"sched_setaffinity refused ({exc.strerror or exc}; the unit allows it with "
               "SystemCallFilter=sched_setaffinity)")
    _say_once(f"the render loop shares its CPUs with the side threads: {why}")
    return False


def _cpu_list(cpus) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def _say_once(why: str) -> None:
    if why not in _said:
        _said.add(why)
        logging.getLogger("aimoji.player").warning("%s", why)


def lower_this_thread(nice: int = SIDE_NICE) -> bool:
    """Lower the calling thread's priority to `nice`, and while the render loop holds a CPU alone
    (`render_core`) move it to the other CPUs; False (said once in the log) when the priority is refused."""
    if _side_cpus is not None:
        _set_cpus(_side_cpus)
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        return True
    except AttributeError:
        why = "setpriority is not available on this system"
    except OSError as exc:
        why = f"setpriority refused ({exc.strerror or exc}; the unit allows it with SystemCallFilter=setpriority)"
    _say_once(f"side threads run at the render loop's CPU priority: {why}")
    return False
