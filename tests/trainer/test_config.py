"""trainer/config.py: config.json is written by save_config and read back by load_run_config alone."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from trainer.config import ConfigError, TrainConfig, load_run_config, save_config

FACTS = {"dataset": "data/emoji", "dataset_images": 48, "data_licences": {"MIT": 48}, "world_size": 1,
         "trainer_version": "0.1.0"}


def test_what_save_config_writes_load_run_config_reads(tmp_path):
    cfg = replace(TrainConfig(), epochs=3, ema=0.999, bf16=None, image_size=32)
    save_config(cfg, tmp_path / "config.json", FACTS)
    saved = load_run_config(tmp_path / "config.json")
    assert saved.options == cfg and saved.facts == FACTS


def test_missing_options_take_their_defaults_and_facts_are_optional(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"epochs": 7, "title": "By hand"}))
    saved = load_run_config(tmp_path / "config.json")
    assert saved.options == replace(TrainConfig(), epochs=7) and saved.facts == {"title": "By hand"}


def test_save_config_refuses_a_fact_the_reader_would_refuse(tmp_path):
    with pytest.raises(ValueError, match="not a fact config.json holds: colour"):
        save_config(TrainConfig(), tmp_path / "config.json", {"colour": "red"})
    assert not (tmp_path / "config.json").exists()


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"{\"epochs\": 3,", "not valid JSON (Expecting property name enclosed in double quotes"),
    (b"\xff\xfe not text", "not valid JSON ("),
    (b"[1, 2]", "expected a JSON object of options, got list"),
    (b'{"epochs": 3, "colour": "red"}', "unknown key 'colour' (neither a training option nor a fact"),
    (b'{"epochs": "3"}', "'epochs' must be int, got \"3\""),
    (b'{"epochs": true}', "'epochs' must be int, got true"),
    (b'{"bf16": 1}', "'bf16' must be bool | None, got 1"),
    (b'{"dataset_images": 4.5}', "'dataset_images' must be int, got 4.5"),
    (b'{"data_licences": ["MIT"]}', "'data_licences' must be dict, got [\"MIT\"]"),
])
def test_an_unusable_config_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "config.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_run_config(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


@pytest.mark.parametrize("value", [0, 0.5, 1e-3])
def test_whole_and_fractional_numbers_fit_a_float_option(tmp_path, value):
    (tmp_path / "config.json").write_text(json.dumps({"lr": value, "bf16": None}))
    assert load_run_config(tmp_path / "config.json").options.lr == value


def test_a_folder_instead_of_the_file_is_one_line(tmp_path):
    (tmp_path / "config.json").mkdir()
    with pytest.raises(ConfigError, match=r"config.json: cannot read the run's config \(Is a directory\)"):
        load_run_config(tmp_path / "config.json")


def test_resume_with_an_unusable_config_is_one_line(tmp_path, capsys):
    from trainer.cli import main

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text('{"epochs": 3, "colour": "red"}')
    assert main(["train", "--out", str(tmp_path / "run"), "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tmp_path / 'run' / 'config.json'}: unknown key 'colour' (neither a training " \
                  "option nor a fact about the run)"
