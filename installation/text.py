"""Text for one-line messages: the first line of an exception, for errors that name a file in one line."""

from __future__ import annotations


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of str(exc), at most `limit` characters; the exception's type name when it says
    nothing (a bare EOFError), so a message never ends in empty brackets."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:limit]
