"""What the player and the calibration draw on: the Screen (the frame, the calibration's geometry,
every blit), and the output that shows it (an SDL window, or the Linux framebuffer in software)."""
