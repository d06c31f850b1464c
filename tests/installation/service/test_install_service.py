"""`aimoji install-service`: the plan per display variant, dry-run output, and staging under --prefix."""


import pytest

from installation.service.systemd import install_plan as sp
from installation.cli import main
from installation.commands import install_service
from installation.commands.install_service import TEMPLATES

T = {p.name: p.read_text() for p in TEMPLATES.iterdir() if p.is_file()}
OPTS = sp.Options(aimoji="/opt/aimoji/.venv/bin/aimoji", app_dir="/opt/aimoji")


def _paths(steps, kind):
    return [str(s.path) for s in steps if isinstance(s, kind)]


def _runs(steps):
    return [" ".join(s.argv) for s in steps if isinstance(s, sp.Run)]


@pytest.mark.parametrize("display, writes", [
    ("kms", ["etc/sysusers.d/aimoji.conf", "etc/tmpfiles.d/aimoji.conf", "etc/systemd/system/aimoji.service",
             "etc/systemd/system/aimoji.service.d/display.conf"]),
    ("cage", ["etc/sysusers.d/aimoji.conf", "etc/tmpfiles.d/aimoji.conf", "etc/systemd/system/aimoji.service",
              "etc/systemd/system/aimoji.service.d/display.conf"]),
    ("x11", ["etc/sysusers.d/aimoji.conf", "etc/tmpfiles.d/aimoji.conf", "etc/systemd/user/aimoji.service",
             "etc/xdg/autostart/aimoji.desktop", "etc/systemd/user/aimoji.service.d/namespaces.conf"]),
])
def test_plan_writes_per_display(display, writes):
    steps = sp.plan(sp.Options(**{**OPTS.__dict__, "display": display}), T, 252, set(), has_lightdm=False)
    assert _paths(steps, sp.Write) == writes
    assert _runs(steps)[:3] == ["systemd-sysusers /etc/sysusers.d/aimoji.conf",
                                "systemd-tmpfiles --create /etc/tmpfiles.d/aimoji.conf", "systemctl daemon-reload"]


def test_rendered_units_have_no_placeholders_and_the_chosen_values():
    opts = sp.Options(user="gallery", display="cage", aimoji="/srv/ai/.venv/bin/aimoji", app_dir="/srv/ai",
                      cage="/usr/bin/cage")
    steps = sp.plan(opts, T, 252, set(), False)
    text = {str(s.path): s.text for s in steps if isinstance(s, sp.Write)}
    unit = text["etc/systemd/system/aimoji.service"]
    assert "User=gallery\n" in unit and "WorkingDirectory=/srv/ai\n" in unit
    assert "ExecStart=/usr/bin/cage -- /srv/ai/.venv/bin/aimoji play" in text[
        "etc/systemd/system/aimoji.service.d/display.conf"]
    assert "u gallery - \"AImoji gallery player\" /var/lib/aimoji /usr/sbin/nologin" in text[
        "etc/sysusers.d/aimoji.conf"]
    assert not any("@AIMOJI@" in t or "@USER@" in t or "@APP_DIR@" in t for t in text.values())


def test_image_built_in_a_chroot_skips_the_reload_but_still_enables_the_service():
    # In an image builder's chroot systemd is not PID 1: 'systemctl daemon-reload' fails there ("Failed to
    # connect to bus"), while enable and set-default work on the unit files alone (seen building the
    # gallery VM's image).
    runs = _runs(sp.plan(OPTS, T, 252, set(), False, systemd_running=False))
    assert "systemctl daemon-reload" not in runs
    assert runs[-2:] == ["systemctl enable aimoji.service", "systemctl set-default multi-user.target"]


@pytest.mark.parametrize("version, backoff", [(252, False), (253, False), (254, True), (256, True)])
def test_exponential_backoff_only_where_systemd_supports_it(version, backoff):
    steps = sp.plan(OPTS, T, version, set(), False)
    assert ("etc/systemd/system/aimoji.service.d/backoff.conf" in _paths(steps, sp.Write)) is backoff


def test_switching_variant_removes_the_other_variants_files_after_disabling_them():
    existing = {sp.SYSTEM_UNIT, sp.DROPIN_DIR / "display.conf", sp.DROPIN_DIR / "backoff.conf"}
    steps = sp.plan(sp.Options(**{**OPTS.__dict__, "display": "x11"}), T, 256, existing, has_lightdm=True)
    assert _paths(steps, sp.Remove) == ["etc/systemd/system/aimoji.service",
                                        "etc/systemd/system/aimoji.service.d/display.conf",
                                        "etc/systemd/system/aimoji.service.d/backoff.conf"]
    kinds = [type(s).__name__ for s in steps]
    assert kinds.index("Run") < kinds.index("Remove")  # `systemctl disable` needs the unit file
    assert _runs(steps)[0] == "systemctl disable aimoji.service"
    assert "etc/lightdm/lightdm.conf.d/50-aimoji-autologin.conf" in _paths(steps, sp.Write)


@pytest.mark.parametrize("sysctls, refused", [
    ({}, None),                                                           # a kernel without any of the knobs
    ({"kernel/apparmor_restrict_unprivileged_userns": "0\n", "user/max_user_namespaces": "96367\n"}, None),
    ({"kernel/apparmor_restrict_unprivileged_userns": "1\n"}, "kernel.apparmor_restrict_unprivileged_userns = 1"),
    ({"kernel/unprivileged_userns_clone": "0\n"}, "kernel.unprivileged_userns_clone = 0"),   # older Debian
    ({"user/max_user_namespaces": "0\n"}, "user.max_user_namespaces = 0"),
])
def test_whether_the_user_manager_may_make_user_namespaces(sysctls, refused):
    why = sp.user_namespaces_refused(sysctls)
    assert (why is None) if refused is None else why.startswith(refused)


def test_where_user_namespaces_are_refused_the_x11_unit_goes_without_its_namespace_sandbox():
    x11 = sp.Options(**{**OPTS.__dict__, "display": "x11"})
    unit = _text(sp.plan(x11, T, 252, set(), False), sp.USER_UNIT)
    assert "PrivateUsers=yes" not in unit and "ProtectSystem=" not in unit   # only in the drop-in
    assert "RestrictAddressFamilies=AF_UNIX\n" in unit and "NoNewPrivileges=yes\n" in unit
    dropin = _text(sp.plan(x11, T, 252, set(), False), sp.USER_NAMESPACES)
    assert "PrivateUsers=yes\n" in dropin and "PrivateNetwork=yes\n" in dropin
    steps = sp.plan(x11, T, 252, {sp.USER_UNIT, sp.USER_NAMESPACES}, False, user_namespaces=False)
    assert str(sp.USER_NAMESPACES) not in _paths(steps, sp.Write)
    assert [(str(s.path), s.why) for s in steps if isinstance(s, sp.Remove)] == [
        (str(sp.USER_NAMESPACES), "this kernel refuses the user manager its user namespaces")]
    # and a system variant takes the x11 drop-in away with the user unit
    assert str(sp.USER_NAMESPACES) in _paths(sp.plan(OPTS, T, 252, {sp.USER_UNIT, sp.USER_NAMESPACES}, False),
                                             sp.Remove)


def test_player_under_home_gets_its_folder_bound_back_in():
    opts = sp.Options(aimoji="/home/gallery/aimoji/.venv/bin/aimoji", app_dir="/home/gallery/aimoji")
    steps = sp.plan(opts, T, 252, set(), False)
    home = next(s for s in steps if isinstance(s, sp.Write) and s.path.name == "home.conf")
    assert "ProtectHome=tmpfs\nBindReadOnlyPaths=/home/gallery/aimoji\n" in home.text


@pytest.mark.parametrize("change, message", [
    ({"display": "wayland"}, "--display 'wayland': choose one of kms, cage, x11"),
    ({"user": "root"}, "--user 'root': a system user name"),
    ({"user": "Bad Name"}, "--user 'Bad Name'"),
    ({"app_dir": "relative/dir"}, "app dir path 'relative/dir' must be absolute"),
])
def test_bad_options_are_refused(change, message):
    with pytest.raises(sp.PlanError, match=message.replace("(", r"\(")):
        sp.plan(sp.Options(**{**OPTS.__dict__, **change}), T, 252, set(), False)


@pytest.mark.parametrize("text, version", [("systemd 252 (252.39-1~deb12u2)\n+PAM", 252), ("", 0), ("junk", 0)])
def test_parse_systemd_version(text, version):
    assert sp.parse_systemd_version(text) == version


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    assert main(["install-service", "--dry-run", "--prefix", str(tmp_path), "--display", "kms"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("plan for --display kms --user aimoji (nothing changed):")
    assert f"write   {tmp_path}/etc/systemd/system/aimoji.service" in out
    assert "run     systemctl enable aimoji.service" in out
    assert list(tmp_path.iterdir()) == []


def test_staging_writes_files_and_runs_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(install_service, "SYSTEMD_RUNNING", tmp_path)  # as on a booted machine
    assert main(["install-service", "--prefix", str(tmp_path), "--user", "gallery"]) == 0
    unit = tmp_path / "etc/systemd/system/aimoji.service"
    assert "User=gallery" in unit.read_text() and unit.stat().st_mode & 0o777 == 0o644
    assert capsys.readouterr().out.count("(skipped: staging under --prefix)") == 5
    # again with another variant: the old one's files go
    assert main(["install-service", "--prefix", str(tmp_path), "--display", "x11"]) == 0
    assert not unit.exists() and (tmp_path / "etc/systemd/user/aimoji.service").exists()


def test_the_display_power_file_is_pointed_to_never_written(tmp_path, capsys):
    hint = f"for display_off outside hours, put the screen's off/on commands in {tmp_path}/etc/aimoji/display-power.toml"
    assert main(["install-service", "--prefix", str(tmp_path)]) == 0
    assert hint in capsys.readouterr().out
    assert not (tmp_path / "etc/aimoji").exists()
    # once the technician has written it, the installer neither touches it nor mentions it
    power = tmp_path / "etc/aimoji/display-power.toml"
    power.parent.mkdir(parents=True)
    power.write_text('off = ["xset", "dpms", "force", "off"]\non = ["xset", "dpms", "force", "on"]\n')
    assert main(["install-service", "--prefix", str(tmp_path), "--dry-run"]) == 0
    assert "display-power" not in capsys.readouterr().out
    assert power.read_text().startswith('off = ["xset"')


@pytest.mark.parametrize("unit", ["aimoji.service", "aimoji-x11.service"])
def test_units_point_the_player_at_the_display_power_file(unit):
    assert "Environment=AIMOJI_DISPLAY_POWER_FILE=/etc/aimoji/display-power.toml\n" in T[unit]


def test_bad_option_exits_2_with_one_line(tmp_path, capsys):
    assert main(["install-service", "--prefix", str(tmp_path), "--user", "root"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["aimoji install-service: --user 'root': a system user name such as 'aimoji' (not root)"]


NETWORK_OPTS = sp.Options(**{**OPTS.__dict__, "http_port": 8080, "http_bind": "0.0.0.0",
                             "http_allow": ("192.168.1.0/24",), "osc_port": 9000, "osc_allow": ("10.0.0.0/24",)})


def _text(steps, path):
    return next(s.text for s in steps if isinstance(s, sp.Write) and s.path == path)


def test_without_network_options_the_unit_stays_off_the_network():
    steps = sp.plan(OPTS, T, 252, set(), False)
    assert str(sp.NETWORK_DROPIN) not in _paths(steps, sp.Write)
    unit = _text(steps, sp.SYSTEM_UNIT)
    assert "PrivateNetwork=yes\n" in unit and "RestrictAddressFamilies=AF_UNIX\n" in unit
    assert "ExecStart=/opt/aimoji/.venv/bin/aimoji play $AIMOJI_PLAY_ARGS\n" in unit
    assert "Environment=AIMOJI_PLAY_ARGS=\n" in unit


def test_network_options_write_a_drop_in_for_the_allowed_networks_only():
    steps = sp.plan(NETWORK_OPTS, T, 252, set(), False, has_token=True)
    text = _text(steps, sp.NETWORK_DROPIN)
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines == ["[Service]", "PrivateNetwork=no", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                     "IPAddressDeny=any", "IPAddressAllow=localhost", "IPAddressAllow=10.0.0.0/24",
                     "IPAddressAllow=192.168.1.0/24", "LoadCredential=control-token:/etc/aimoji/control-token",
                     'Environment="AIMOJI_PLAY_ARGS=--osc 9000 --osc-allow 10.0.0.0/24 --http 8080 '
                     '--http-bind 0.0.0.0 --http-allow 192.168.1.0/24"']


def test_without_a_token_file_the_page_is_read_only_and_the_unit_still_starts():
    text = _text(sp.plan(NETWORK_OPTS, T, 252, set(), False, has_token=False), sp.NETWORK_DROPIN)
    assert "LoadCredential" not in text and "--http 8080" in text


def test_installing_again_without_network_options_removes_the_drop_in():
    steps = sp.plan(OPTS, T, 252, {sp.SYSTEM_UNIT, sp.NETWORK_DROPIN}, False)
    assert [s.why for s in steps if isinstance(s, sp.Remove)] == ["network off: no --osc/--http"]


def test_cage_passes_the_network_options_too():
    text = _text(sp.plan(sp.Options(**{**NETWORK_OPTS.__dict__, "display": "cage"}), T, 252, set(), False),
                 sp.DROPIN_DIR / "display.conf")
    assert "ExecStart=/usr/bin/cage -- /opt/aimoji/.venv/bin/aimoji play $AIMOJI_PLAY_ARGS\n" in text


@pytest.mark.parametrize("change, message", [
    ({"http_port": 0}, "--http 0: not a port; allowed: 1..65535"),
    ({"osc_port": 9000, "osc_allow": ("lan",)}, "--osc-allow 'lan' is not a network"),
    ({"http_allow": ("10.0.0.0/8",)}, "--http-bind/--http-allow without --http PORT: nothing would listen"),
    ({"display": "x11", "osc_port": 9000}, "--osc/--http with --display x11: a session service cannot limit"),
])
def test_bad_network_options_are_refused(change, message):
    with pytest.raises(sp.PlanError, match=message.replace("(", r"\(").replace("$", r"\$")):
        sp.plan(sp.Options(**{**OPTS.__dict__, **change}), T, 252, set(), False)


def test_the_token_file_is_pointed_to_never_written(tmp_path, capsys):
    assert main(["install-service", "--prefix", str(tmp_path), "--http", "8080"]) == 0
    assert f"the status page is read-only: no control token in {tmp_path}/etc/aimoji/control-token" in \
        capsys.readouterr().out
    assert not (tmp_path / "etc/aimoji/control-token").exists()


@pytest.mark.parametrize("mode, refused", [(0o600, False), (0o400, False), (0o644, True), (0o640, True)])
def test_a_token_file_the_player_would_refuse_is_refused_at_install(tmp_path, capsys, mode, refused):
    token = tmp_path / "etc/aimoji/control-token"
    token.parent.mkdir(parents=True)
    token.write_text("0123456789abcdef0123\n")
    token.chmod(mode)
    for dry in (["--dry-run"], []):
        rc = main(["install-service", "--prefix", str(tmp_path), "--http", "8080", *dry])
        err = capsys.readouterr().err
        if refused:
            assert rc == 2 and err.strip().splitlines() == [
                f"aimoji install-service: {token}: mode {mode:04o}; allowed: 0600 or 0400, its owner's alone "
                f"(chmod 0600 {token}; if others could read it, make a new token)"]
            assert not (tmp_path / "etc/systemd").exists()   # nothing staged with it
        else:
            assert rc == 0, err
    if not refused:
        assert "LoadCredential=control-token:/etc/aimoji/control-token" in (tmp_path / sp.NETWORK_DROPIN).read_text()
