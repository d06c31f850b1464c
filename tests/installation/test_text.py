"""installation/text.py: the first line of an exception, for one-line messages."""

from __future__ import annotations

import pytest

from installation.text import first_line


@pytest.mark.parametrize("exc, limit, expected", [
    (ValueError("bad value"), 200, "bad value"),
    (ValueError("  first\nsecond\nthird"), 200, "first"),     # surrounding blanks go, later lines too
    (EOFError(), 200, "EOFError"),                            # says nothing: its type speaks for it
    (OSError("   \n "), 200, "OSError"),
    (RuntimeError("x" * 300), 120, "x" * 120),
    (KeyError("key"), 200, "'key'"),                          # str() of a KeyError, as Python writes it
])
def test_first_line(exc, limit, expected):
    assert first_line(exc, limit) == expected


def test_default_limit_is_200_characters():
    assert first_line(ValueError("y" * 500)) == "y" * 200
