"""Running unattended: hot reload, signals, systemd notify and watchdog, health, display power,
logging and the install plan; control from outside the room (OSC, the status page and /metrics)."""
