"""On-site calibration: the profile maths, the calibrated blit, test patterns and the UI."""
