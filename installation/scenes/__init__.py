"""Scenes the player can show, one module each (morph.py, grid.py, evolution.py: its playlist entry,
plan, view and capacity rule; scenes/base.py says what each holds), listed once in registry.py, which
the show's loader, the player and `aimoji render` all build from. Pure helpers: walk.py, layout.py."""
