"""`aimoji install-service`: install the systemd units, user and folders that run the player unattended."""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from installation.service.remote.control_token import TokenError, read_token
from installation.service.systemd import install_plan as sp
from installation.service.systemd import reach
from installation.atomic import write_text_atomic

TEMPLATES = Path(__file__).resolve().parents[2] / "systemd"


# Not a step of the plan: the right command depends on the screen (xset, ddcutil, cec-ctl), and a wrong
# one would fail and be retried from every start. So the installer only says where it goes.
TOKEN_HINT = ("the status page is read-only: no control token in {path}. To control from the page, create "
              "one (install -m 0600 -o root /dev/stdin {path}, then type a secret and Ctrl-D) and run "
              "install-service again")
POWER_HINT = ("for display_off outside hours, put the screen's off/on commands in {path} (root-owned, "
              "mode 0644; example: systemd/display-power.toml, docs/operations.md); without it closed "
              "shows are black")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default="aimoji", metavar="NAME",
                        help="unprivileged system user the player runs as; created if missing "
                             "(default: %(default)s)")
    parser.add_argument("--display", choices=sp.DISPLAYS, default="kms",
                        help="kms: straight to the screen, no desktop (default); cage: Wayland kiosk "
                             "(apt install cage xwayland); x11: inside a desktop session that logs the "
                             "user in automatically. docs/operations.md helps choose")
    parser.add_argument("--prefix", default="/", metavar="DIR",
                        help="install root (default: /). Any other folder only receives the files, "
                             "for staging or inspection; no user is created and systemctl is not run")
    parser.add_argument("--app-dir", default=str(TEMPLATES.parent), metavar="DIR",
                        help="project folder with show_configs/ and exported_models/, the service's "
                             "working directory (default: this checkout, %(default)s)")
    parser.add_argument("--aimoji", default=_default_aimoji(), metavar="PATH",
                        help="the aimoji program the service starts (default: %(default)s)")
    for flag, what, proto in (("osc", "OSC control", "UDP"), ("http", "the status page and /metrics", "TCP")):
        parser.add_argument(f"--{flag}", type=int, default=None, metavar="PORT",
                            help=f"{what} on this {proto} port: writes the network drop-in that lets the "
                                 "player onto the network for the allowed senders only (default: off, no network)")
        parser.add_argument(f"--{flag}-bind", default=None, metavar="ADDR",
                            help="address it listens on (default 127.0.0.1; 0.0.0.0 for every interface)")
        parser.add_argument(f"--{flag}-allow", action="append", default=[], metavar="CIDR",
                            help="senders allowed, repeatable (default: this PC only)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.epilog = ("example: sudo .venv/bin/aimoji install-service --display kms && sudo reboot\n"
                     "then: systemctl status aimoji; journalctl -u aimoji -f; aimoji status")


# sd_booted(): systemd is the init system of the running machine (not so in an image builder's chroot).
SYSTEMD_RUNNING = Path("/run/systemd/system")
PROC_SYS = Path("/proc/sys")


def _default_aimoji() -> str:
    beside = Path(sys.executable).with_name("aimoji")  # not resolved: keep the venv's own path
    return str(beside) if beside.exists() else (shutil.which("aimoji") or str(beside))


def _systemd_version() -> int:
    try:
        out = subprocess.run(["systemctl", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sp.parse_systemd_version(out.stdout)


def _sysctls() -> dict[str, str]:
    """The running kernel's user namespace knobs (install_plan.USERNS_SYSCTLS) that it has."""
    out = {}
    for name in sp.USERNS_SYSCTLS:
        try:
            out[name] = (PROC_SYS / name).read_text()
        except OSError:
            pass
    return out


def _templates() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in TEMPLATES.iterdir() if p.is_file()}


def run(args: argparse.Namespace) -> int:
    root = Path(args.prefix)
    staging = root.resolve() != Path("/")
    opts = sp.Options(user=args.user, display=args.display, aimoji=args.aimoji,
                      app_dir=str(Path(args.app_dir).resolve()), cage=shutil.which("cage") or "/usr/bin/cage",
                      osc_port=args.osc, osc_bind=args.osc_bind, osc_allow=tuple(args.osc_allow),
                      http_port=args.http, http_bind=args.http_bind, http_allow=tuple(args.http_allow))
    known = [sp.SYSTEM_UNIT, sp.USER_UNIT, sp.USER_NAMESPACES, sp.AUTOSTART, sp.LIGHTDM_CONF,
             sp.DROPIN_DIR / "display.conf", sp.DROPIN_DIR / "backoff.conf", sp.DROPIN_DIR / "home.conf",
             sp.NETWORK_DROPIN]
    existing = {p for p in known if (root / p).exists()}
    has_token = (root / sp.CONTROL_TOKEN).exists()
    userns_refused = sp.user_namespaces_refused(_sysctls())
    try:
        if opts.http_port is not None and has_token:
            # The unit hands this file to the player, which refuses to start with a bad one (a 0644 file:
            # its secret was readable by every user of this PC): say so now, not in a restart loop.
            read_token(root / sp.CONTROL_TOKEN)
        steps = sp.plan(opts, _templates(), _systemd_version(), existing, (root / "etc/lightdm").is_dir(),
                        has_token, systemd_running=SYSTEMD_RUNNING.is_dir(), user_namespaces=userns_refused is None)
    except (sp.PlanError, TokenError, KeyError, OSError) as exc:
        print(f"aimoji install-service: {exc}", file=sys.stderr)
        return 2
    unreachable = [] if staging else reach.problems(_places(opts), opts, _uid(opts.user))
    if unreachable:   # the service would fail at every start with "Permission denied" or "No such file"
        for line in unreachable:
            print(f"aimoji install-service: {line}", file=sys.stderr)
        return 2
    if opts.display == "x11" and userns_refused:
        print(f"warning: {userns_refused}: this kernel refuses the user manager the user namespace that the x11 "
              "unit's sandbox needs (PrivateUsers=, ProtectSystem=, PrivateNetwork= ...), so the unit goes "
              "without it (seccomp still keeps it off the network); --display kms or cage keeps the whole "
              "sandbox", file=sys.stderr)
    for warning in _warnings(opts):
        print(f"warning: {warning}", file=sys.stderr)
    if args.dry_run:
        print(f"plan for --display {opts.display} --user {opts.user} (nothing changed):")
        for step in steps:
            print("  " + sp.format_step(step, str(root)))
        _hints(root, opts, has_token)
        return 0
    if not staging and os.geteuid() != 0:
        print("aimoji install-service: needs root to write /etc (run it with sudo), or use --dry-run",
              file=sys.stderr)
        return 2
    for step in steps:
        print(sp.format_step(step, str(root)))
        if isinstance(step, sp.Write):
            (root / step.path).parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(root / step.path, step.text, mode=0o644)
        elif isinstance(step, sp.Remove):
            (root / step.path).unlink(missing_ok=True)
        elif staging:
            print("        (skipped: staging under --prefix)")
        else:
            done = subprocess.run(list(step.argv))
            if done.returncode != 0:
                print(f"aimoji install-service: '{' '.join(step.argv)}' failed (exit {done.returncode})",
                      file=sys.stderr)
                return 1
    if not staging:
        print("installed. Start now with 'systemctl start aimoji' (x11: log in again), or reboot.")
    _hints(root, opts, has_token)
    return 0


def _hints(root: Path, opts: sp.Options, has_token: bool) -> None:
    if not (root / sp.DISPLAY_POWER).exists():
        print(POWER_HINT.format(path=root / sp.DISPLAY_POWER))
    if opts.http_port is not None and not has_token:
        print(TOKEN_HINT.format(path=root / sp.CONTROL_TOKEN))


def _warnings(opts: sp.Options) -> list[str]:
    out = []
    if not Path(opts.aimoji).exists():
        out.append(f"{opts.aimoji} does not exist yet; the service will fail until it does")
    if opts.display == "cage" and not shutil.which("cage"):
        out.append("cage is not installed: apt install cage xwayland")
    return out


def _places(opts: sp.Options) -> list[reach.Place]:
    """What the unit runs, where it really is: the app folder, the aimoji program, the Python in its
    first line and the Python that venv was made from (reach.problems judges them)."""
    places = [_place("the app folder", opts.app_dir, reach.APP_FIX),
              _place("the aimoji program", opts.aimoji, reach.VENV_FIX)]
    try:
        with open(opts.aimoji, encoding="utf-8", errors="replace") as fh:
            python = reach.interpreter_of(fh.readline(400))
    except OSError:
        return places   # not there yet: _warnings says so
    if python:
        places.append(_place("its Python", python, reach.VENV_FIX))
        try:
            home = reach.venv_home((Path(python).parent.parent / "pyvenv.cfg").read_text(encoding="utf-8"))
        except OSError:
            home = None
        if home:
            places.append(_place("the Python its venv was made from", home, reach.VENV_FIX))
    return places


def _place(what: str, path: str, fix: str) -> reach.Place:
    real = Path(os.path.realpath(path))
    chain = []
    for folder in (*reversed(real.parents), real):
        try:
            info = os.stat(folder)
        except OSError:
            break
        chain.append(reach.Folder(str(folder), info.st_mode, info.st_uid))
    return reach.Place(what, str(real), tuple(chain), fix)


def _uid(user: str) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None   # created by the install: it owns nothing yet
