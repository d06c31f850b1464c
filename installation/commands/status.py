"""`aimoji status`: print the running player's health from its state file; non-zero exit if unhealthy."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from installation.service.health import report as health

EXIT_OK, EXIT_UNHEALTHY, EXIT_MISSING = 0, 1, 3  # 3 = "not running", as `systemctl status` uses


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", type=Path, metavar="FILE",
        help="state file the player writes every 2 s (default: $AIMOJI_STATE_FILE, else "
             f"{health.SYSTEM_STATE_FILE} when the service runs, else {health.LOCAL_STATE_FILE})")
    parser.add_argument(
        "--max-age", type=float, default=health.DEFAULT_MAX_AGE_S, metavar="S",
        help="seconds after which an unchanged state file counts as stale, i.e. the player is hung or "
             "gone (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print the state and the verdict as JSON, for monitoring scripts")
    parser.epilog = ("exit status: 0 healthy, 1 unhealthy (stale, stalled, frozen, blank, slow or still "
                     "starting), 3 no state file (player not running), 2 unreadable state file")


def run(args: argparse.Namespace) -> int:
    path = args.state if args.state is not None else health.state_path_for_reading()
    now = time.monotonic()  # CLOCK_MONOTONIC: the player's clock too, on the same boot
    try:
        state = health.read_report(path)
    except (ValueError, OSError) as exc:
        print(f"aimoji status: {exc}", file=sys.stderr)
        return 2
    problems = health.judge(state, now, health.boot_id(), args.max_age)
    if args.json:
        print(json.dumps({"healthy": not problems, "problems": problems, "state_file": str(path),
                          "state": None if state is None else health.as_dict(state)}, indent=1, sort_keys=True))
    elif state is None:
        print(f"AImoji player: NOT RUNNING (no state file at {path})")
    else:
        print(health.format_report(state, problems, now, path))
    if state is None:
        return EXIT_MISSING
    return EXIT_UNHEALTHY if problems else EXIT_OK
