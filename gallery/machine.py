"""One QEMU virtual machine, driven from outside: the guest agent runs commands, the monitor takes
screendumps and pulls the plug. The guest runs what the image holds, nothing injected."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qemu.qmp import ExecuteError, QMPClient, QMPError

from gallery.pixels import read_ppm


@dataclass(frozen=True)
class Boot:
    kernel: Path
    initrd: Path
    disk: Path
    workdir: Path          # sockets, serial log, dumps
    memory_mb: int = 2048
    cpus: int = 2
    clock: str = "2026-12-02T13:00:00"   # the guest's RTC at power-on (UTC), a Wednesday; "utc": the host's clock
    # TCG emulates AVX2 slowly: onnxruntime made one 64 px image in 6-8 s with "max" (AVX2), 1.2 s with
    # an SSE4.2 CPU (measured here), so the guest gets a CPU model without AVX.
    cpu: str = "Nehalem"
    # "virtio": virtio-gpu (a KMS driver; Mesa's software GL works on it). "firmware": a plain VGA card
    # left to the firmware's framebuffer (nomodeset; simpledrm or vesafb): a display without a GPU driver.
    screen: str = "virtio"
    # The virtio-gpu head's size ("3840x2160"), offered as the panel's preferred mode; None: QEMU's 1280x800.
    resolution: str | None = None
    # A user network of its own (QEMU's slirp): the guest reaches the host at 10.0.2.2 (its time server)
    # and nothing else on its LAN, so two such guests cannot reach each other. False: no network at all.
    network: bool = False


class GuestError(RuntimeError):
    pass


# QMP's client is asyncio and the harness is not: one event loop carries every machine's monitor, so the
# screens of several machines can be asked for in the same turn of it (screendumps_at_once).
_LOOP = asyncio.new_event_loop()


def _on_loop(awaitable):
    return _LOOP.run_until_complete(asyncio.wait_for(awaitable, timeout=60))


def screendumps_at_once(machines: list["Machine"]) -> list[tuple[np.ndarray, float, float]]:
    """One screendump of each machine, every command sent before any answer is awaited; each comes with
    the host's UNIX times when its command was sent and answered."""
    async def together() -> list[tuple[np.ndarray, float, float]]:
        return await asyncio.gather(*(m._screendump() for m in machines))
    return _on_loop(together())


class Machine:
    """Start with `with Machine(boot) as vm:`; leaving the block powers it off (or kills it)."""

    def __init__(self, boot: Boot):
        self.boot = boot
        self.qmp_path = boot.workdir / "qmp.sock"
        self.qga_path = boot.workdir / "qga.sock"
        self.serial_log = boot.workdir / "serial.log"
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self._qmp: QMPClient | None = None

    # --- power -------------------------------------------------------------------------------
    def __enter__(self) -> "Machine":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        b = self.boot
        for p in (self.qmp_path, self.qga_path):
            p.unlink(missing_ok=True)
        gpu, append = "virtio-gpu-pci", "root=/dev/vda rw console=ttyS0 quiet"
        if b.resolution:
            width, height = b.resolution.split("x")
            gpu += f",xres={width},yres={height}"
            append += f" video=Virtual-1:{b.resolution}"
        if b.screen == "firmware":
            append += " nomodeset vga=0x317"
        net = ["-netdev", "user,id=lan,ipv6=off", "-device", "virtio-net-pci,netdev=lan"] if b.network else ["-net", "none"]
        rtc = "base=utc,clock=host" if b.clock == "utc" else f"base={b.clock}"
        argv = [
            "qemu-system-x86_64", "-accel", "tcg", "-cpu", b.cpu, "-smp", str(b.cpus), "-m", str(b.memory_mb),
            "-display", "none", "-no-reboot", *(["-vga", "none"] if b.screen == "virtio" else []), *net,
            "-serial", f"file:{self.serial_log}",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-chardev", f"socket,path={self.qga_path},server=on,wait=off,id=qga0",
            "-device", "virtio-serial", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-kernel", str(b.kernel), "-initrd", str(b.initrd),
            "-append", append, "-drive", f"file={b.disk},format=raw,if=virtio",
            *(["-device", gpu] if b.screen == "virtio" else ["-vga", "std"]), "-rtc", rtc,
        ]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(b.workdir / "qemu.err", "ab"))
        self.started = time.monotonic()
        deadline = time.monotonic() + 30
        while not self.qmp_path.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise GuestError(f"qemu did not start: {(b.workdir / 'qemu.err').read_text()[-500:]}")
            time.sleep(0.1)
        self._qmp = QMPClient(self.boot.workdir.name)
        try:
            _on_loop(self._qmp.connect(str(self.qmp_path)))
        except (QMPError, OSError) as exc:
            self.pull_plug()
            raise GuestError(f"qemu's monitor did not answer: {exc}; {(b.workdir / 'qemu.err').read_text()[-300:]}")

    def pull_plug(self) -> None:
        """A hard power cut: QEMU is killed, the guest gets no chance to flush anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_qmp()

    def stop(self, timeout: float = 120) -> None:
        """A clean shutdown when the guest answers, else a power cut."""
        if self.proc is None or self.proc.poll() is not None:
            self._close_qmp()
            return
        try:
            self.run("systemctl poweroff", timeout=20, check=False, wait=False)
            self.proc.wait(timeout=timeout)
        except (GuestError, subprocess.TimeoutExpired, OSError):
            pass
        self.pull_plug()

    def _close_qmp(self) -> None:
        if self._qmp is not None:
            try:
                _on_loop(self._qmp.disconnect())
            except (QMPError, OSError, EOFError):  # the socket went with QEMU; nothing left to tidy
                pass
            self._qmp = None

    def seconds(self) -> float:
        """Wall seconds since power-on."""
        return time.monotonic() - self.started

    # --- screen ------------------------------------------------------------------------------
    def screendump(self) -> np.ndarray:
        return _on_loop(self._screendump())[0]

    async def _screendump(self) -> tuple[np.ndarray, float, float]:
        """The screen, with the host's UNIX time when the command was sent and when QEMU answered: the
        picture was taken between the two."""
        path = self.boot.workdir / "dump.ppm"
        path.unlink(missing_ok=True)
        sent = time.time()
        try:
            await self._qmp.execute("screendump", {"filename": str(path)})
        except ExecuteError as exc:
            raise GuestError(f"screendump: {exc}") from exc
        answered = time.time()
        return read_ppm(path.read_bytes()).copy(), sent, answered

    # --- commands in the guest -----------------------------------------------------------------
    def agent_ready(self) -> bool:
        try:
            with AgentChannel(self.qga_path, timeout=5) as agent:
                agent.ask("guest-ping")
            return True
        except (OSError, GuestError, ValueError):
            return False

    def wait_for_agent(self, timeout: float) -> float:
        """Wait until the guest agent answers (the guest has booted far enough); returns the seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise GuestError(f"the VM stopped during boot; serial log: {self.serial_tail()}")
            if self.agent_ready():
                return self.seconds()
            time.sleep(2)
        raise GuestError(f"the guest agent did not answer within {timeout:.0f} s; serial log: {self.serial_tail()}")

    def run(self, command: str, timeout: float = 60, check: bool = True, wait: bool = True) -> tuple[int, str]:
        """Run a shell command in the guest as root; returns (exit status, stdout+stderr)."""
        with AgentChannel(self.qga_path) as agent:
            pid = agent.ask("guest-exec", path="/bin/sh", arg=["-c", command],
                            **{"capture-output": True})["pid"]
            if not wait:
                return 0, ""
            deadline = time.monotonic() + timeout
            while True:
                status = agent.ask("guest-exec-status", pid=pid)
                if status.get("exited"):
                    break
                if time.monotonic() > deadline:
                    raise GuestError(f"'{command}' did not finish within {timeout:.0f} s")
                time.sleep(0.5)
        out = b"".join(base64.b64decode(status.get(k, "")) for k in ("out-data", "err-data")).decode(errors="replace")
        code = status.get("exitcode", -status.get("signal", 1))
        if check and code != 0:
            raise GuestError(f"'{command}' exited {code}: {out.strip()[-800:]}")
        return code, out

    def clock_offset(self, tries: int = 5) -> tuple[float, float]:
        """The guest's clock minus the host's, in seconds, with its uncertainty (half the agent's round
        trip), from the best of a few guest-get-time calls bracketed by the host's clock."""
        best: tuple[float, float] | None = None
        with AgentChannel(self.qga_path) as agent:
            for _ in range(tries):
                before = time.time_ns()
                guest = int(agent.ask("guest-get-time"))
                after = time.time_ns()
                half = (after - before) / 2e9
                if best is None or half < best[1]:
                    best = ((guest - (before + after) / 2) / 1e9, half)
        return best

    def serial_tail(self, chars: int = 1500) -> str:
        try:
            return self.serial_log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no serial log)"


class AgentChannel:
    """The QEMU guest agent's protocol over its virtio-serial socket: JSON lines, no greeting. The
    channel outlives connections, so each connection first resynchronises with guest-sync-delimited
    (the agent answers with a 0xFF byte, then the echo of a fresh id); anything older is dropped.
    QMP clients (qemu.qmp) expect a greeting and capabilities negotiation, which the agent has not."""

    def __init__(self, path: Path, timeout: float = 10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(str(path))
            self.buffer = b""
            token = random.randrange(1, 2**31)
            self.sock.sendall(b"\xff" + json.dumps({"execute": "guest-sync-delimited",
                                                   "arguments": {"id": token}}).encode() + b"\n")
            while b"\xff" not in self.buffer:
                self._fill()
            self.buffer = self.buffer[self.buffer.rindex(b"\xff") + 1:]
            while self._reply().get("return") != token:
                pass
        except BaseException:
            self.sock.close()
            raise

    def __enter__(self) -> "AgentChannel":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise GuestError("the guest agent closed the channel")
        self.buffer += chunk

    def _reply(self) -> dict:
        while b"\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line) if line.strip() else self._reply()

    def ask(self, command: str, **arguments) -> dict:
        message = {"execute": command, "arguments": arguments} if arguments else {"execute": command}
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        reply = self._reply()
        if "error" in reply:
            raise GuestError(f"{command}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return", {})
