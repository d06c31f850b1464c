"""/metrics for Prometheus: the state file's figures (service/health/report.py: the same truth the
watchdog and `aimoji status` use) in its text format, read when scraped, never counted twice.

`StateCollector` is a prometheus-client custom collector over a `state()` callable (StateWriter.report);
`exposition` renders a `registry` holding it, prometheus-client's ProcessCollector (`process_*`: CPU,
memory, open files and the process's start time) and `aimoji_build_info{version}`. The status page's
own counters come in `server()`. Names follow Prometheus' conventions: base units in the name
(`_seconds`), `_total` on counters, labels in `_info`, and a start time rather than an uptime (a
restart is a change of `aimoji_start_time_seconds`; an uptime gauge only says so by falling). The
alert rules and the dashboard over these names: monitoring/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, InfoMetricFamily

from installation.player.stats import FRAME_BUCKETS_S
from installation.service.health.report import Report
from installation.version import package_version

CONTENT_TYPE = CONTENT_TYPE_LATEST

# (metric name, help, the figure in a report); counters get _total from prometheus-client
GAUGES = (
    ("aimoji_frames_per_second", "frames per second shown, measured over the last two seconds",
     lambda r: r.player.frames.fps if r.player.frames.last_monotonic is not None else None),
    ("aimoji_target_frames_per_second", "the show's frame rate", lambda r: r.player.frames.target_fps),
    ("aimoji_last_frame_age_seconds", "seconds since the last frame was shown", lambda r: r.last_frame_age_s),
    ("aimoji_picture_still_seconds", "seconds since the picture on the wall last changed",
     lambda r: r.picture_still_s),
    ("aimoji_asked_images_per_second", "images per second the scene asks of the model",
     lambda r: r.player.generation.asked_per_s),
    ("aimoji_stale_tiles", "grid tiles waiting for a fresh image", lambda r: r.player.generation.stale_tiles),
)
COUNTERS = (
    ("aimoji_frames", "frames shown since start (start-up not counted)", lambda r: r.player.frames.shown),
    ("aimoji_dropped_frames", "frames due but not shown in time while open", lambda r: r.player.frames.dropped),
    ("aimoji_generated_images", "images the model generated", lambda r: r.player.generation.generated),
    ("aimoji_model_swaps", "times another model took over the wall (hot reload, fallback)",
     lambda r: r.player.model_swaps),
    ("aimoji_rejected_files", "dropped-in model or show files refused by validation",
     lambda r: r.player.rejected_files),
)


def _flag(name: str, help_text: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=1.0 if value else 0.0)


def _epoch(iso) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp() if isinstance(iso, str) else None
    except ValueError:
        return None


def start_time(report: Report) -> float | None:
    """When the player started, in Unix time: the report's wall clock less the player's uptime (None
    before the player has published its state)."""
    return round(report.written_at - report.player.uptime_s, 3) if report.player.uptime_s > 0 else None


def families(report: Report, server: Mapping | None = None, started_at: float | None = None) -> list:
    """The metric families of one report (and the status page's own counters); `started_at`: the
    player's start time (Unix), when known."""
    player = report.player
    out = [_flag("aimoji_healthy", "1 while the health verdict is ok: nothing a restart may fix, nothing degraded",
                 report.healthy),
           _flag("aimoji_open", "1 while the show is open (inside opening hours)", player.open),
           _flag("aimoji_intended_still", "1 while an operator froze or blacked out the wall",
                 player.picture.intended_still),
           InfoMetricFamily("aimoji_player", "what plays: show, model, scene, state and health phase", value={
               "show": player.show, "model": player.model or "", "scene": player.scene or "",
               "state": player.activity, "phase": report.phase})]
    for name, help_text, figure in GAUGES:
        if figure(report) is not None:
            out.append(GaugeMetricFamily(name, help_text, value=float(figure(report))))
    for name, help_text, figure in COUNTERS:
        out.append(CounterMetricFamily(name, help_text, value=float(figure(report))))
    frames = player.frames
    if frames.work_s_buckets:
        out.append(HistogramMetricFamily(
            "aimoji_frame_seconds", "the render loop's own work per frame shown (start-up not counted)",
            buckets=[*((f"{le:g}", float(n)) for le, n in zip(FRAME_BUCKETS_S, frames.work_s_buckets)),
                     ("+Inf", float(frames.shown))], sum_value=frames.work_s_sum))
    if started_at is not None:
        out.append(GaugeMetricFamily("aimoji_start_time_seconds", "when the player started (Unix time); a "
                                     "change is a restart", value=started_at))
    change = _epoch(player.next_change)
    if change is not None:
        out.append(GaugeMetricFamily("aimoji_next_change_timestamp_seconds",
                                     "when the schedule next changes (Unix time)", value=change))
    problems = GaugeMetricFamily("aimoji_problems", "the health verdict's problems now (what a restart may fix; "
                                                    "the watchdog stops)")
    problems.add_metric([], float(len(report.problems)))
    degraded = GaugeMetricFamily("aimoji_degradations", "what is worse than the show asks but alive now (slow, "
                                                        "dropping frames, a fallback, the panel unplugged)")
    degraded.add_metric([], float(len(report.degraded)))
    out.append(degraded)
    clock = player.clock
    if clock is not None and clock.synced is not None:
        out.append(_flag("aimoji_clock_synced", "1 while the system clock is synchronised to a time server "
                         "(the kernel's flag, chrony or systemd-timesyncd)", clock.synced))
    if clock is not None and clock.offset_s is not None:
        out.append(GaugeMetricFamily("aimoji_clock_offset_seconds", "this PC's clock less its time server's, as "
                                     "the time daemon last measured it (positive: ahead)", value=clock.offset_s))
    if player.display is not None and player.display.connected is not None:
        out.append(_flag("aimoji_display_connected", "1 while the panel's connector reads connected (DRM sysfs)",
                         player.display.connected))
    errors = GaugeMetricFamily("aimoji_recent_errors", "warnings and errors kept for the state file")
    errors.add_metric([], float(len(report.errors)))
    overrides = GaugeMetricFamily("aimoji_override", "1 per override an operator holds (OSC, the status page)",
                                  labels=["kind"])
    for kind in sorted(player.overrides):
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
    """A prometheus-client collector: each scrape reads state() (the report) and server() (the page's
    counters). The player's start time is fixed at the first scrape that knows it, so every scrape of
    one run gives the same number (worked out again each time, it would move with the milliseconds
    between a frame and a scrape, and look like restarts)."""

    def __init__(self, state: Callable[[], Report], server: Callable[[], Mapping] | None = None):
        self.state, self.server = state, server
        self.started_at: float | None = None
        self.build = InfoMetricFamily("aimoji_build", "the installed aimoji", value={"version": package_version()})

    def describe(self):
        return []   # nothing to check at registration: collect() reads the player when scraped

    def collect(self):
        report = self.state()
        self.started_at = self.started_at or start_time(report)
        yield self.build
        yield from families(report, self.server() if self.server is not None else None, self.started_at)


def registry(state: Callable[[], Report], server: Callable[[], Mapping] | None = None) -> CollectorRegistry:
    """A registry of its own (not the process-global one) holding the player's collector and the
    process's figures (the page runs in the player's process)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(StateCollector(state, server))
    ProcessCollector(registry=reg)
    return reg


def exposition(reg: CollectorRegistry) -> bytes:
    """The text format a Prometheus scrape reads."""
    return generate_latest(reg)
