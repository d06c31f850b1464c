"""Hot reload with real watchdog events: only complete, valid files are handed over; bad ones give one
line and change nothing; fixes are picked up; deleting the current model does nothing; a same-name copy
of new bytes is new, the same bytes are not; replaced folders and a failing inotify keep hot reload on;
each delivered model is recorded for the next start."""

import errno
import hashlib
import importlib.util
import logging
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
from watchdog.observers import Observer

from installation.model import last_shown as last_model
from installation.service.reload.reloader import Reloader
from tests.support.model_files import BAD_KINDS, HUGE_LIMIT_BYTES, generator_bytes, model_bytes

FAST = dict(window_s=0.1, grace_s=0.2, poll_s=0.02, max_model_bytes=HUGE_LIMIT_BYTES)


class Seen:
    def __init__(self):
        self.models, self.shows, self.rejects = [], [], []
        self.threads = set()

    def on_model(self, name, model):
        self.threads.add(threading.current_thread().name)
        self.models.append((name, model))

    def on_show(self, show):
        self.shows.append(show.title)

    def on_reject(self, path, reason):
        self.rejects.append((Path(path).name, reason))


def wait_for(condition, timeout_s=10.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def folders(tmp_path):
    models, shows = tmp_path / "exported_models", tmp_path / "show_configs"
    models.mkdir()
    shows.mkdir()
    (shows / "default.toml").write_text("title = 'default'\n")
    return models, shows


def start(folders, seen, show_path=None, **kw):
    models, shows = folders
    return Reloader(models, show_path, show_folder=shows, on_model=seen.on_model, on_show=seen.on_show,
                    on_reject=seen.on_reject, **{**FAST, **kw}).start()


def test_good_model_is_delivered_ready_to_run_from_the_worker_thread(folders):
    seen = Seen()
    reloader = start(folders, seen)
    try:
        began = time.monotonic()
        (folders[0] / "night.onnx").write_bytes(model_bytes("good"))
        assert wait_for(lambda: seen.models)
        assert time.monotonic() - began >= 0.1  # it waited for the file to be quiet
        name, model = seen.models[0]
        assert name == "night" and model.session.get_inputs()[0].name == "z"
        assert seen.threads == {"aimoji-reload"} and seen.rejects == []
    finally:
        reloader.stop()


def test_every_kind_of_bad_file_gets_one_line_and_a_fix_is_picked_up(folders, caplog):
    seen = Seen()
    reloader = start(folders, seen)
    caplog.set_level(logging.WARNING, logger="aimoji.reload")
    try:
        for kind in BAD_KINDS:
            (folders[0] / f"{kind}.onnx").write_bytes(model_bytes(kind))
        assert wait_for(lambda: len(seen.rejects) == len(BAD_KINDS))
        assert sorted(n for n, _ in seen.rejects) == sorted(f"{k}.onnx" for k in BAD_KINDS)
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == len(BAD_KINDS)
        assert f"{folders[0] / 'zero_bytes.onnx'}: rejected: empty file (0 bytes); allowed: an ONNX " \
               "generator from aimoji-train export" in lines
        assert seen.models == [] and reloader.counts["rejected"] == len(BAD_KINDS)
        (folders[0] / "truncated.onnx").write_bytes(model_bytes("good"))  # the full copy arrives
        assert wait_for(lambda: seen.models)
        assert [n for n, _ in seen.models] == ["truncated"]
        time.sleep(0.4)
        assert len(seen.rejects) == len(BAD_KINDS)  # no second complaint about the fixed file
    finally:
        reloader.stop()


def test_slow_copy_is_not_read_half_way(folders):
    seen = Seen()
    reloader = start(folders, seen, window_s=0.15)
    data = model_bytes("good")
    try:
        with open(folders[0] / "slow.onnx", "wb") as fh:
            for i in range(0, len(data), len(data) // 6):
                fh.write(data[i:i + len(data) // 6])
                fh.flush()
                time.sleep(0.08)
        assert wait_for(lambda: seen.models)
        time.sleep(0.5)
        assert [n for n, _ in seen.models] == ["slow"] and seen.rejects == []
    finally:
        reloader.stop()


def test_renamed_into_place_is_taken_at_once_and_temp_names_are_ignored(folders):
    seen = Seen()
    reloader = start(folders, seen, window_s=5.0)  # a long window: only the rename can explain delivery
    try:
        part = folders[0] / "fresh.onnx.part"
        part.write_bytes(model_bytes("good"))
        time.sleep(0.3)
        assert seen.models == []
        os.replace(part, folders[0] / "fresh.onnx")
        assert wait_for(lambda: seen.models, timeout_s=3)
        assert seen.models[0][0] == "fresh"
    finally:
        reloader.stop()


def test_deleting_the_current_model_changes_nothing(folders):
    seen = Seen()
    reloader = start(folders, seen)
    try:
        (folders[0] / "current.onnx").write_bytes(model_bytes("good"))
        assert wait_for(lambda: seen.models)
        (folders[0] / "current.onnx").unlink()
        time.sleep(0.5)
        assert len(seen.models) == 1 and seen.rejects == [] and seen.shows == []
    finally:
        reloader.stop()


def test_existing_models_are_handed_over_oldest_first_when_asked(folders):
    for i, name in enumerate(["old", "new"]):
        path = folders[0] / f"{name}.onnx"
        path.write_bytes(model_bytes("good", seed=i))
        os.utime(path, ns=(10**18 + i * 10**9, 10**18 + i * 10**9))
    seen = Seen()
    reloader = start(folders, seen, scan_existing=True)
    try:
        assert wait_for(lambda: len(seen.models) == 2)
        assert [n for n, _ in seen.models] == ["old", "new"]  # so the newest becomes 'latest'
    finally:
        reloader.stop()


def test_show_edits_reload_and_a_broken_edit_keeps_the_last_good_one(folders):
    seen = Seen()
    show = folders[1] / "museum.toml"
    show.write_text("title = 'museum'\n")
    reloader = start(folders, seen, show_path=show)
    try:
        show.write_text("title = 'museum, later'\n")
        assert wait_for(lambda: seen.shows == ["museum, later"])
        show.write_text("title = 'museum\n")
        assert wait_for(lambda: seen.rejects)
        assert seen.rejects[0][1].startswith("TOML syntax error: ")
        show.write_text("title = 'museum'\n[display]\nscale = 'blurry'\n")
        assert wait_for(lambda: len(seen.rejects) == 2)
        assert seen.rejects[1] == ("museum.toml",
                                   "display.scale: 'blurry' is not allowed; allowed: smooth, pixel, sharp")
        (folders[1] / "other.toml").write_text("title = 'not playing'\n")
        show.write_text("title = 'museum, fixed'\n")
        assert wait_for(lambda: seen.shows[-1:] == ["museum, fixed"])
        time.sleep(0.3)
        assert seen.shows == ["museum, later", "museum, fixed"]
    finally:
        reloader.stop()


def test_following_active_toml_symlink_and_falling_back_to_default(folders):
    seen = Seen()
    reloader = start(folders, seen)
    shows = folders[1]
    try:
        (shows / "museum.toml").write_text("title = 'museum'\n")
        (shows / "active.toml").symlink_to("museum.toml")
        assert wait_for(lambda: seen.shows == ["museum"])
        (shows / "museum.toml").write_text("title = 'museum 2'\n")  # edited through its own name
        assert wait_for(lambda: seen.shows[-1:] == ["museum 2"])
        (shows / "active.toml").unlink()
        assert wait_for(lambda: seen.shows[-1:] == ["default"])
        assert seen.shows == ["museum", "museum 2", "default"] and seen.rejects == []
    finally:
        reloader.stop()


def test_a_short_soak(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "soak_reload", Path(__file__).resolve().parents[3] / "benchmarks" / "soak_reload.py")
    soak = importlib.util.module_from_spec(spec)
    sys.modules["soak_reload"] = soak  # dataclasses look their module up there
    spec.loader.exec_module(soak)
    fig = soak.soak(tmp_path, n=50, gap_s=0.005, window_s=0.15, seed=3)
    assert fig["bad_models"] >= 0.3 * fig["models"] and all(fig["bad_by_kind"].values())
    assert fig["slow_good"] > 0 and fig["slow_good_delivered"] == fig["slow_good"]
    assert fig["good_missing"] == [] and fig["bad_delivered"] == []
    assert fig["bad_not_rejected"] == [] and fig["good_rejected"] == []
    assert fig["good_shows_ok"] and fig["bad_shows_ok"]
    assert fig["log_lines_rejected"] == fig["rejected"] + fig["shows_rejected"]


# -- same name, new bytes ----------------------------------------------------------------------------

def test_a_retrained_model_copied_over_the_same_name_is_delivered_and_the_same_bytes_are_not(folders, caplog):
    """`cp -p` keeps the source's mtime; with the same size the file looks unchanged by (size, mtime)."""
    caplog.set_level(logging.INFO, logger="aimoji.reload")
    seen = Seen()
    reloader = start(folders, seen)
    default, retrained = folders[0] / "default.onnx", folders[1] / "retrained.onnx"
    try:
        default.write_bytes(generator_bytes(seed=1))
        assert wait_for(lambda: len(seen.models) == 1)
        before = default.stat()
        retrained.write_bytes(generator_bytes(seed=2))
        os.utime(retrained, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert retrained.stat().st_size == before.st_size
        shutil.copy2(retrained, default)  # what `cp -p` does: same name, same size, same mtime
        assert (default.stat().st_size, default.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        assert wait_for(lambda: len(seen.models) == 2)
        assert [n for n, _ in seen.models] == ["default", "default"]
        assert seen.models[1][1].sha256 == hashlib.sha256(generator_bytes(seed=2)).hexdigest()

        default.write_bytes(generator_bytes(seed=2))  # rewritten, but with the bytes just delivered
        assert wait_for(lambda: reloader.counts["unchanged"] == 1)
        time.sleep(0.3)
        assert len(seen.models) == 2 and seen.rejects == []
        assert [r.getMessage() for r in caplog.records if "same bytes" in r.getMessage()] == [
            f"{default}: rewritten with the same bytes (sha256 "
            f"{seen.models[1][1].sha256[:12]}...); not a new model, not delivered again"]
    finally:
        reloader.stop()


def test_the_models_the_player_started_with_are_not_new_when_rewritten(folders):
    default = folders[0] / "default.onnx"
    default.write_bytes(generator_bytes(seed=1))
    seen = Seen()
    sha = hashlib.sha256(default.read_bytes()).hexdigest()
    reloader = start(folders, seen, known_models={default: sha})
    try:
        default.write_bytes(generator_bytes(seed=1))
        assert wait_for(lambda: reloader.counts["unchanged"] == 1)
        default.write_bytes(generator_bytes(seed=3))
        assert wait_for(lambda: seen.models)
        assert seen.models[0][0] == "default" and reloader.counts["unchanged"] == 1
    finally:
        reloader.stop()


# -- a replaced folder -------------------------------------------------------------------------------

@pytest.mark.parametrize("folder", ["models", "shows"])
def test_a_replaced_folder_is_watched_again_and_read(folders, caplog, folder):
    """`rm -rf exported_models && mkdir exported_models && cp ...`: the old watch is on a deleted folder."""
    caplog.set_level(logging.WARNING, logger="aimoji.reload")
    models, shows = folders
    seen = Seen()
    reloader = start(folders, seen, folder_check_s=0.1)
    try:
        if folder == "models":
            shutil.rmtree(models)
            models.mkdir()
            for i, name in enumerate(["older", "newer"]):
                (models / f"{name}.onnx").write_bytes(generator_bytes(seed=i))
                os.utime(models / f"{name}.onnx", ns=(10**18 + i * 10**9,) * 2)
            assert wait_for(lambda: len(seen.models) == 2)
            assert [n for n, _ in seen.models] == ["older", "newer"]  # so the newest ends up 'latest'
            (models / "later.onnx").write_bytes(generator_bytes(seed=5))  # the new watch hears this
            assert wait_for(lambda: len(seen.models) == 3)
        else:
            shutil.rmtree(shows)
            shows.mkdir()
            (shows / "default.toml").write_text("title = 'new folder'\n")
            assert wait_for(lambda: seen.shows == ["new folder"])
            (shows / "default.toml").write_text("title = 'edited'\n")
            assert wait_for(lambda: seen.shows == ["new folder", "edited"])
        watched = models if folder == "models" else shows
        rewatched = [r.getMessage() for r in caplog.records if "watching the new one" in r.getMessage()]
        assert len(rewatched) == 1 and rewatched[0].startswith(f"{watched}: the folder ")
        assert seen.rejects == [] and reloader.mode == "inotify"
    finally:
        reloader.stop()


# -- inotify failing ---------------------------------------------------------------------------------

class _FullInotify(Observer):
    """watchdog's inotify observer on a machine where every inotify watch is already taken."""

    def schedule(self, *args, **kw):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def _no_inotify_instances():
    raise OSError(errno.EMFILE, "inotify instance limit reached")


@pytest.mark.parametrize("factory, why", [
    (_FullInotify, "inotify watch limit reached (sysctl fs.inotify.max_user_watches)"),
    (_no_inotify_instances, "inotify instance limit reached (sysctl fs.inotify.max_user_instances)"),
])
def test_when_inotify_fails_the_folders_are_polled_and_the_mode_says_why(folders, caplog, factory, why):
    caplog.set_level(logging.WARNING, logger="aimoji.reload")
    seen = Seen()
    reloader = start(folders, seen, observer_factory=factory, polling_s=0.1)
    try:
        assert reloader.mode == f"polling ({why})"
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == 1 and lines[0].startswith(f"hot reload: {why}; polling ")
        assert str(folders[0]) in lines[0]
        (folders[0] / "polled.onnx").write_bytes(generator_bytes(seed=4))
        assert wait_for(lambda: seen.models)
        assert seen.models[0][0] == "polled"
        (folders[1] / "default.toml").write_text("title = 'polled show'\n")
        assert wait_for(lambda: seen.shows == ["polled show"])
    finally:
        reloader.stop()


# -- the record of the last model ----------------------------------------------------------------------

def test_each_delivered_model_is_recorded_for_the_next_start(folders, tmp_path):
    record = tmp_path / "state" / "last_model.json"
    seen = Seen()
    reloader = start(folders, seen, last_model_file=record)
    try:
        (folders[0] / "night.onnx").write_bytes(generator_bytes(seed=1))
        assert wait_for(lambda: seen.models)
        assert wait_for(record.exists)
        assert last_model.recall(record) == last_model.LastModel("night.onnx", seen.models[0][1].sha256)
        written = record.stat().st_mtime_ns
        (folders[0] / "night.onnx").write_bytes(generator_bytes(seed=1))  # same bytes: not a new model
        assert wait_for(lambda: reloader.counts["unchanged"] == 1)
        assert record.stat().st_mtime_ns == written
        (folders[0] / "day.onnx").write_bytes(generator_bytes(seed=2))
        assert wait_for(lambda: len(seen.models) == 2)
        assert wait_for(lambda: last_model.recall(record).file == "day.onnx")
    finally:
        reloader.stop()


def test_a_record_that_cannot_be_written_is_one_line_and_delivery_goes_on(folders, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="aimoji.reload")
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the state folder should be\n")
    seen = Seen()
    reloader = start(folders, seen, last_model_file=blocker / "last_model.json")
    try:
        (folders[0] / "night.onnx").write_bytes(generator_bytes(seed=1))
        assert wait_for(lambda: seen.models)
        assert wait_for(lambda: caplog.records)
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == 1 and lines[0].startswith(f"{blocker / 'last_model.json'}: cannot record the model")
        assert lines[0].endswith("after a restart the newest file is 'latest' instead")
    finally:
        reloader.stop()
