"""One log line per thing that stays true (a degraded or replaced scene, a slow one): said the first
time its key comes up, never again for that key."""

from __future__ import annotations

from collections.abc import Callable


class OnceLog:
    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self._said: set[tuple] = set()

    def __call__(self, key: tuple, line: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.log(line)
