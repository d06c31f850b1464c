"""Show configs: the shipped shows load, and every kind of mistake gets one exact, helpful line."""

import json
from datetime import date
from pathlib import Path

import pytest

from installation.scenes.grid import GridScene
from installation.scenes.morph import MorphScene
from installation.show.config import (ShowError, calibration_path, load_show, parse_range,
                               parse_show, resolve_show_path)

SHOW_CONFIGS = Path(__file__).resolve().parents[3] / "show_configs"


@pytest.mark.parametrize("name", ["default.toml", "museum_week.toml", "evening.toml"])
def test_shipped_shows_load(name):
    show = load_show(SHOW_CONFIGS / name)
    assert show.playlist and show.title.startswith("AImoji")


def test_museum_week_is_closed_on_mondays_and_holidays():
    show = load_show(SHOW_CONFIGS / "museum_week.toml")
    assert show.hours.ranges_on(date(2026, 3, 9)) == []                    # a Monday
    assert show.hours.ranges_on(date(2026, 3, 16)) == [(600, 1200)]        # the press preview Monday
    assert show.hours.ranges_on(date(2026, 12, 25)) == []                  # a Friday holiday
    assert show.hours.ranges_on(date(2026, 10, 3)) == [(600, 1500)]        # runs to 01:00 on Sunday


def test_evening_show_has_several_scenes_and_switches_the_display_off():
    show = load_show(SHOW_CONFIGS / "evening.toml")
    assert [s.scene for s in show.playlist] == ["morph", "grid", "evolution", "morph"]
    assert show.outside_hours.action == "display_off" and show.display.size() == (1920, 1080)


def test_a_scene_without_a_type_is_a_morph():
    show = parse_show({"playlist": [{"duration_s": 10}, {"scene": "grid", "cols": 3}]})
    assert isinstance(show.playlist[0], MorphScene) and isinstance(show.playlist[1], GridScene)


@pytest.mark.parametrize("text, expected", [
    ("10:00-18:00", (600, 1080)),
    ("00:00-24:00", (0, 1440)),
    ("20:00-02:00", (1200, 1560)),   # overnight: ends the next day
    ("23:59-00:00", (1439, 1440)),
])
def test_parse_range(text, expected):
    assert parse_range(text) == expected


@pytest.mark.parametrize("scale", ["smooth", "pixel", "sharp"])
def test_each_display_scale_is_a_choice(scale):
    assert parse_show({"display": {"scale": scale}}).display.scale == scale


SHOW = "s.toml"
BAD = [
    ({"display": {"scale": "blurry"}}, "display.scale: 'blurry' is not allowed; allowed: smooth, pixel, sharp"),
    ({"display": {"scale": "crisp"}}, "display.scale: 'crisp' was renamed 'pixel'; allowed: smooth, pixel, sharp"),
    ({"display": {"fps": 0}}, "display.fps: 0 is too small; allowed: at least 1 and at most 240"),
    ({"display": {"fps": 500}}, "display.fps: 500 is too large; allowed: at least 1 and at most 240"),
    ({"display": {"resolution": "1920*1080"}},
     "display.resolution: '1920*1080' is not a resolution; allowed: native, or WIDTHxHEIGHT such as 1920x1080"),
    ({"display": {"background": "white"}},
     "display.background: 'white' is not a colour; allowed: '#rrggbb' such as '#ffffff'"),
    ({"display": {"keys": "maybe"}}, "display.keys: 'maybe' is not allowed; allowed: true, false"),
    ({"display": 5}, "display: 5 is not allowed; allowed: a table"),
    ({"timezone": "Europe/Viena"},
     "timezone: 'Europe/Viena' is not a known time zone; allowed: an IANA name such as 'Europe/Vienna' or 'UTC'"),
    ({"seed": "abc"}, "seed: 'abc' is not allowed; allowed: a whole number"),
    ({"sead": 1}, "sead: unknown key (check the spelling); allowed: title, timezone, seed, display, walk, "
                  "transitions, hours, outside_hours, playlist, calibration, max_override_s, osc, http, panel, wall"),
    ({"walk": {"keyframe_s": 0}}, "walk.keyframe_s: 0 is too small; allowed: more than 0.1 and at most 600"),
    ({"osc": {"port": 70000}}, "osc.port: 70000 is too large; allowed: at least 1 and at most 65535"),
    ({"osc": {"bind": "gallery"}},
     "osc.bind: 'gallery' is not an IP address; allowed: e.g. '127.0.0.1', or '0.0.0.0' for every interface"),
    ({"osc": {"override": "forever"}},
     "osc.override: 'forever' is not allowed; allowed: until_released, until_next_change"),
    ({"playlist": []}, "playlist: is empty; allowed: at least one entry"),
    ({"playlist": [{}, {"scene": "slideshow"}]},
     "playlist.2.scene: 'slideshow' is not a scene type; allowed: morph, grid, evolution"),
    ({"playlist": [{"scene": "grid", "cols": 30}]}, "playlist.1.cols: 30 is too large; allowed: at least 1 and at most 24"),
    ({"playlist": [{"scene": "grid", "colums": 3}]},
     "playlist.1.colums: unknown key (check the spelling); allowed: duration_s, model, mood, scene, cols, "
     "rows, tile_fps"),
    ({"playlist": [{"duration_s": 0.5}]}, "playlist.1.duration_s: 0.5 is too small; allowed: at least 1 and at most 604800"),
    ({"playlist": [{"mood": "angry"}]},
     "playlist.1.mood: 'angry' is not allowed; allowed: neutral, horror, happy, sad"),
    ({"playlist": [{"model": "night.onnx"}]},
     "playlist.1.model: 'night.onnx' ends in .onnx; allowed: the name without .onnx, e.g. 'night'"),
    ({"playlist": [{"model": "../x"}]},
     "playlist.1.model: '../x' is not a model name; allowed: 'latest' or a file name in exported_models/ "
     "(letters, digits, _ . -) without .onnx"),
    ({"hours": {"tue": ["10:00-18:00", "10-18"]}},
     "hours.tue.2: '10-18' is not a time range; allowed: 'HH:MM-HH:MM' such as '10:00-18:00' "
     "(24:00 as an end; an end before the start runs past midnight)"),
    ({"hours": {"tue": ["10:00-10:00"]}},
     "hours.tue.1: '10:00-10:00' starts and ends at the same time; allowed: a range such as '10:00-18:00', "
     "or '00:00-24:00' for the whole day"),
    ({"hours": {"closed_dates": ["24.12.2025"]}},
     "hours.closed_dates.1: '24.12.2025' is not allowed; allowed: a date such as 2025-12-24"),
    ({"hours": {"closed_dates": [date(2025, 12, 24)], "special_dates": {date(2025, 12, 24): []}}},
     "hours: 2025-12-24 is in both closed_dates and special_dates; allowed: a date in only one of them"),
    ({"outside_hours": {"action": "sleep"}},
     "outside_hours.action: 'sleep' is not allowed; allowed: black, dim, display_off"),
    ({"outside_hours": {"action": "dim", "dim_lvl": 0.2}},
     "outside_hours.dim_lvl: unknown key (check the spelling); allowed: action, dim_level"),
    ({"transitions": {"show_change": "later"}},
     "transitions.show_change: 'later' is not allowed; allowed: immediate, next_scene"),
    ({"panel": {"orbit": {"amplitude_px": 40}}}, "panel.orbit.amplitude_px: 40 is too large; allowed: at least 1 and at most 16"),
    ({"panel": {"orbit": {"period_s": 5}}}, "panel.orbit.period_s: 5 is too small; allowed: at least 60 and at most 86400"),
    ({"panel": {"brightness": {"points": [["7:30", 0.5]]}}},
     "panel.brightness.points.1.1: '7:30' is not a time of day; allowed: 'HH:MM' such as '07:30'"),
    ({"panel": {"brightness": {"points": [["07:30", 1.5]]}}},
     "panel.brightness.points.1.2: 1.5 is too large; allowed: at most 1"),
    ({"panel": {"brightness": {"points": [["07:30", 0.5], ["07:30", 0.9]]}}},
     "panel.brightness.points: two points at 07:30; allowed: one level per time of day"),
    ({"panel": {"brightness": {"points": []}}}, "panel.brightness.points: is empty; allowed: at least one entry"),
    ({"panel": {"ambient": {"points": [[0, 0.5]]}}}, "panel.ambient.path: missing; this key is required"),
    ({"panel": {"ambient": {"path": "/x", "points": [[0, 0.5]], "poll_s": 0.01}}},
     "panel.ambient.poll_s: 0.01 is too small; allowed: at least 0.5 and at most 60"),
    ({"panel": {"brightness": {"points": [["07:30", 0.05]]}}},
     "panel.brightness.points.1.2: 0.05 is too small; allowed: at least 0.1"),
    ({"panel": {"refresh_s": -1}}, "panel.refresh_s: -1 is too small; allowed: at least 0 and at most 600"),
    ({"panel": {"orbit_px": 3}},
     "panel.orbit_px: unknown key (check the spelling); allowed: orbit, brightness, ambient, refresh_s"),
]


def test_panel_care_is_off_unless_the_show_asks():
    panel = parse_show({}, SHOW).panel
    assert panel.orbit is None and panel.brightness is None and panel.ambient is None and panel.refresh_s == 0
    panel = parse_show({"panel": {"brightness": {"points": [["22:00", 0.4], ["08:00", 0.6]]}}}, SHOW).panel
    assert panel.brightness.minutes() == [(480, 0.6), (1320, 0.4)]     # sorted by time of day


@pytest.mark.parametrize("data, line", BAD, ids=[b[1].split(":")[0] for b in BAD])
def test_invalid_show_gets_one_exact_line(data, line):
    with pytest.raises(ShowError) as caught:
        parse_show(data, SHOW)
    assert caught.value.problems == [f"{SHOW}: {line}"]


MOVED = ("and put the commands in the service's /etc/aimoji/display-power.toml as "
         "off = [...] and on = [...] (docs/operations.md)")


@pytest.mark.parametrize("outside, keys, pronoun", [
    ({"action": "display_off", "display_off_command": ["xset", "dpms", "force", "off"],
      "display_on_command": ["xset", "dpms", "force", "on"]}, "display_off_command and display_on_command", "them"),
    ({"action": "black", "display_on_command": ["xset", "dpms", "force", "on"]}, "display_on_command", "it"),
])
def test_an_old_show_with_power_commands_is_told_where_they_live_now(tmp_path, outside, keys, pronoun):
    path = tmp_path / "old.toml"
    path.write_text("[outside_hours]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in outside.items()))
    with pytest.raises(ShowError) as caught:
        load_show(path)
    assert caught.value.problems == [f"{path}: outside_hours: {keys}: no longer part of a show (a show must "
                                     f"not run programs); allowed: remove {pronoun} {MOVED}"]


def test_display_off_needs_nothing_else_in_the_show():
    assert parse_show({"outside_hours": {"action": "display_off"}}).outside_hours.action == "display_off"


def test_several_problems_give_several_lines():
    with pytest.raises(ShowError) as caught:
        parse_show({"display": {"fps": 0, "scale": "x"}, "seed": -1}, SHOW)
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize("content, line", [
    ("title = 'x'\n[display\nfps = 5\n", "TOML syntax error: Expected ']' at the end of a table "
                                         "declaration (at line 2, column 9)"),
    (b"\xff\xfe", "not UTF-8 text; allowed: a TOML text file"),
])
def test_unreadable_show_file(tmp_path, content, line):
    path = tmp_path / "broken.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ShowError) as caught:
        load_show(path)
    assert caught.value.problems == [f"{path}: {line}"]


def test_missing_show_file(tmp_path):
    with pytest.raises(ShowError, match="show file not found"):
        load_show(tmp_path / "nope.toml")


def test_active_show_wins_over_default_and_explicit_wins_over_both(tmp_path):
    (tmp_path / "default.toml").write_text("")
    assert resolve_show_path(None, tmp_path) == tmp_path / "default.toml"
    (tmp_path / "museum.toml").write_text("")
    (tmp_path / "active.toml").symlink_to("museum.toml")
    assert resolve_show_path(None, tmp_path) == tmp_path / "active.toml"
    assert resolve_show_path(tmp_path / "x.toml", tmp_path) == tmp_path / "x.toml"


def test_dangling_active_symlink_falls_back_to_default(tmp_path):
    (tmp_path / "active.toml").symlink_to("gone.toml")
    assert resolve_show_path(None, tmp_path) == tmp_path / "default.toml"


def test_calibration_path_is_relative_to_the_show_file(tmp_path):
    show = parse_show({"calibration": "profiles/room2.toml"})
    assert calibration_path(show, tmp_path / "s.toml") == tmp_path / "profiles/room2.toml"
    assert calibration_path(parse_show({"calibration": "/etc/aimoji/c.toml"}), "s.toml") == \
        Path("/etc/aimoji/c.toml")
    assert calibration_path(parse_show({}), "s.toml") is None
