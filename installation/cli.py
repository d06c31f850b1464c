"""`aimoji`: the installation's command line (play, render, check, schedule, schema, calibrate, status, ...).

Each command lives in `installation/commands/<name>.py` (see installation/subcommands.py).
"""

from __future__ import annotations

import sys

from installation.subcommands import dispatch

# name -> one-line help. Order is the order shown in --help.
COMMANDS = {
    "play": "run the fullscreen player (the installation itself)",
    "render": "render a seamless loop of the latent walk to MP4, GIF or PNG frames",
    "check": "validate show configs and model files; one line per problem",
    "schedule": "what plays when: a show's days as a timeline or a picture, or one instant (--at)",
    "schema": "print the JSON Schema of a show config",
    "calibrate": "on-site calibration: test patterns, colour and geometry, saved as a profile",
    "status": "print the running player's health; non-zero exit if stale or unhealthy",
    "install-service": "install the systemd units, user and folders for a gallery PC",
}

EPILOG = """examples:
  aimoji play                       fullscreen, default show (show_configs/active.toml or default.toml)
  aimoji play --windowed            in a window, e.g. to try a show on a laptop
  aimoji check show_configs/ exported_models/
  aimoji schedule show_configs/museum_week.toml --days 14   what plays when, day by day
  aimoji render --model exported_models/default.onnx --seconds 10 --out loop.mp4
run 'aimoji COMMAND --help' for the options of one command."""

DESCRIPTION = "AImoji gallery runtime: generated emoji morphing forever."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return dispatch(argv, "aimoji", DESCRIPTION, EPILOG, COMMANDS, "installation.commands")


if __name__ == "__main__":
    sys.exit(main())
