"""AImoji installation: the gallery runtime (player, shows, service, calibration). Never imports torch."""

__version__ = "0.1.0"
