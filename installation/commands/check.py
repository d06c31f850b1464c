"""`aimoji check PATH...`: validate show configs (.toml) and models (.onnx), files or whole folders.

One line per problem, "FILE: field: what is wrong; allowed: what is allowed"; one OK line per good file.
A show's problems come in one pass: its fields, the models it names and its calibration profile are
checked from the file's table even when another field is wrong. Warnings (overlapping hours) are lines
too, but not problems. Exit status 1 if anything has a problem, so it can guard a deployment script.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from installation.show.config import WEEKDAYS, ShowError, beside_show, overlapping, parse_show, read_show_data
from installation.show.wall import ScreenError, region_for

EPILOG = """examples:
  aimoji check show_configs/ exported_models/      everything the installation would load
  aimoji check show_configs/museum_week.toml       one show, before making it active
  aimoji check ~/Downloads/night_v3.onnx           a model, before copying it to the gallery PC
  aimoji check show_configs/wall.toml --screen left   a wall's show, and that 'left' is one of its screens
exit status: 0 if every file is OK, 1 if anything has a problem (the count goes to stderr)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="show (.toml) or model (.onnx) files, or folders holding them (not recursive)")
    p.add_argument("--models", type=Path, default=None, metavar="DIR",
                   help="folder where shows' model names must exist (default: exported_models/ of this "
                        "checkout; skipped if the folder does not exist)")
    p.add_argument("--max-model-mb", type=float, default=None, metavar="MB",
                   help="refuse models larger than this many MB (1 MB = 1,000,000 bytes; default 256, as "
                        "the hot reloader)")
    p.add_argument("--screen", default=None, metavar="NAME",
                   help="a screen name (as `aimoji play --screen` or /etc/aimoji/screen gives it): a problem "
                        "for each show with a [wall] that has no screen of that name")


def files_to_check(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The files named or found in the folders named, and a problem line for each unusable path."""
    files, problems = [], []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".toml", ".onnx")
                           and p.is_file() and not p.name.startswith("."))
            if not found:
                problems.append(f"{path}: no .toml or .onnx files in this folder")
            files += found
        elif not path.exists():
            problems.append(f"{path}: not found")
        elif path.suffix.lower() not in (".toml", ".onnx"):
            problems.append(f"{path}: not a show or a model; allowed: .toml, .onnx")
        else:
            files.append(path)
    return files, problems


def show_cross_checks(path: Path, data: dict, models_dir: Path | None) -> list[str]:
    """What the fields alone do not tell: models the playlist names that are not in the folder, a
    calibration profile that is not there. Read from the table, so they come with any field errors;
    values of the wrong type are left to the validation's own line."""
    problems = []
    playlist = data.get("playlist")
    if models_dir is not None and models_dir.is_dir() and isinstance(playlist, list):
        present = sorted(p.stem for p in models_dir.glob("*.onnx") if not p.name.startswith("."))
        allowed = ", ".join(["latest", *present])
        for i, entry in enumerate(playlist, start=1):
            model = entry.get("model", "latest") if isinstance(entry, dict) else "latest"
            if isinstance(model, str) and model != "latest" and model not in present:
                problems.append(f"{path}: playlist.{i}.model: '{model}' is not in {models_dir}; allowed: {allowed}")
    name = data.get("calibration")
    if isinstance(name, str) and not beside_show(name, path).is_file():
        problems.append(f"{path}: calibration: '{name}' not found (looked for {beside_show(name, path)}); "
                        "allowed: a profile written by aimoji calibrate")
    return problems


def hour_warnings(path: Path, data: dict) -> list[str]:
    """A warning per pair of a day's ranges that overlap (weekdays and special dates)."""
    hours = data.get("hours")
    if not isinstance(hours, dict):
        return []
    days = [(day, hours.get(day)) for day in WEEKDAYS]
    special = hours.get("special_dates")
    if isinstance(special, dict):
        days += [(f"special_dates.{day}", ranges) for day, ranges in special.items()]
    return [f"{path}: hours.{day}: warning: '{a}' and '{b}' overlap; allowed (the show is open in either), but "
            "one of them may be a typo" for day, ranges in days if isinstance(ranges, list)
            for a, b in overlapping(ranges)]


def wall_line(show, path: Path, screen: str | None) -> str:
    """What the OK line says of a show's wall: its screens and which one is `screen`; ScreenError
    (naming the show and the known names) when `screen` is not on it."""
    if show.wall is None:
        return ""
    if screen is not None:
        region_for(show.wall, screen, path)   # ScreenError for a name not on the wall
    names = ", ".join(show.wall.names)
    return f", a wall of {len(show.wall.screens)} screens ({names}{f'; this PC: {screen}' if screen else ''})"


def check_show(path: Path, models_dir: Path | None, screen: str | None = None) -> tuple[list[str], list[str], str]:
    """(problems, warnings, the OK line) of one show file; `screen`: the name a PC of its wall would give."""
    try:
        data = read_show_data(path)
    except ShowError as exc:
        return exc.problems, [], ""
    warnings = hour_warnings(path, data)
    cross = show_cross_checks(path, data, models_dir)
    try:
        show = parse_show(data, path)
    except ShowError as exc:
        return exc.problems + cross, warnings, ""
    scenes = f"{len(show.playlist)} scene{'s' if len(show.playlist) != 1 else ''}"
    try:
        wall = wall_line(show, path, screen)
    except ScreenError as exc:
        return cross + [str(exc)], warnings, ""
    return cross, warnings, f"{path}: OK (show '{show.title}', {scenes}, {show.timezone}{wall})"


NOT_OURS = "metadata lacks 'format_version'"


def adopt_hint(path: Path) -> str | None:
    """For an ONNX file with no AImoji metadata whose graph looks like a generator: the command that
    makes it playable. None when it does not look like one (or does not load)."""
    from installation.model.contract import generator_shaped
    from installation.model.load import open_session

    try:
        session = open_session(str(path), 1)
    except Exception:  # onnxruntime's own exception types; an unloadable file gets no hint
        return None
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if any(i.type != "tensor(float)" for i in inputs) or \
            not generator_shaped([list(i.shape) for i in inputs], [list(o.shape or []) for o in outputs]):
        return None
    return f"aimoji-train adopt {path} --out exported_models/{path.stem}.onnx"


def check_model(path: Path, max_bytes: int) -> tuple[list[str], str]:
    from installation.model.load import ModelError, describe, load
    try:
        model = load(path, max_bytes=max_bytes)
    except ModelError as exc:
        hint = adopt_hint(path) if exc.reason == NOT_OURS else None
        if hint:
            return [f"{path}: not an AImoji export ({exc.reason}); make it playable with: {hint}"], ""
        return [str(exc)], ""
    return [], f"{path}: OK (model {describe(model)})"


def check_paths(paths: list[Path], models_dir: Path | None, max_bytes: int,
                screen: str | None = None) -> tuple[list[str], int]:
    """All output lines in order, and the number of problems."""
    files, problems = files_to_check(paths)
    lines, count = list(problems), len(problems)
    for path in files:
        if path.suffix.lower() == ".toml":
            found, warnings, ok = check_show(path, models_dir, screen)
        else:
            (found, ok), warnings = check_model(path, max_bytes), []
        lines += found + warnings + ([] if found else [ok])
        count += len(found)
    return lines, count


def run(args) -> int:
    from installation.model.load import MAX_MODEL_BYTES
    from installation.paths import MODELS_DIR
    from installation.text import MB

    max_bytes = MAX_MODEL_BYTES if args.max_model_mb is None else int(args.max_model_mb * MB)
    lines, problems = check_paths(args.paths, args.models or MODELS_DIR, max_bytes, args.screen)
    for line in lines:
        print(line)
    if problems:
        print(f"aimoji check: {problems} problem{'s' if problems != 1 else ''}", file=sys.stderr)
    return 1 if problems else 0
