"""The player seen and steered from outside the room: OSC, the status page (HTTP, /metrics,
/status.json, the thumbnail), the one table of control actions, and who may send them."""
