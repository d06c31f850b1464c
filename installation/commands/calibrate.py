"""`aimoji calibrate`: fullscreen test patterns and keyboard adjustments, saved as a calibration profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_PROFILE = Path("show_configs/calibration.toml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE, metavar="FILE",
                        help="calibration profile to edit: loaded if it exists, written by S "
                             "(default: %(default)s). Name it in the show: calibration = \"FILE\"")
    parser.add_argument("--windowed", action="store_true",
                        help="a 1280x720 window instead of fullscreen (trying it on a laptop)")
    parser.add_argument("--models", type=Path, default=None, metavar="DIR",
                        help="where the live emoji pattern finds the newest .onnx model "
                             "(default: exported_models/ of this checkout)")
    parser.add_argument("--screenshots", type=Path, default=None, metavar="DIR",
                        help="save every pattern through the profile as DIR/NN-name.png (and "
                             "00-legend.png with the legend) and exit, without a screen")
    parser.add_argument("--size", default="1920x1080", metavar="WxH",
                        help="screen size for --screenshots (default: %(default)s)")
    parser.epilog = ("keys: Tab or 1-6 pattern, Up/Down setting, Left/Right change (Shift x10), R rotate, "
                     "H/V mirror, Backspace reset one, Del reset all, S save, L legend, Esc quit")


def run(args: argparse.Namespace) -> int:
    from installation.calibration import profile as cal
    from installation.show.config import parse_size

    try:
        profile = cal.load_profile(args.profile) if args.profile.exists() else cal.IDENTITY
    except cal.ProfileError as exc:
        print(f"aimoji calibrate: {exc}", file=sys.stderr)
        return 2
    try:
        size = parse_size(args.size)
        if min(size) < 64:
            raise ValueError(f"'{args.size}' is too small for the patterns; allowed: at least 64x64")
    except ValueError as exc:
        print(f"aimoji calibrate: --size {exc}", file=sys.stderr)
        return 2

    import pygame

    from installation.calibrate import ui
    from installation.paths import MODELS_DIR

    emoji, note = ui.load_emoji_source(args.models or MODELS_DIR)
    print(note)
    if args.screenshots is not None:
        return _screenshots(args.screenshots, size, args.profile, profile, emoji, note)
    from installation.display.output import EXIT_NO_DISPLAY, DisplayUnavailable

    try:
        display = ui.open_screen(args.windowed)
    except DisplayUnavailable as exc:
        print(f"aimoji calibrate: {exc}", file=sys.stderr)
        return EXIT_NO_DISPLAY
    print(f"display: {display.line}")
    app = ui.CalibrateUI(display, args.profile, profile, emoji, note)
    clock = pygame.time.Clock()
    try:
        while app.step():
            clock.tick(30)
    finally:
        display.close()
        pygame.quit()
    return 0


def _screenshots(folder: Path, size, profile_path: Path, profile, emoji, note: str) -> int:
    import pygame

    from installation.calibrate import ui

    from installation.display import sdl_init
    from installation.display.output import Window

    sdl_init.init()
    pygame.font.init()
    screen = pygame.display.set_mode(size)
    app = ui.CalibrateUI(Window(screen), profile_path, profile, emoji, note, clock=lambda: 3.0)
    folder.mkdir(parents=True, exist_ok=True)
    shots = [(0, True, "00-legend.png")] + [
        (i, False, f"{i + 1:02d}-{name.replace(' ', '-')}.png") for i, name in enumerate(app.state.names)]
    for index, legend, file_name in shots:
        app.state.pattern, app.state.legend = index, legend
        app.draw()
        pygame.image.save(screen, str(folder / file_name))
        print(folder / file_name)
    pygame.quit()
    return 0
