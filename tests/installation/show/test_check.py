"""`aimoji check` and `aimoji schema` from the command line: exact lines, exit status."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from installation.cli import main
from tests.support.model_files import generator_bytes, model_bytes

ROOT = Path(__file__).resolve().parents[3]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.fixture
def gallery(tmp_path):
    models, shows = tmp_path / "models", tmp_path / "shows"
    models.mkdir()
    shows.mkdir()
    (models / "night.onnx").write_bytes(model_bytes("good"))
    (shows / "good.toml").write_text("title = 'good'\ntimezone = 'Europe/Vienna'\n"
                                     "[[playlist]]\nmodel = 'night'\n[[playlist]]\nscene = 'grid'\n")
    return models, shows


def test_clean_run_prints_one_ok_line_per_file(capsys, gallery):
    models, shows = gallery
    code, lines, err = run(capsys, "check", str(shows), str(models), "--models", str(models))
    assert code == 0 and err == ""
    assert lines == [
        f"{shows}/good.toml: OK (show 'good', 2 scenes, Europe/Vienna)",
        f"{models}/night.onnx: OK (model z 8, 8x8 RGB, 7.29 kB, 'linear test generator')",
    ]


def test_problems_one_line_each_and_non_zero_exit(capsys, gallery):
    models, shows = gallery
    (shows / "bad.toml").write_text("[display]\nscale = 'blurry'\nfps = 0\n[[playlist]]\nmodel = 'nigth'\n")
    (shows / "cal.toml").write_text("calibration = 'room2.toml'\n")
    (models / "broken.onnx").write_bytes(model_bytes("truncated"))
    (models / "huge.onnx").write_bytes(model_bytes("huge"))
    (models / "notes.txt").write_text("ignored in folders")
    code, lines, err = run(capsys, "check", str(shows), str(models), str(models / "notes.txt"),
                           str(shows / "gone.toml"), "--models", str(models), "--max-model-mb", "1")
    assert code == 1
    assert lines == [
        f"{models}/notes.txt: not a show or a model; allowed: .toml, .onnx",
        f"{shows}/gone.toml: not found",
        f"{shows}/bad.toml: display.fps: 0 is too small; allowed: at least 1 and at most 240",
        f"{shows}/bad.toml: display.scale: 'blurry' is not allowed; allowed: smooth, pixel, sharp",
        # in the same pass as the field errors, not after they are fixed
        f"{shows}/bad.toml: playlist.1.model: 'nigth' is not in {models}; allowed: latest, broken, huge, night",
        f"{shows}/cal.toml: calibration: 'room2.toml' not found (looked for {shows}/room2.toml); "
        "allowed: a profile written by aimoji calibrate",
        f"{shows}/good.toml: OK (show 'good', 2 scenes, Europe/Vienna)",
        f"{models}/broken.onnx: truncated or damaged ONNX file ([ONNXRuntimeError] : 7 : INVALID_PROTOBUF : "
        "Failed to load model because protobuf parsing failed.)",
        f"{models}/huge.onnx: 1.21 MB is too large; allowed: at most 1 MB",
        f"{models}/night.onnx: OK (model z 8, 8x8 RGB, 7.29 kB, 'linear test generator')",
    ]
    assert err == "aimoji check: 8 problems\n"


def test_a_valid_show_naming_a_missing_model(capsys, gallery):
    models, shows = gallery
    (shows / "typo.toml").write_text("[[playlist]]\nmodel = 'nigth'\n")
    code, lines, _ = run(capsys, "check", str(shows / "typo.toml"), "--models", str(models))
    assert code == 1
    assert lines == [f"{shows}/typo.toml: playlist.1.model: 'nigth' is not in {models}; allowed: latest, night"]


def test_overlapping_hours_are_a_warning_not_a_problem(capsys, gallery):
    models, shows = gallery
    (shows / "week.toml").write_text("[hours]\nmon = ['10:00-18:00', '12:00-14:00']\ntue = ['10:00-12:00', '12:00-14:00']\n"
                                     "wed = ['22:00-02:00', '01:00-03:00']\n"
                                     "[hours.special_dates]\n2026-12-24 = ['09:00-13:00', '12:30-16:00']\n")
    code, lines, err = run(capsys, "check", str(shows / "week.toml"), "--models", str(models))
    assert code == 0 and err == ""   # tue's ranges only touch; wed's overnight range ends on Thursday
    assert lines == [
        f"{shows}/week.toml: hours.mon: warning: '10:00-18:00' and '12:00-14:00' overlap; allowed (the show is "
        "open in either), but one of them may be a typo",
        f"{shows}/week.toml: hours.special_dates.2026-12-24: warning: '09:00-13:00' and '12:30-16:00' overlap; "
        "allowed (the show is open in either), but one of them may be a typo",
        f"{shows}/week.toml: OK (show 'Untitled show', 1 scene, UTC)",
    ]


def test_a_show_with_a_bad_field_still_gets_its_warnings_and_model_names(capsys, gallery):
    models, shows = gallery
    (shows / "two.toml").write_text("fps = 30\n[hours]\nmon = ['10:00-18:00', '12:00-14:00']\n"
                                    "[[playlist]]\nmodel = 'nigth'\n")
    code, lines, err = run(capsys, "check", str(shows / "two.toml"), "--models", str(models))
    assert code == 1 and err == "aimoji check: 2 problems\n"
    assert [line.split(": ", 2)[1] for line in lines] == ["fps", "playlist.1.model", "hours.mon"]


def test_a_foreign_generator_gets_the_adopt_command_that_makes_it_playable(capsys, tmp_path):
    foreign = tmp_path / "their_gan.onnx"
    foreign.write_bytes(generator_bytes(metadata={"format_version": None}))  # a generator, not ours
    code, lines, _ = run(capsys, "check", str(foreign))
    assert code == 1
    assert lines == [f"{foreign}: not an AImoji export (metadata lacks 'format_version'); make it playable with: "
                     f"aimoji-train adopt {foreign} --out exported_models/their_gan.onnx"]


def test_no_adopt_hint_for_a_graph_that_is_no_generator(capsys, tmp_path):
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Add", ["a", "b"], ["c"])], "adder",
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 8]) for n in "ab"],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 8])])
    (tmp_path / "adder.onnx").write_bytes(helper.make_model(graph).SerializeToString())
    code, lines, _ = run(capsys, "check", str(tmp_path / "adder.onnx"))  # loads, but two inputs
    assert code == 1 and lines == [f"{tmp_path}/adder.onnx: metadata lacks 'format_version'"]


def test_shipped_shows_pass(capsys):
    code, lines, _ = run(capsys, "check", str(ROOT / "show_configs"), "--models", str(ROOT / "exported_models"))
    assert code == 0 and len(lines) >= 3 and all(": OK (show '" in line for line in lines)


def test_schema_is_json_and_names_every_section(capsys, tmp_path):
    code, lines, _ = run(capsys, "schema")
    schema = json.loads("\n".join(lines))
    assert code == 0 and schema["title"] == "AImoji show"
    assert set(schema["properties"]) >= {"display", "hours", "playlist", "outside_hours", "timezone"}
    assert schema["$defs"]["Display"]["properties"]["scale"]["enum"] == ["smooth", "pixel", "sharp"]
    out = tmp_path / "show.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == schema


def test_docs_describe_every_show_key():
    from installation.show.config import (SCENE_TYPES, Ambient, Brightness, Display, Hours, Orbit, OutsideHours,
                                          Panel, Show, Transitions, Walk)
    from installation.show.wall import Wall, WallScreen
    docs = (ROOT / "docs" / "shows.md").read_text()
    keys = {k for model in (Show, Display, Walk, Transitions, Hours, OutsideHours, Panel, Orbit, Brightness,
                            Ambient, Wall, WallScreen, *SCENE_TYPES.values())
            for k in model.model_fields}
    missing = sorted(k for k in keys if f"`{k}`" not in docs and f"`[{k}]`" not in docs)
    assert missing == []


def test_console_script_end_to_end(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[display]\nscale = 'blurry'\n")
    out = subprocess.run([sys.executable, "-m", "installation.cli", "check", str(bad)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    assert out.stdout == f"{bad}: display.scale: 'blurry' is not allowed; allowed: smooth, pixel, sharp\n"


def test_an_old_show_with_display_commands_fails_with_one_line_saying_where_they_go(capsys, tmp_path):
    old = tmp_path / "old.toml"
    old.write_text("[outside_hours]\naction = 'display_off'\ndisplay_off_command = ['xset', 'dpms', 'force', 'off']\n")
    code, lines, err = run(capsys, "check", str(old))
    assert code == 1 and err == "aimoji check: 1 problem\n"
    assert lines == [f"{old}: outside_hours: display_off_command: no longer part of a show (a show must not run "
                     "programs); allowed: remove it and put the commands in the service's "
                     "/etc/aimoji/display-power.toml as off = [...] and on = [...] (docs/operations.md)"]
