"""installation/priority.py: side threads run niced below the render loop; a refusal (a unit without
SystemCallFilter=setpriority) is one line per process, not one per thread."""

import logging
import os
import threading

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
