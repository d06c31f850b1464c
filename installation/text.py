"""Text for one-line messages: the first line of an exception, for errors that name a file in one line,
and a size in bytes as people read it."""

from __future__ import annotations

# Sizes are printed in SI units everywhere (1 MB = 1,000,000 bytes, as disks and file managers count):
# one convention, so "14.3 MB" in a log line, `aimoji check` and the docs is the same number.
MB = 10**6
SIZE_UNITS = ((10**3, "kB"), (MB, "MB"), (10**9, "GB"), (10**12, "TB"))


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of str(exc), at most `limit` characters; the exception's type name when it says
    nothing (a bare EOFError), so a message never ends in empty brackets."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:limit]


def size_text(n_bytes: int) -> str:
    """14_315_843 -> '14.3 MB': three significant digits in the largest unit that leaves at least 1
    (999_999 -> '1 MB', never '1e+03 kB'); under 1 kB the bytes themselves."""
    if n_bytes < 1000:
        return f"{n_bytes} byte{'s' if n_bytes != 1 else ''}"
    for unit, name in SIZE_UNITS:
        text = f"{n_bytes / unit:.3g}"
        if float(text) < 1000:
            break
    return f"{text} {name}"
