"""The display's power outside opening hours: the commands from /etc/aimoji, run off the render loop."""
