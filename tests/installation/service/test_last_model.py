"""The record of the last model shown, and start-up's choice of 'latest' with it: the recorded file while
its bytes are unchanged and it plays, else the newest file by date, with one line saying why."""

import hashlib
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from installation.commands.play import load_models
from installation.model import last_shown as last_model
from installation.show.config import parse_show

from tests.support.model_files import generator_bytes, model_bytes

ARGS = SimpleNamespace(model=None, threads=1, batch=8)
SHOW = parse_show({"title": "t"})


@pytest.fixture
def models(tmp_path):
    """older.onnx and newer.onnx, an hour apart by mtime."""
    folder = tmp_path / "exported_models"
    folder.mkdir()
    for i, name in enumerate(["older", "newer"]):
        (folder / f"{name}.onnx").write_bytes(generator_bytes(seed=i))
        os.utime(folder / f"{name}.onnx", ns=(10**18 + i * 3600 * 10**9,) * 2)
    return folder


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def start(models, record):
    lines = []
    loaded, latest = load_models(ARGS, SHOW, models, lines.append, record)
    return latest, lines


@pytest.mark.parametrize("environ, expected", [
    ({"STATE_DIRECTORY": "/var/lib/aimoji"}, Path("/var/lib/aimoji/last_model.json")),
    ({"STATE_DIRECTORY": "/var/lib/aimoji:/var/lib/other"}, Path("/var/lib/aimoji/last_model.json")),
    ({}, Path("state/last_model.json")),
])
def test_where_the_record_lives(environ, expected):
    assert last_model.path_for(environ) == expected


def test_the_recorded_model_is_latest_over_a_newer_file(models, tmp_path):
    record = tmp_path / "last_model.json"
    last_model.remember(record, models / "older.onnx", sha(models / "older.onnx"))
    latest, lines = start(models, record)
    assert latest == "older" and lines == []


def test_a_first_start_without_a_record_takes_the_newest_file_and_says_nothing(models, tmp_path):
    latest, lines = start(models, tmp_path / "last_model.json")
    assert latest == "newer" and lines == []


@pytest.mark.parametrize("damage, line", [
    ("not json", "{record}: damaged last-model record ("),
    ("wrong fields", "{record}: damaged last-model record (needs 'file': NAME.onnx and 'sha256': 64 hex "
                     "digits); 'latest' is the newest model file"),
    ("bytes changed", "{models}/older.onnx: its bytes changed since it was shown (sha256 "),
    ("file gone", "{models}/gone.onnx: the model shown before the restart is gone; 'latest' is the newest "
                  "model file"),
    ("does not play", "{models}/older.onnx: truncated or damaged ONNX file"),
])
def test_without_a_usable_record_the_newest_file_is_latest_with_one_line(models, tmp_path, damage, line):
    record = tmp_path / "last_model.json"
    last_model.remember(record, models / "older.onnx", sha(models / "older.onnx"))
    if damage == "not json":
        record.write_text('{"file": "older.onnx", "sha2')
    elif damage == "wrong fields":
        record.write_text(json.dumps({"file": "../older.onnx", "sha256": "abc"}))
    elif damage == "bytes changed":
        (models / "older.onnx").write_bytes(generator_bytes(seed=7))
        os.utime(models / "older.onnx", ns=(10**18,) * 2)
    elif damage == "file gone":
        last_model.remember(record, models / "gone.onnx", "0" * 64)
    elif damage == "does not play":
        (models / "older.onnx").write_bytes(model_bytes("truncated"))
        os.utime(models / "older.onnx", ns=(10**18,) * 2)
    latest, lines = start(models, record)
    assert latest == "newer"
    assert len(lines) == 1 and lines[0].startswith(line.format(record=record, models=models))
    assert last_model.recall(record) == last_model.LastModel("newer.onnx", sha(models / "newer.onnx"))


def test_the_choice_at_start_is_recorded_and_holds_after_the_dates_change(models, tmp_path):
    record = tmp_path / "state" / "last_model.json"  # the folder is made as needed
    assert start(models, record)[0] == "newer"
    assert last_model.recall(record).file == "newer.onnx"
    os.utime(models / "older.onnx", ns=(2 * 10**18,) * 2)  # e.g. restored from a backup: dates mean little
    assert start(models, record) == ("newer", [])


def test_without_a_record_file_start_up_is_todays_rule(models):
    latest, lines = start(models, None)
    assert latest == "newer" and lines == []
