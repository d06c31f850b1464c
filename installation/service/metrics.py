"""/metrics for Prometheus: the state file's figures (service/health.py build_state: the same truth
the watchdog and `aimoji status` use) in its text format, read when scraped, never counted twice.

`StateCollector` is a prometheus-client custom collector over a `state()` callable (StateWriter.state);
`exposition` renders a `registry` holding it. The status page's own counters come in `server()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily

CONTENT_TYPE = CONTENT_TYPE_LATEST

# state key -> (metric name, help); counters get _total from prometheus-client
GAUGES = {
    "fps": ("aimoji_fps", "frames per second shown, measured over the last seconds"),
    "fps_target": ("aimoji_fps_target", "the show's frame rate"),
    "uptime_s": ("aimoji_uptime_seconds", "seconds since the player started"),
    "last_frame_age_s": ("aimoji_last_frame_age_seconds", "seconds since the last frame was shown"),
    "picture_still_s": ("aimoji_picture_still_seconds", "seconds since the picture on the wall last changed"),
    "asked_images_per_s": ("aimoji_asked_images_per_second", "images per second the scene asks of the model"),
    "stale_tiles": ("aimoji_stale_tiles", "grid tiles waiting for a fresh image"),
}
COUNTERS = {
    "frames": ("aimoji_frames", "frames shown since start (start-up not counted)"),
    "dropped_frames": ("aimoji_dropped_frames", "frames due but not shown in time while open"),
    "generated": ("aimoji_generated_images", "images the model generated"),
    "model_swaps": ("aimoji_model_swaps", "times another model took over the wall (hot reload, fallback)"),
    "rejected_files": ("aimoji_rejected_files", "dropped-in model or show files refused by validation"),
}


def _flag(name: str, help_text: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=1.0 if value else 0.0)


def _epoch(iso) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp() if isinstance(iso, str) else None
    except ValueError:
        return None


def families(state: Mapping, server: Mapping | None = None) -> list:
    """The metric families of one state (and the status page's own counters)."""
    out = [_flag("aimoji_healthy", "1 while the health verdict is ok (what feeds the systemd watchdog)",
                 state.get("healthy")),
           _flag("aimoji_open", "1 while the show is open (inside opening hours)", state.get("open")),
           _flag("aimoji_intended_still", "1 while an operator froze or blacked out the wall",
                 state.get("intended_still")),
           InfoMetricFamily("aimoji_player", "what plays: show, model, scene, state and health phase", value={
               k: str(state.get(k) if state.get(k) is not None else "")
               for k in ("show", "model", "scene", "state", "phase")})]
    for key, (name, help_text) in GAUGES.items():
        if isinstance(state.get(key), (int, float)):
            out.append(GaugeMetricFamily(name, help_text, value=float(state[key])))
    for key, (name, help_text) in COUNTERS.items():
        if isinstance(state.get(key), (int, float)):
            out.append(CounterMetricFamily(name, help_text, value=float(state[key])))
    change = _epoch(state.get("next_change"))
    if change is not None:
        out.append(GaugeMetricFamily("aimoji_next_change_timestamp_seconds",
                                     "when the schedule next changes (Unix time)", value=change))
    problems = GaugeMetricFamily("aimoji_problems", "the health verdict's problems now")
    problems.add_metric([], float(len(state.get("problems") or ())))
    errors = GaugeMetricFamily("aimoji_recent_errors", "warnings and errors kept for the state file")
    errors.add_metric([], float(len(state.get("errors") or ())))
    overrides = GaugeMetricFamily("aimoji_override", "1 per override an operator holds (OSC, the status page)",
                                  labels=["kind"])
    for kind in sorted(state.get("overrides") or {}):
        overrides.add_metric([kind], 1.0)
    out += [problems, errors, overrides]
    if server:
        connections = GaugeMetricFamily("aimoji_http_connections", "status page connections open now")
        connections.add_metric([], float(server["open"]))
        waiting = GaugeMetricFamily("aimoji_http_connections_waiting",
                                    "status page connections waiting for the rest of their request now")
        waiting.add_metric([], float(server["waiting"]))
        closed = CounterMetricFamily("aimoji_http_connections_closed",
                                     "status page connections closed early, by reason", labels=["reason"])
        for reason in ("refused", "evicted", "busy", "timed_out"):
            closed.add_metric([reason], float(server[reason]))
        requests = CounterMetricFamily("aimoji_http_requests", "status page requests answered", labels=["code"])
        for code, count in sorted(server["requests"].items()):
            requests.add_metric([str(code)], float(count))
        out += [connections, waiting, closed, requests]
    return out


class StateCollector:
    """A prometheus-client collector: each scrape reads state() (and server(), the page's counters)."""

    def __init__(self, state: Callable[[], Mapping], server: Callable[[], Mapping] | None = None):
        self.state, self.server = state, server

    def describe(self):
        return []   # nothing to check at registration: collect() reads the player when scraped

    def collect(self):
        yield from families(self.state(), self.server() if self.server is not None else None)


def registry(state: Callable[[], Mapping], server: Callable[[], Mapping] | None = None) -> CollectorRegistry:
    """A registry of its own (not the process-global one) holding the player's collector."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(StateCollector(state, server))
    return reg


def exposition(reg: CollectorRegistry) -> bytes:
    """The text format a Prometheus scrape reads."""
    return generate_latest(reg)
