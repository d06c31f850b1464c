"""Where a network companion listens and whom it hears (OSC: service/remote/osc.py, the status page:
service/remote/http_status.py): a port, the address to bind and the allowed sender networks. The show's
[osc] / [http] section gives them; `aimoji play --osc* / --http*` override it. Off unless asked for.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Listen:
    port: int
    bind: str = "127.0.0.1"
    allow: tuple[str, ...] = ("127.0.0.1/32",)

    @classmethod
    def resolve(cls, section, port: int | None, bind: str | None, allow: Sequence[str] | None):
        """The settings from the show's section (or None) and the command line's options; None when
        both are absent (off)."""
        if port is None and section is None:
            return None
        return cls(port=port if port is not None else section.port,
                   bind=bind or (section.bind if section else cls.bind),
                   allow=tuple(allow) if allow else (tuple(section.allow) if section else cls.allow),
                   **cls.extra(section))

    @classmethod
    def extra(cls, section) -> dict:
        """A subclass's own settings taken from the show's section (section may be None)."""
        return {}

    def networks(self) -> list:
        return [ipaddress.ip_network(n, strict=False) for n in self.allow]


def check_options(flag: str, port: int | None, bind: str | None, allow: Sequence[str] | None) -> None:
    """`--FLAG PORT --FLAG-bind ADDR --FLAG-allow CIDR` as given on the command line; ValueError with
    one line naming the bad option."""
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"--{flag} {port}: not a port; allowed: 1..65535")
    if bind is not None:
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            raise ValueError(f"--{flag}-bind '{bind}' is not an IP address; allowed: e.g. 127.0.0.1 "
                             "or 0.0.0.0") from None
    for cidr in allow or ():
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ValueError(f"--{flag}-allow '{cidr}' is not a network; allowed: CIDR such as "
                             "192.168.1.0/24") from None
