"""installation/text.py: the first line of an exception, for one-line messages; sizes as people read them."""

from __future__ import annotations

import pytest

from installation.text import first_line, size_text


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


@pytest.mark.parametrize("n_bytes, text", [
    (0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (1000, "1 kB"), (7290, "7.29 kB"),
    (30_795, "30.8 kB"), (999_999, "1 MB"),                   # rounds up into the next unit, never "1e+03 kB"
    (14_315_843, "14.3 MB"),                                  # the model: SI, not 13.7 (that is MiB)
    (256_000_000, "256 MB"), (3 * 10**9, "3 GB"),
])
def test_size_text_is_si_with_three_digits(n_bytes, text):
    assert size_text(n_bytes) == text
