"""`aimoji play`: the installation itself — the show's scenes, fullscreen, at a fixed frame rate,
with hot reload, systemd notify/watchdog, the health state file and calibration (installation/service/runtime.py)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from installation.atomic import write_json_atomic
from installation.priority import render_core

DEMO_SECONDS = 4.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--show", type=Path, default=None,
                   help="show file (TOML) to play (default: show_configs/active.toml if present, "
                        "else show_configs/default.toml)")
    p.add_argument("--models", type=Path, default=None,
                   help="folder of exported .onnx models (default: exported_models/ of this checkout); "
                        "scenes with model = 'latest' play the model shown before a restart (see --last-model), "
                        "else the newest valid file there")
    p.add_argument("--model", type=Path, default=None,
                   help="play this one .onnx file for every scene instead of looking in --models")
    p.add_argument("--windowed", action="store_true",
                   help="play in a window (1280x720 when the show says 'native'); enables the keys "
                        "F fullscreen, S save the current emoji, Esc/Q quit")
    p.add_argument("--headless", action="store_true",
                   help="no screen: SDL's dummy driver (1920x1080 when the show says 'native'), "
                        "for tests and benchmarks; use with --seconds")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after this many seconds (default: play until Esc/Q, a signal, or Quit)")
    p.add_argument("--stats-json", type=Path, default=None,
                   help="write frame statistics to this JSON file on exit (frames, dropped_frames, "
                        "fps_target, frame_ms_p50, frame_ms_p99, first_frame_s, generated, model, "
                        "scene, model_swaps, rejected_files, ...)")
    p.add_argument("--screenshot", type=Path, default=None,
                   help="save the last displayed frame as PNG on exit")
    p.add_argument("--size", default=None,
                   help="override the show's resolution, WIDTHxHEIGHT (e.g. 3840x2160)")
    p.add_argument("--captures", type=Path, default=None,
                   help="folder for the S key's PNGs (default: $AIMOJI_CAPTURES_DIR, which the service "
                        "sets, else out/captures/)")
    p.add_argument("--state", type=Path, default=None, metavar="FILE",
                   help="health state file, rewritten every 2 s and read by `aimoji status` (default: "
                        "$AIMOJI_STATE_FILE, which the service sets, else state/status.json)")
    p.add_argument("--last-model", type=Path, default=None, metavar="FILE",
                   help="record of the model last made 'latest' (file name + sha256), so a restart starts "
                        "on it rather than on the newest file by date (default: last_model.json in "
                        "$STATE_DIRECTORY, which the service gets, else state/last_model.json)")
    p.add_argument("--display-power", type=Path, default=None, metavar="FILE",
                   help="the commands that switch the display off and on for a show with "
                        "outside_hours.action = 'display_off' (default: $AIMOJI_DISPLAY_POWER_FILE, which "
                        "the service sets, else /etc/aimoji/display-power.toml; without it, closed "
                        "shows black). Must not be writable by group or others: see docs/operations.md")
    p.add_argument("--no-watch", action="store_true",
                   help="do not watch the models folder and the show for changes (hot reload); "
                        "SIGHUP still re-reads the show")
    p.add_argument("--osc", type=int, default=None, metavar="PORT",
                   help="listen for OSC control on this UDP port (off by default; the show's [osc] section "
                        "does the same). Addresses: docs/operations.md")
    p.add_argument("--osc-bind", default=None, metavar="ADDR",
                   help="address the OSC port listens on (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.add_argument("--osc-allow", action="append", default=None, metavar="CIDR",
                   help="senders OSC accepts, repeatable (default 127.0.0.1/32); others are refused")
    p.add_argument("--http", type=int, default=None, metavar="PORT",
                   help="serve the status page, /metrics and /status.json on this TCP port (off by default; "
                        "the show's [http] section does the same). docs/operations.md")
    p.add_argument("--http-bind", default=None, metavar="ADDR",
                   help="address the status page listens on (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.add_argument("--http-allow", action="append", default=None, metavar="CIDR",
                   help="clients the status page serves, repeatable (default 127.0.0.1/32); others are dropped")
    p.add_argument("--http-token-file", type=Path, default=None, metavar="PATH",
                   help="the control token that lets the page change what plays (POST /control); owned by "
                        "root or you, mode 0600. The service gets it as the credential 'control-token'. "
                        "Without one the page is read-only")
    p.add_argument("--screen", default=None, metavar="NAME",
                   help="which screen of the show's [wall] this PC is (default: the first word of "
                        "/etc/aimoji/screen); ignored by a show without a wall")
    p.add_argument("--batch", type=int, default=8,
                   help="images per inference call in the generation worker (default 8)")
    p.add_argument("--threads", type=int, default=1,
                   help="onnxruntime intra-op threads (default 1: on 2 cores the other one renders)")
    p.add_argument("--demo-gif", type=Path, default=None,
                   help="where the no-display demo goes when no screen is found (default out/demo.gif)")
    p.epilog = ("signals: SIGTERM/SIGINT stop within 2 s; SIGHUP re-reads the show (and its calibration). "
                "Under systemd (Type=notify) it reports READY=1 after the first emoji is on screen and "
                "WATCHDOG=1 while frames keep coming.")


def _error(line: str) -> int:
    print(line, file=sys.stderr)
    return 2


def load_models(args, show, models_dir: Path, log, last_model_file: Path | None = None) -> tuple[dict, str]:
    """{name: model} for 'latest' (model/choose.py: the record's model, else the newest that plays),
    every model a playlist entry names and the shipped default (the fallback for a model that keeps
    failing); raises ModelError/LookupError. The choice is recorded in last_model_file again."""
    from installation.model import last_shown
    from installation.model.choose import Chooser
    from installation.model.load import ModelError, load
    from installation.paths import DEFAULT_MODEL

    def load_one(path: Path):
        return load(path, intra_op_threads=args.threads, batch=args.batch)

    if args.model is not None:
        model = load_one(args.model)
        return {model.name: model}, model.name
    chooser = Chooser(models_dir, load_one, log)
    first = chooser.latest(last_model_file)
    models, latest = {first.name: first}, first.name
    if last_model_file is not None:
        try:
            last_shown.remember(last_model_file, first.path, first.sha256)
        except OSError as exc:
            log(f"{last_model_file}: cannot record the model shown ({exc.strerror or exc}); after a restart "
                "the newest file is 'latest' instead")
    for name in dict.fromkeys(entry.model for entry in show.playlist):
        if name == "latest" or name in models:
            continue
        try:
            models[name] = load_one(models_dir / f"{name}.onnx")
        except ModelError as exc:
            log(f"{exc}; that scene plays '{latest}' instead")
    default = models_dir / f"{DEFAULT_MODEL}.onnx"
    if DEFAULT_MODEL not in models and default.is_file() and chooser.attempt(default) is not None:
        models[DEFAULT_MODEL] = chooser.attempt(default)
    return models, latest


def osc_settings(args, show):
    """OSC from --osc* over the show's [osc]; None when off. ValueError names the bad option."""
    from installation.service.remote.listen import check_options
    from installation.service.remote.osc import Settings

    check_options("osc", args.osc, args.osc_bind, args.osc_allow)
    return Settings.resolve(show.osc, args.osc, args.osc_bind, args.osc_allow)


def http_settings(args, show):
    """The status page from --http* over the show's [http] (None when off), and its control token:
    (settings, (token or None, where it came from or why control is off)). ValueError names the bad
    option or file."""
    from installation.service.remote import control_token
    from installation.service.remote.http_status import Settings
    from installation.service.remote.listen import check_options

    check_options("http", args.http, args.http_bind, args.http_allow)
    settings = Settings.resolve(show.http, args.http, args.http_bind, args.http_allow)
    if settings is None:
        if args.http_token_file is not None:
            raise ValueError(f"--http-token-file {args.http_token_file}: the status page is off; allowed: "
                             "with --http PORT or the show's [http]")
        return None, (None, "")
    try:
        return settings, control_token.find_token(args.http_token_file)
    except control_token.TokenError as exc:
        raise ValueError(f"--http-token-file {exc}" if args.http_token_file else str(exc)) from None


def this_screen(explicit: str | None, show, show_path: Path) -> str | None:
    """This PC's screen name: --screen, else /etc/aimoji/screen's first word; for a show with a [wall]
    it must be one of its screens (ScreenError, one line naming the file), for one without it may be
    missing (None) until a show with a wall arrives."""
    from installation.paths import SCREEN_FILE
    from installation.show.wall import ScreenError, region_for, screen_name

    try:
        name = screen_name(explicit, SCREEN_FILE)
    except ScreenError:
        if show.wall is not None:
            raise
        return None
    region_for(show.wall, name, show_path)
    return name


def _demo(models: dict, latest: str, show, out: Path) -> int:
    from installation.player.render import LoopSpec, loop_frames, write_loop
    from installation.scenes.registry import DEFAULT, KINDS
    from installation.scenes.walk import walk_for

    model = models[latest]
    spec = LoopSpec(seconds=DEMO_SECONDS, fps=15, size_px=256, scale=show.display.scale,
                    background=show.display.background_rgb)
    write_loop(loop_frames(model, KINDS[DEFAULT].entry(), walk_for(show, model.info.z_dim), spec), out, 15,
               total=spec.frames, progress=False)
    return 0


def run(args) -> int:
    started = time.monotonic()
    from installation.service.health import logs
    logs.setup()
    if args.headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    from installation.display.output import (EXIT_NO_DISPLAY, DisplayUnavailable, display_available,
                                             mode_size, open_display, probe_vsync)
    from installation.model.load import ModelError
    from installation.paths import CAPTURES_DIR, DEMO_GIF, MODELS_DIR, SHOWS_DIR
    from installation.show.config import ShowError, load_show, parse_size, resolve_show_path

    try:
        resolution = parse_size(args.size) if args.size else None
    except ValueError as exc:
        return _error(f"aimoji play: --size {exc}")
    if args.seconds is not None and args.seconds <= 0:
        return _error(f"aimoji play: --seconds {args.seconds} must be positive")
    show_path = resolve_show_path(args.show, SHOWS_DIR)
    try:
        show = load_show(show_path)
    except ShowError as exc:
        return _error(str(exc))
    from installation.show.wall import ScreenError
    try:
        screen = this_screen(args.screen, show, show_path)
    except ScreenError as exc:
        return _error(str(exc))
    try:
        osc = osc_settings(args, show)
        http, token = http_settings(args, show)
    except ValueError as exc:
        return _error(f"aimoji play: {exc}")
    log = logging.getLogger("aimoji.player").warning
    models_dir = args.models or MODELS_DIR
    from installation.model import last_shown
    # --model plays one file and hot reload hands nothing over: there is no 'latest' to remember.
    record = None if args.model is not None else (args.last_model or last_shown.path_for())
    try:
        models, latest = load_models(args, show, models_dir, log, record)
    except (ModelError, LookupError) as exc:
        return _error(str(exc))
    if not args.headless and not display_available():
        out = args.demo_gif or DEMO_GIF
        print(f"no display here (no DISPLAY/WAYLAND_DISPLAY, no usable /dev/dri or /dev/fb0): "
              f"wrote a {DEMO_SECONDS:g} s demo of '{latest}' to {out} instead", flush=True)
        return _demo(models, latest, show, out)

    from installation.player.loop import Player
    from installation.service import runtime
    from installation.service.health import report

    calibrations = runtime.Calibrations()
    calibration = calibrations.for_show(show, show_path)
    calibration = None if calibration is runtime.UNCHANGED else calibration
    captures = args.captures or (Path(os.environ["AIMOJI_CAPTURES_DIR"]) if os.environ.get("AIMOJI_CAPTURES_DIR")
                                 else CAPTURES_DIR)
    fullscreen = show.display.fullscreen and not args.windowed and not args.headless
    resolution = resolution or show.display.size()
    size = mode_size(resolution, fullscreen, args.headless)
    say = logging.getLogger("aimoji.player")
    try:
        display = open_display(size, fullscreen, title=f"AImoji — {show.title}", renderer=show.display.renderer)
    except DisplayUnavailable as exc:
        # No traceback: the line names what failed. Under systemd the unit restarts the player (a
        # display driver may load late); docs/operations.md, "Display paths".
        say.error("%s", exc)
        return EXIT_NO_DISPLAY
    try:
        # Let vsync pace the loop only where presents really arrive at the show's rate.
        vsync = display.vsync and probe_vsync(display, show.display.fps)
        (say.warning if display.fallback else say.info)(
            "display: %s, %s", display.line, "vsync" if vsync else "paced by the loop's clock")
        player = Player(show, models, latest, display, vsync=vsync, keys=show.display.keys or args.windowed,
                        captures_dir=captures, calibration=calibration, batch=max(1, args.batch),
                        started_at=started, override=osc.override if osc is not None else "until_released",
                        screen=screen)
        state_path = args.state or report.state_path_for_writing()
        with runtime.companions(player, models_dir=models_dir, explicit_show=args.show, show_folder=SHOWS_DIR,
                                watch=not args.no_watch, state_path=state_path, calibrations=calibrations,
                                accept_models=args.model is None, last_model_file=record,
                                power_file=args.display_power, osc=osc, http=http,
                                token=token, panel=not args.headless), render_core(say.info):
            stats = player.run(seconds=args.seconds, screenshot=args.screenshot)
    finally:
        display.close()
    stats["show_file"] = str(show_path)
    if args.stats_json is not None:
        args.stats_json.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(args.stats_json, stats, indent=2)
    if stats.get("worker_error"):
        logging.getLogger("aimoji.player").error("generation stopped: %s", stats["worker_error"])
    return 0
