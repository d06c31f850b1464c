# Two entry points for a fresh machine: `make play` and `make test`.
# Both are idempotent: the venv is (re)installed only when pyproject.toml or constraints.txt change.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check -q

.PHONY: play test gallery-test install-player install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The player alone: what a gallery PC needs.
$(VENV)/.player-installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e .
	touch $@

# Everything: player, trainer (torch CPU wheel pinned by constraints.txt) and test tools.
$(VENV)/.dev-installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e '.[train,dev]'
	touch $@ $(VENV)/.player-installed

install-player: $(VENV)/.player-installed
install-dev: $(VENV)/.dev-installed

play: install-player
	$(BIN)/aimoji play

test: install-dev
	@sh tools/system-packages.sh
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

# A gallery PC in a VM (Debian 12 under QEMU): the real service, boots, faults and screendumps.
# Needs root; the disk is cached in ~/.cache/aimoji-gallery. Results and dumps: out/gallery/.
gallery-test: install-dev
	@sh tools/gallery-packages.sh
	$(BIN)/python -m gallery

clean:
	rm -rf $(VENV) out
