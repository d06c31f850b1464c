"""`make gallery-test`: a gallery PC in a virtual machine.

Builds a Debian 12 image with the project installed the way README tells a technician, boots it under
QEMU with a virtio-gpu screen, and drives it only from outside: the QEMU guest agent runs commands,
the monitor photographs the screen. Nothing in the product knows it is being tested.
"""
