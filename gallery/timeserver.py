"""The venue's time server for gallery PCs in VMs: chronyd on the host serving the host's own clock
(`local stratum`), never adjusting it (`-x`), on a free UDP port of the loopback. Each guest reaches it
at 10.0.2.2 on its own QEMU user network, which forwards to the host's loopback; the guests cannot
reach each other. On a real gallery LAN this is one PC or the router (docs/operations.md)."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

HOST_FROM_GUEST = "10.0.2.2"   # the host as QEMU's user network shows it to the guest


class TimeServer:
    """`with TimeServer(workdir) as ntp:` runs chronyd until the block ends."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "TimeServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        conf = self.workdir / "chronyd.conf"
        conf.write_text(f"port {self.port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 8\n"
                        f"cmdport 0\npidfile {self.workdir / 'chronyd.pid'}\n")
        try:
            self.proc = subprocess.Popen(["chronyd", "-x", "-d", "-u", "root", "-f", str(conf)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=open(self.workdir / "chronyd.log", "ab"))
        except OSError as exc:
            raise RuntimeError(f"cannot start chronyd ({exc}): tools/gallery-packages.sh installs chrony") from exc
        try:
            self.check()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def check(self) -> float:
        """Ask the server the time once, as a client that sets nothing (`chronyd -Q`); returns the host's
        offset from it in seconds (about 0: it serves this clock)."""
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise RuntimeError(f"chronyd exited {self.proc.returncode}: {self.log_tail()}")
        done = subprocess.run(["chronyd", "-Q", "-u", "root", "-f", "/dev/null", "-t", "20",
                               f"server 127.0.0.1 port {self.port} iburst"],
                              capture_output=True, text=True, timeout=30)
        found = re.search(r"System clock wrong by (-?[0-9.]+) seconds", done.stdout + done.stderr)
        if not found:
            raise RuntimeError(f"the time server on port {self.port} did not answer: "
                               f"{(done.stdout + done.stderr).strip()[-300:]}; {self.log_tail()}")
        return float(found.group(1))

    def log_tail(self) -> str:
        return (self.workdir / "chronyd.log").read_text(errors="replace")[-400:]

    def client_conf(self) -> str:
        """A gallery PC's /etc/chrony/chrony.conf on a LAN without internet: this server only, polled
        every 1-4 s so a test converges in a minute, any offset over 0.1 s stepped at once."""
        return ("# The venue's time server, nothing else (a gallery LAN without internet).\n"
                f"server {HOST_FROM_GUEST} port {self.port} iburst minpoll 0 maxpoll 2\n"
                "makestep 0.1 -1\n"
                "driftfile /var/lib/chrony/chrony.drift\n")
