"""Living under systemd: sd_notify (READY, WATCHDOG, STATUS), the watchdog pinger, signals, and the
plan `aimoji install-service` carries out."""
