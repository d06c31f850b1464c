"""installation/priority.py: side threads run niced below the render loop; a refusal (a unit without
SystemCallFilter=setpriority) is one line per process, not one per thread."""

import logging
import os
import threading

import pytest

from installation import priority


def _nice_of(native_id: int) -> int:
    fields = open(f"/proc/self/task/{native_id}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[16])    # field 19 of stat: nice


def test_a_side_thread_is_niced_and_the_caller_is_not():
    seen = {}

    def side():
        seen["ok"] = priority.lower_this_thread(priority.SIDE_NICE)
        seen["nice"] = _nice_of(threading.get_native_id())
    t = threading.Thread(target=side)
    t.start()
    t.join()
    assert seen == {"ok": True, "nice": priority.SIDE_NICE}
    assert _nice_of(threading.get_native_id()) == os.nice(0)


def test_a_refusal_is_said_once(monkeypatch, caplog):
    def refuse(*_):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(os, "setpriority", refuse)
    monkeypatch.setattr(priority, "_said", set())
    with caplog.at_level(logging.WARNING, logger="aimoji.player"):
        results = [priority.lower_this_thread() for _ in range(5)]
    assert results == [False] * 5
    assert [r.getMessage() for r in caplog.records] == [
        "side threads run at the render loop's CPU priority: setpriority refused (Operation not permitted; the "
        "unit allows it with SystemCallFilter=setpriority)"]


def _cpus_of(native_id: int) -> set[int]:
    return os.sched_getaffinity(native_id)


def test_the_render_loop_takes_the_highest_cpu_and_leaves_the_rest_to_the_side_threads():
    assert priority.split_cpus({0, 1}) == (1, frozenset({0}))
    assert priority.split_cpus({0, 2, 5}) == (5, frozenset({0, 2}))
    assert priority.split_cpus({3}) is None and priority.split_cpus(set()) is None


def test_inside_render_core_the_render_thread_runs_alone_and_every_other_thread_beside_it():
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("one CPU: nothing to split")
    mine, others = priority.split_cpus(allowed)
    seen, lines = {}, []
    idle = threading.Event()
    before = threading.Thread(target=idle.wait)    # a thread that was there before (a watcher, the HTTP server)
    before.start()

    def render():
        with priority.render_core(lines.append) as core:
            seen["core"] = core
            seen["render"] = _cpus_of(threading.get_native_id())
            seen["before"] = _cpus_of(before.native_id)

            def side():
                priority.lower_this_thread(priority.WORKER_NICE)
                seen["side"] = _cpus_of(threading.get_native_id())
            t = threading.Thread(target=side)     # started by the render thread: its one CPU, until it lowers
            t.start()
            t.join()
        seen["after"] = _cpus_of(threading.get_native_id())
        seen["before after"] = _cpus_of(before.native_id)
    r = threading.Thread(target=render)
    r.start()
    r.join()
    idle.set()
    before.join()
    assert seen == {"core": mine, "render": {mine}, "before": set(others), "side": set(others),
                    "after": allowed, "before after": allowed}
    assert lines == [f"CPU: the render loop runs alone on CPU {mine}; generation and model loading on "
                     f"{','.join(map(str, sorted(others)))}"]


def test_a_refused_affinity_is_said_once_and_the_render_loop_shares_its_cpus(monkeypatch, caplog):
    def refuse(*_):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1})
    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    monkeypatch.setattr(priority, "_said", set())
    niced = []
    with caplog.at_level(logging.WARNING, logger="aimoji.player"):
        for _ in range(3):
            with priority.render_core() as core:
                assert core is None
                side = threading.Thread(target=lambda: niced.append(priority.lower_this_thread(priority.SIDE_NICE)))
                side.start()
                side.join()
    assert niced == [True] * 3    # niced all the same
    assert [r.getMessage() for r in caplog.records] == [
        "the render loop shares its CPUs with the side threads: sched_setaffinity refused (Operation not "
        "permitted; the unit allows it with SystemCallFilter=sched_setaffinity)"]
