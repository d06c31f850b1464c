"""Hot reload: the models folder and the show watched (watchdog, polling as a fallback), files taken
once they stop changing, loaded and checked off the render loop, then posted to the player."""
