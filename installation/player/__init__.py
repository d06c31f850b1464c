"""The player: the render loop, its screen, pacing, statistics and the generation worker."""
