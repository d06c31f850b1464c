"""A small dispatcher shared by `aimoji` and `aimoji-train`: one module per subcommand, imported lazily.

A command module provides `add_arguments(parser)` and `run(args) -> int`. Only the module of the
command being run is imported, so `--help` stays fast and `aimoji` never pulls in the trainer.
"""

from __future__ import annotations

import argparse
import importlib


def _module_name(package: str, command: str) -> str:
    return f"{package}.{command.replace('-', '_')}"


def build_parser(prog: str, description: str, epilog: str, commands: dict[str, str],
                 package: str, only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
