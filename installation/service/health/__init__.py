"""The truth about the screen: the verdict on a PlayerState (what feeds the watchdog), the state file
that `aimoji status`, /status.json and /metrics read, and the log with its recent errors."""
