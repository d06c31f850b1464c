"""AImoji installation: the gallery runtime (player, shows, service, calibration). Never imports torch."""

import os

# pygame prints a banner on import; the technician's terminal and the journal are for our lines.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

__version__ = "0.1.0"
