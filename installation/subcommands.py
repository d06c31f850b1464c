"""A small dispatcher shared by `aimoji` and `aimoji-train`: one module per subcommand, imported lazily.

A command module provides `add_arguments(parser)` and `run(args) -> int`. Only the module of the
command being run is imported, so `--help` stays fast and `aimoji` never pulls in the trainer.
Both entry points pass through `dispatch`, so `--version` and a closed pipe are handled here once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from installation.version import package_version


def _module_name(package: str, command: str) -> str:
    return f"{package}.{command.replace('-', '_')}"


def build_parser(prog: str, description: str, epilog: str, commands: dict[str, str],
                 package: str, only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if name == only:
            importlib.import_module(_module_name(package, name)).add_arguments(p)
    return parser


def dispatch(argv: list[str], prog: str, description: str, epilog: str,
             commands: dict[str, str], package: str) -> int:
    """Parse argv, run the chosen command's module and return its exit code."""
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(prog, description, epilog, commands, package,
                          only=command if command in commands else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(_module_name(package, args.command))
    try:
        code = int(module.run(args) or 0)
        sys.stdout.flush()   # a closed pipe shows here, not at exit where Python would print a traceback
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `aimoji status | head`: the reader has gone, and that is no error of ours. As Python's docs
        # (signal module, "Note on SIGPIPE") recommend: point stdout at devnull so the flush at exit is
        # silent, and exit 1.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
