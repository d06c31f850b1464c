"""Running unattended: hot reload, signals, systemd notify and watchdog, health, display power,
logging and the install plan."""
