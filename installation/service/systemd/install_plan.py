"""What `aimoji install-service` does, as a list of steps: files to write or remove, commands to run.

Pure: takes the options, the unit templates (systemd/*) and facts about the machine, returns steps.
The command prints the plan (--dry-run) or carries it out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath as P

from installation.service.remote import listen

DISPLAYS = ("kms", "cage", "x11")
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
BACKOFF_MIN_SYSTEMD = 254  # RestartSteps= / RestartMaxDelaySec= appeared in systemd 254

SYSTEM_UNIT = P("etc/systemd/system/aimoji.service")
DROPIN_DIR = P("etc/systemd/system/aimoji.service.d")
USER_UNIT = P("etc/systemd/user/aimoji.service")
USER_NAMESPACES = P("etc/systemd/user/aimoji.service.d/namespaces.conf")  # x11: the sandbox needing userns
AUTOSTART = P("etc/xdg/autostart/aimoji.desktop")
LIGHTDM_CONF = P("etc/lightdm/lightdm.conf.d/50-aimoji-autologin.conf")
SYSUSERS = P("etc/sysusers.d/aimoji.conf")
TMPFILES = P("etc/tmpfiles.d/aimoji.conf")
DISPLAY_POWER = P("etc/aimoji/display-power.toml")  # written by the technician, never by the plan
CONTROL_TOKEN = P("etc/aimoji/control-token")  # the status page's control token: the technician's too
NETWORK_DROPIN = DROPIN_DIR / "network.conf"
HOME_ROOTS = ("/home/", "/root/", "/run/user/")


@dataclass(frozen=True)
class Options:
    user: str = "aimoji"
    display: str = "kms"
    aimoji: str = "/opt/aimoji/.venv/bin/aimoji"  # the console script ExecStart runs
    app_dir: str = "/opt/aimoji"  # project folder: show_configs/, exported_models/
    cage: str = "/usr/bin/cage"
    # OSC and the status page (off when port is None): written into network.conf, the one drop-in that
    # lets the sandboxed player onto the network.
    osc_port: int | None = None
    osc_bind: str | None = None
    osc_allow: tuple[str, ...] = ()
    http_port: int | None = None
    http_bind: str | None = None
    http_allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Write:
    path: P  # relative to the install root
    text: str
    why: str


@dataclass(frozen=True)
class Remove:
    path: P
    why: str


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    why: str


Step = Write | Remove | Run


class PlanError(ValueError):
    """Options that cannot make a working installation; one line for the technician."""


def render(template: str, values: dict[str, str]) -> str:
    """Fill @NAME@ placeholders; every placeholder must have a value."""
    out = re.sub(r"@([A-Z_]+)@", lambda m: values.get(m.group(1), m.group(0)), template)
    left = sorted(set(re.findall(r"@([A-Z_]+)@", out)))
    if left:
        raise PlanError(f"template placeholders without a value: {', '.join(left)}")
    return out


def check_options(opts: Options) -> None:
    if opts.display not in DISPLAYS:
        raise PlanError(f"--display {opts.display!r}: choose one of {', '.join(DISPLAYS)}")
    if not USER_NAME.match(opts.user) or opts.user == "root":
        raise PlanError(f"--user {opts.user!r}: a system user name such as 'aimoji' (not root)")
    for name, value in (("aimoji", opts.aimoji), ("app dir", opts.app_dir), ("cage", opts.cage)):
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise PlanError(f"{name} path {value!r} must be absolute and without spaces")
    for flag in ("osc", "http"):
        port, bind, allow = (getattr(opts, f"{flag}_{k}") for k in ("port", "bind", "allow"))
        try:
            listen.check_options(flag, port, bind, allow)
        except ValueError as exc:
            raise PlanError(str(exc)) from None
        if port is None and (bind or allow):
            raise PlanError(f"--{flag}-bind/--{flag}-allow without --{flag} PORT: nothing would listen")
    if opts.display == "x11" and (opts.osc_port or opts.http_port):
        raise PlanError("--osc/--http with --display x11: a session service cannot limit which addresses "
                        "reach it; use --display kms or cage")


def network_args(opts: Options) -> list[str]:
    """The `aimoji play` options for OSC and the status page."""
    args: list[str] = []
    for flag in ("osc", "http"):
        port, bind, allow = (getattr(opts, f"{flag}_{k}") for k in ("port", "bind", "allow"))
        if port is None:
            continue
        args += [f"--{flag}", str(port)] + ([f"--{flag}-bind", bind] if bind else [])
        args += [a for cidr in allow for a in (f"--{flag}-allow", cidr)]
    return args


def _network_dropin(opts: Options, has_token: bool) -> str | None:
    """With OSC or the status page on: the network, for the allowed senders only, and the token."""
    args = network_args(opts)
    if not args:
        return None
    allow = ["localhost"] + sorted({c for c in (*opts.osc_allow, *opts.http_allow)}, key=str)
    lines = ["# OSC and/or the status page: the player may use IPv4/IPv6, and only the allowed networks",
             "# (and this PC) reach it. Written by `aimoji install-service --osc/--http ...`; without those",
             "# options install-service removes it and the player is off the network again.",
             "[Service]", "PrivateNetwork=no", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
             "IPAddressDeny=any", *[f"IPAddressAllow={a}" for a in allow]]
    if opts.http_port is not None and has_token:
        lines += ["# The page's control token, root-owned; the player reads its private copy in "
                  "$CREDENTIALS_DIRECTORY.", f"LoadCredential=control-token:/{CONTROL_TOKEN}"]
    lines.append(f'Environment="AIMOJI_PLAY_ARGS={" ".join(args)}"')
    return "\n".join(lines) + "\n"


def home_binds(opts: Options) -> list[str]:
    """The folders under a home folder that the kms and cage units bind back in (ProtectHome= hides the
    rest): the app folder and the venv the aimoji program is in."""
    return sorted({p for p in (opts.app_dir, str(P(opts.aimoji).parent.parent)) if p.startswith(HOME_ROOTS)})


def _home_dropin(opts: Options) -> str | None:
    """ProtectHome= hides /home; if the player lives there, bind its folders back in, read-only."""
    paths = home_binds(opts)
    if not paths:
        return None
    return ("# The player is installed under a home folder, which ProtectHome= would hide.\n"
            "[Service]\nProtectHome=tmpfs\n" + "".join(f"BindReadOnlyPaths={p}\n" for p in paths))


# /proc/sys files that say whether an unprivileged process (the x11 variant's user manager) may create a
# user namespace; a kernel without one of them has no such restriction.
USERNS_SYSCTLS = ("kernel/apparmor_restrict_unprivileged_userns", "kernel/unprivileged_userns_clone",
                  "user/max_user_namespaces")


def user_namespaces_refused(sysctls: Mapping[str, str]) -> str | None:
    """Why a user manager cannot create a user namespace here (the x11 unit's sandbox needs one), from
    the USERNS_SYSCTLS values that exist; None when it can."""
    def value(name: str, default: str) -> str:
        return sysctls.get(name, default).strip()
    if value("kernel/apparmor_restrict_unprivileged_userns", "0") == "1":
        return "kernel.apparmor_restrict_unprivileged_userns = 1 (AppArmor, the default since Ubuntu 23.10)"
    if value("kernel/unprivileged_userns_clone", "1") == "0":
        return "kernel.unprivileged_userns_clone = 0"
    if value("user/max_user_namespaces", "1") == "0":
        return "user.max_user_namespaces = 0"
    return None


def plan(opts: Options, templates: dict[str, str], systemd_version: int, existing: set[P],
         has_lightdm: bool, has_token: bool = False, systemd_running: bool = True,
         user_namespaces: bool = True) -> list[Step]:
    """Steps for the chosen display variant. `templates`: file name in systemd/ -> text;
    `existing`: which of the paths above are already installed (to remove another variant's files);
    has_token: /etc/aimoji/control-token exists (the status page may take control with it);
    `systemd_running`: false while an image is being built in a chroot, where systemd is not PID 1:
    then there is no manager to reload (enable and set-default work on the files alone);
    `user_namespaces`: an unprivileged user manager may create one (user_namespaces_refused), so the x11
    unit gets its namespace sandbox; where it may not, that drop-in would fail the whole unit."""
    check_options(opts)
    values = {"USER": opts.user, "AIMOJI": opts.aimoji, "APP_DIR": opts.app_dir, "CAGE": opts.cage,
              "SHELL": "/bin/bash" if opts.display == "x11" else "/usr/sbin/nologin"}
    steps: list[Step] = [
        Write(SYSUSERS, render(templates["sysusers.conf"], values), f"system user '{opts.user}' and its groups"),
        Write(TMPFILES, render(templates["tmpfiles.conf"], values), "its home and captures folder"),
    ]
    if opts.display == "x11":
        steps += [
            Write(USER_UNIT, render(templates["aimoji-x11.service"], values), "user service for the X11 session"),
            Write(AUTOSTART, render(templates["aimoji.desktop"], values), "starts it when the session starts"),
        ]
        if has_lightdm:
            steps.append(Write(LIGHTDM_CONF, render(templates["lightdm-autologin.conf"], values),
                               f"LightDM logs '{opts.user}' in automatically"))
        if user_namespaces:
            steps.append(Write(USER_NAMESPACES, templates["x11-namespaces.conf"],
                               "its sandbox's namespaces (this kernel lets the user manager make them)"))
        stale = [SYSTEM_UNIT, DROPIN_DIR / "display.conf", DROPIN_DIR / "backoff.conf", DROPIN_DIR / "home.conf",
                 NETWORK_DROPIN] + ([] if user_namespaces else [USER_NAMESPACES])
    else:
        steps += [
            Write(SYSTEM_UNIT, render(templates["aimoji.service"], values), "the hardened system service"),
            Write(DROPIN_DIR / "display.conf", render(templates[f"{opts.display}.conf"], values),
                  f"display: {opts.display}"),
        ]
        if systemd_version >= BACKOFF_MIN_SYSTEMD:
            steps.append(Write(DROPIN_DIR / "backoff.conf", templates["backoff.conf"],
                               f"exponential restart back-off (systemd {systemd_version})"))
        home = _home_dropin(opts)
        if home:
            steps.append(Write(DROPIN_DIR / "home.conf", home, "player lives under /home: bind it in"))
        network = _network_dropin(opts, has_token)
        if network:
            steps.append(Write(NETWORK_DROPIN, network, "network for " + " and ".join(
                name for name, port in (("OSC", opts.osc_port), ("the status page", opts.http_port)) if port)))
        stale = [USER_UNIT, USER_NAMESPACES, AUTOSTART, LIGHTDM_CONF]
        if not network:
            stale.append(NETWORK_DROPIN)
        if systemd_version < BACKOFF_MIN_SYSTEMD:
            stale.append(DROPIN_DIR / "backoff.conf")
        if not home:
            stale.append(DROPIN_DIR / "home.conf")
    if opts.display == "x11" and SYSTEM_UNIT in existing:
        steps.append(Run(("systemctl", "disable", "aimoji.service"), "no system service in this variant"))
    if opts.display != "x11" and USER_UNIT in existing:
        steps.append(Run(("systemctl", "--global", "disable", "aimoji.service"), "no session service now"))
    steps += [Remove(p, _why_removed(p, opts)) for p in stale if p in existing]
    steps += [
        Run(("systemd-sysusers", "/" + str(SYSUSERS)), "create the user"),
        Run(("systemd-tmpfiles", "--create", "/" + str(TMPFILES)), "create its folders"),
    ]
    if systemd_running:
        steps.append(Run(("systemctl", "daemon-reload"), "make systemd read the new units"))
    if opts.display == "x11":
        steps.append(Run(("systemctl", "--global", "enable", "aimoji.service"), "start with the session"))
    else:
        steps += [
            Run(("systemctl", "enable", "aimoji.service"), "start at boot"),
            Run(("systemctl", "set-default", "multi-user.target"),
                "boot without a desktop, which would hold the screen (undo: set-default graphical.target)"),
        ]
    return steps


def _why_removed(path: P, opts: Options) -> str:
    if path == NETWORK_DROPIN and opts.display != "x11":
        return "network off: no --osc/--http"
    if path == USER_NAMESPACES and opts.display == "x11":
        return "this kernel refuses the user manager its user namespaces"
    return "left from another variant"


def format_step(step: Step, root: str = "/") -> str:
    base = root.rstrip("/")
    if isinstance(step, Write):
        return f"write   {base}/{step.path}   # {step.why}"
    if isinstance(step, Remove):
        return f"remove  {base}/{step.path}   # {step.why}"
    return f"run     {' '.join(step.argv)}   # {step.why}"


def parse_systemd_version(text: str) -> int:
    """'systemd 252 (252.39-1~deb12u2)' -> 252; 0 if unknown."""
    m = re.match(r"systemd (\d+)", text.strip())
    return int(m.group(1)) if m else 0
