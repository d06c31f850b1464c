"""Completeness of dropped files, driven by a fake clock: slow copies wait, renames do not."""

import pytest

from installation.service.reload.stable_file import StableFiles, Stat, watched_kind

A = "/m/a.onnx"


@pytest.mark.parametrize("name, kind", [
    ("night.onnx", "onnx"), ("Night.ONNX", "onnx"), ("museum.toml", "toml"),
    (".night.onnx", None), ("night.onnx.part", None), ("night.onnx~", None), ("~night.onnx", None),
    ("night.onnx.tmp", None), ("night.onnx.crdownload", None), (".onnx", None), ("notes.txt", None),
    ("active.toml.swp", None),
])
def test_watched_kind(name, kind):
    assert watched_kind(f"/some/dir/{name}") == kind


# (time, size, mtime) observations of one file, and the time at which it must first be ready.
@pytest.mark.parametrize("observations, ready_at", [
    ([(0.0, 10, 1), (0.3, 10, 1)], 0.3),                         # unchanged for the whole window
    ([(0.0, 10, 1), (0.29, 10, 1), (0.31, 10, 1)], 0.31),        # needs a stat a whole window later
    ([(0.0, 10, 1), (0.2, 20, 2), (0.4, 20, 2), (0.5, 20, 2)], 0.5),  # grew: the window starts again
    ([(0.0, 10, 1), (0.2, 10, 2), (0.4, 10, 2), (0.6, 10, 2)], 0.6),  # same size, newer mtime (preallocated)
    ([(0.0, 0, 1), (0.1, 0, 1), (0.2, 0, 1)], None),              # still inside the window
    ([(0.0, 0, 1), (0.35, 0, 1)], 0.35),                          # a zero-byte file is complete too
])
def test_ready_after_a_quiet_window(observations, ready_at):
    files = StableFiles(window_s=0.3)
    first_ready = None
    for t, size, mtime in observations:
        files.observe(A, Stat(size, mtime), t)
        if files.ready() and first_ready is None:
            first_ready = t
    assert first_ready == ready_at


def test_slow_copy_in_chunks_is_never_ready_half_way():
    files = StableFiles(window_s=0.3)
    t = 0.0
    for chunk in range(1, 21):  # 20 chunks, one every 0.25 s, polled every 0.1 s
        for _ in range(3):
            files.observe(A, Stat(chunk * 1000, chunk), t)
            assert files.ready() == []
            t += 0.1
        t -= 0.05
    files.observe(A, Stat(20_000, 20), t + 0.3)
    assert files.ready() == [(A, Stat(20_000, 20))]


def test_renamed_in_is_ready_at_once_and_only_once():
    files = StableFiles(window_s=0.3)
    files.arrived_whole(A, Stat(5, 1), 1.0)
    assert files.ready() == [(A, Stat(5, 1))]
    assert files.ready() == []
    files.observe(A, Stat(5, 1), 1.1)  # the event our own read of the file causes
    files.observe(A, Stat(5, 1), 2.0)
    assert files.ready() == [] and files.pending() == []


def test_a_changed_file_is_handed_over_again():
    files = StableFiles(window_s=0.3)
    files.arrived_whole(A, Stat(5, 1), 0.0)
    files.ready()
    files.observe(A, Stat(7, 2), 1.0)
    files.observe(A, Stat(7, 2), 1.3)
    assert files.ready() == [(A, Stat(7, 2))]


def test_deleted_while_being_written_is_dropped_and_can_come_back_identical():
    files = StableFiles(window_s=0.3)
    files.observe(A, Stat(5, 1), 0.0)
    files.observe(A, None, 0.1)
    assert files.pending() == []
    files.arrived_whole(A, Stat(5, 1), 0.2)
    files.ready()
    files.observe(A, None, 0.3)  # deleted after hand-over, then the same bytes come back
    files.arrived_whole(A, Stat(5, 1), 0.4)
    assert files.ready() == [(A, Stat(5, 1))]


def test_forget_lets_the_same_version_through_again():
    files = StableFiles(window_s=0.3)
    files.arrived_whole(A, Stat(5, 1), 0.0)
    files.ready()
    files.forget(A)
    files.observe(A, Stat(5, 1), 1.0)
    files.observe(A, Stat(5, 1), 1.3)
    assert files.ready() == [(A, Stat(5, 1))]


def test_oldest_first():
    files = StableFiles(window_s=0.3)
    files.observe("/m/b.onnx", Stat(1, 1), 0.1)
    files.observe(A, Stat(1, 1), 0.0)
    files.observe("/m/b.onnx", Stat(1, 1), 0.5)
    files.observe(A, Stat(1, 1), 0.5)
    assert [p for p, _ in files.ready()] == [A, "/m/b.onnx"]
