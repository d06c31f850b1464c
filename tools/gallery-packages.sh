#!/bin/sh
# The Debian packages `make gallery-test` needs on the machine that runs it: QEMU to boot the gallery
# PC, debootstrap to build its disk, e2fsprogs for mkfs.ext4 -d (and debugfs, each wall PC's own settings),
# chrony for the time server the "two PCs" guests follow (run with -x: it never adjusts this machine's
# clock; where systemd runs, Debian's package also starts its own chrony service, as on any Debian PC).
# Installed with apt when missing (root).
need=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
command -v mkfs.ext4 >/dev/null 2>&1 || need="$need e2fsprogs"
command -v chronyd >/dev/null 2>&1 || need="$need chrony"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing packages for the gallery VM:$need"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need) >/tmp/aimoji-gallery-apt.log 2>&1 \
        || { echo "could not install$need (see /tmp/aimoji-gallery-apt.log)"; exit 1; }
else
    echo "make gallery-test needs$need and root (debootstrap, chroot, mount): run it as root on a Debian machine"
    exit 1
fi
