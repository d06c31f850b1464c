"""`aimoji calibrate` on screen: the interactive on-site mode that edits a calibration profile (the
profile's maths is calibration/; the screen it draws on is display/)."""
