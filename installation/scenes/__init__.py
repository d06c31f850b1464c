"""Scenes the player can show: pure plans and selectors (morph.py, grid.py, evolution.py, layout.py,
walk.py), thin pygame views (views.py, evolution_view.py), and `factory.make_view`, which builds the
view for one playlist entry, for the player and for `aimoji render` alike."""
