"""Running unattended, around the player: runtime.py starts and stops the companions below.
systemd/ (notify, watchdog, signals, the install plan), reload/ (models and shows dropped in),
remote/ (OSC, the status page, /metrics, control), power/ (the display's power outside hours),
health/ (the verdict on the screen, the state file, the log)."""
