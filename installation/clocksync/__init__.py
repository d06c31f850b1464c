"""This PC's clock synchronisation: what the kernel and the time daemon (chrony, systemd-timesyncd) say,
judged against the show's frame rate (readings.py, pure), read off the render loop (watch.py)."""
