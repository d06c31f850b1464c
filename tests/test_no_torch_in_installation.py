"""The gallery runtime must install and run without torch: importing all of installation/ never loads it."""

import pkgutil
import subprocess
import sys

import installation


def _installation_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(installation.__path__, "installation."))


def test_installation_modules_are_found():
    mods = _installation_modules()
    assert "installation.cli" in mods and "installation.model.contract" in mods


def test_importing_every_installation_module_does_not_load_torch():
    code = (
        "import importlib, sys\n"
        f"for name in {_installation_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
        "print('TORCH' if loaded else 'CLEAN', loaded[:5])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("CLEAN"), out.stdout
