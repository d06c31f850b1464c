"""Hostile HTTP clients on loopback for the status page's tests and benchmarks/http_clients.py: many
connections that trickle a request one byte a second (and some that never send a byte), dialling
again (once a second) when the server drops them. Bounded: 127.0.0.1 only, a fixed count, and it
stops by itself. `apart(...)` runs them in a process of their own, as an attacker would be: their
Python work must not be billed to the player's interpreter lock."""

from __future__ import annotations

import json
import selectors
import socket
import subprocess
import sys
import threading
import time

REQUEST = b"GET /status.json HTTP/1.1\r\nHost: aimoji\r\nUser-Agent: slow\r\n\r\n"


class SlowClients(threading.Thread):
    """`trickling` connections sending REQUEST one byte per `every_s`, `silent` ones that send nothing,
    for `seconds`. Counts what the server did to them: cut (closed by the server after they had
    connected: a timeout or the connection limit) and the longest any one connection was held open."""

    def __init__(self, port: int, trickling: int = 200, silent: int = 20, seconds: float = 10.0,
                 every_s: float = 1.0):
        super().__init__(name="slow-clients", daemon=True)
        self.port, self.trickling, self.silent, self.seconds, self.every_s = port, trickling, silent, seconds, every_s
        self.connects = self.cut = self.answered = 0
        self.longest_s = 0.0
        self.open_now = 0
        self._redial: list[bool] = []   # cut connections, dialled again at the next tick (1/s, not a flood)

    def _connect(self, sel: selectors.BaseSelector, silent: bool) -> None:
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", self.port))
        self.connects += 1
        sel.register(s, selectors.EVENT_READ, {"sent": 0, "since": time.monotonic(), "silent": silent})

    def run(self) -> None:
        sel = selectors.DefaultSelector()
        for i in range(self.trickling + self.silent):
            self._connect(sel, silent=i >= self.trickling)
        end = time.monotonic() + self.seconds
        next_byte = time.monotonic()
        while time.monotonic() < end:
            for key, _ in sel.select(timeout=0.05):
                self._closed_by_server(sel, key)
            if time.monotonic() >= next_byte:
                next_byte += self.every_s
                for silent in self._redial:
                    self._connect(sel, silent)
                self._redial.clear()
                for key in list(sel.get_map().values()):
                    state = key.data
                    if state["silent"]:
                        continue
                    try:
                        key.fileobj.send(REQUEST[state["sent"] % len(REQUEST):][:1])
                        state["sent"] += 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        self._closed_by_server(sel, key)
            self.open_now = len(sel.get_map())
        for key in list(sel.get_map().values()):
            self.longest_s = max(self.longest_s, time.monotonic() - key.data["since"])
            sel.unregister(key.fileobj)
            key.fileobj.close()
        self.open_now = 0

    def _closed_by_server(self, sel: selectors.BaseSelector, key) -> None:
        sock, state = key.fileobj, key.data
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:   # a whole request got through in time and was answered: read on until it closes
            self.answered += 1
            return
        self.cut += 1
        self.longest_s = max(self.longest_s, time.monotonic() - state["since"])
        sel.unregister(sock)
        sock.close()
        self._redial.append(state["silent"])


def apart(port: int, trickling: int = 200, silent: int = 20, seconds: float = 10.0) -> subprocess.Popen:
    """SlowClients in a child process; `report(proc)` waits for it and returns its counts."""
    return subprocess.Popen([sys.executable, __file__, str(port), str(trickling), str(silent), str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def report(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=120)
    return json.loads(out)


if __name__ == "__main__":
    port, trickling, silent, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    clients = SlowClients(port, trickling, silent, seconds)
    clients.run()
    cpu = time.process_time()
    print(json.dumps({"connects": clients.connects, "cut": clients.cut, "answered": clients.answered,
                      "longest_s": round(clients.longest_s, 2), "cpu_s": round(cpu, 2)}))
