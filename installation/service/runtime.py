"""The player's companions for unattended operation, started around `Player.run` by `aimoji play`:
hot reload, SIGTERM/SIGHUP, systemd notify + watchdog, the health state file, display power and the
show's calibration profile, the panel's connector and the clock's sync, and OSC control and the status page when asked for (service/remote/osc.py,
service/remote/http_status.py). Threads here only load,
validate and `player.post(...)`; the loop applies.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from installation.calibration.apply import Calibration
from installation.calibration.profile import ProfileError
from installation.model.load import ModelError, load
from installation.clocksync.watch import ClockWatch
from installation.display.connector import ConnectorWatch
from installation.player.messages import UNCHANGED, ModelReady, Quit, Rejected, Reopen, ShowReady
from installation.player.state import Override
from installation.player.stats import venue_iso
from installation.service.power import power_commands
from installation.service.systemd import sdnotify, signals
from installation.service.power.display_power import DisplayPower
from installation.paths import DEFAULT_MODEL, MODELS_DIR
from installation.service.reload.fallback import FallbackFinder
from installation.service.reload.reloader import Reloader
from installation.service.remote import control
from installation.service.remote.shelf import Shelf
from installation.service.health.report import Companions
from installation.service.health.writer import StateWriter
from installation.service.systemd.watchdog import WatchdogPinger
from installation.show.config import ShowError, calibration_path, load_show, resolve_show_path

log = logging.getLogger("aimoji.runtime")



class Calibrations:
    """The show's calibration profile as a calibration.apply.Calibration. A profile that cannot be read
    is one log line: at start the player plays uncalibrated, on a reload it keeps the last good one."""

    def __init__(self):
        self.current = None
        self._lock = threading.Lock()

    def for_show(self, show, show_path: Path | str):
        path = calibration_path(show, show_path)
        with self._lock:
            if path is None:
                self.current = None
                return None
            try:
                loaded = Calibration.load(path)
                if self.current is None or loaded.profile != self.current.profile:
                    self.current = loaded  # the same profile keeps its object: no needless hand-over
            except ProfileError as exc:
                kept = "keeping the previous calibration" if self.current is not None else "playing uncalibrated"
                log.error("%s; %s", str(exc).replace("\n", "; "), kept)
                return UNCHANGED
            return self.current


class ReloadHooks:
    """The Reloader's callbacks (they run on its worker thread, so loading here never stalls a frame)."""

    def __init__(self, player, models_dir: Path, show_path: Callable[[], Path], calibrations: Calibrations,
                 accept_models: bool = True):
        self.player, self.models_dir, self.show_path = player, Path(models_dir), show_path
        self.calibrations, self.accept_models = calibrations, accept_models
        self._shows = 0                              # shows posted: a cue lapses only if none came after it
        self._lapse: threading.Timer | None = None

    def on_model(self, name: str, model) -> None:
        if self.accept_models:
            self.player.post(ModelReady(name, model))
        else:
            log.info("%s: not played (--model names one file to play)", name)

    def on_show(self, show, path: Path | None = None, cue: Override | None = None) -> None:
        """path: the show's file when it is not the watched one (a cue), for its calibration."""
        self._shows += 1
        calibration = self.calibrations.for_show(show, path or self.show_path())
        self.player.post(ShowReady(show, calibration, self._named_models(show), cue))

    def on_cue(self, show, path: Path, by: str) -> None:
        """An operator's show (control.Cues): posted, and after its max_override_s the configured show
        again, unless another show came in between."""
        max_s = show.max_override_s
        until = venue_iso(time.time() + max_s, show.timezone) if max_s else None
        self.on_show(show, path, Override(show.title, by, until))
        if self._lapse is not None:
            self._lapse.cancel()
        if max_s:
            self._lapse = threading.Timer(max_s, self._cue_lapsed, args=(self._shows, show.title, by, max_s))
            self._lapse.daemon = True
            self._lapse.start()

    def _cue_lapsed(self, serial: int, title: str, by: str, max_s: float) -> None:
        if serial != self._shows:
            return   # another show (a cue, an edit, a reload) took over since
        path = self.show_path()
        try:
            show = load_show(path)
        except ShowError as exc:
            log.error("cue '%s' by %s lapsed after %g s, but %s; keeping the cue", title, by, max_s,
                      "; ".join(exc.problems))
            return
        log.info("cue '%s' by %s lapsed after %g s (max_override_s): back to %s", title, by, max_s, path)
        self.on_show(show)

    def stop(self) -> None:
        if self._lapse is not None:
            self._lapse.cancel()

    def on_reject(self, path: str, reason: str) -> None:
        self.player.post(Rejected(path, reason))  # the reloader has logged it

    def _named_models(self, show) -> tuple:
        """Models the new playlist names that the player has not loaded (it never reads files itself)."""
        have = set(self.player.snapshot().models)
        loaded = []
        for name in sorted({e.model for e in show.playlist} - have - {"latest"}):
            path = self.models_dir / f"{name}.onnx"
            if not path.is_file():
                log.warning("%s: the show names model '%s' but there is no such file; that scene plays "
                            "the latest model", path, name)
                continue
            try:
                loaded.append((name, load(path, batch=self.player.batch)))
            except ModelError as exc:
                log.warning("%s; that scene plays the latest model", exc)
        return tuple(loaded)


class ShowRereader(threading.Thread):
    """SIGHUP (`systemctl reload aimoji`): re-read the show file off the render loop, post it."""

    def __init__(self, show_path: Callable[[], Path], on_show: Callable[[object], None]):
        super().__init__(name="aimoji-sighup", daemon=True)
        self.show_path, self.on_show = show_path, on_show
        self._wanted = threading.Event()
        self._quit = False

    def request(self) -> None:
        """Safe from a signal handler: only sets an event."""
        self._wanted.set()

    def run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._quit:
                return
            path = self.show_path()
            try:
                show = load_show(path)
            except ShowError as exc:
                log.error("%s; still playing the previous show", "; ".join(exc.problems))
                continue
            log.info("%s: show re-read ('%s')", path, show.title)
            self.on_show(show)

    def stop(self) -> None:
        self._quit = True
        self._wanted.set()


class FrameHook:
    """Runs on the render thread once per frame: tells DisplayPower whether the show is open (it
    returns at once; commands run on its own thread) and re-arms it after a show change."""

    def __init__(self, power):
        self.power = power
        self._show = None

    def __call__(self, player) -> None:
        if player.show is not self._show:
            if self._show is not None:
                self.power.set_outside(player.show.outside_hours)
            self._show = player.show
        self.power.update(not player.closed)


@contextmanager
def companions(player, *, models_dir: Path, explicit_show: Path | None, show_folder: Path, watch: bool,
               state_path: Path, calibrations: Calibrations, accept_models: bool = True,
               last_model_file: Path | None = None, power_file: Path | None = None, osc=None, http=None,
               token: tuple[bytes | None, str] = (None, ""), panel: bool = True):
    """Start everything that runs beside the render loop; stop it all (in reverse) on exit.
    Call from the main thread (signal handlers). last_model_file: where the reloader records each model
    it hands over, for the next start (commands/play.py load_models). power_file: the display power
    commands (power_commands.resolve_path: --display-power, $AIMOJI_DISPLAY_POWER_FILE or /etc/aimoji/).
    osc: an osc.Settings to listen for OSC control, or None (off). http: an http_status.Settings for the
    status page, or None (off); token: (control token or None, where it came from or why control is
    off), from control_token.find_token. panel: watch the panel's connector (not for --headless)."""
    stops: list[Callable[[], None]] = []
    reloader = None
    show_path = lambda: reloader.show_path if reloader is not None else resolve_show_path(  # noqa: E731
        explicit_show, show_folder)
    hooks = ReloadHooks(player, models_dir, show_path, calibrations, accept_models)
    stops.append(hooks.stop)
    try:
        if accept_models:
            # A model that fails for good with nothing else held: any other valid one from the folder.
            finder = FallbackFinder(models_dir, lambda path: load(path, batch=player.batch), hooks.on_model,
                                    last_model_file, shipped=(MODELS_DIR / f"{DEFAULT_MODEL}.onnx",))
            finder.start()
            stops.append(finder.stop)
            player.find_model = finder.request
        if watch:
            # The player's own models: rewriting one of them with the same bytes is not a new model.
            known = {m.path: m.sha256 for m in player.models.values()}
            reloader = Reloader(models_dir, explicit_show, show_folder=show_folder, on_model=hooks.on_model,
                                on_show=hooks.on_show, on_reject=hooks.on_reject, known_models=known,
                                batch=player.batch,
                                last_model_file=last_model_file if accept_models else None).start()
            stops.append(reloader.stop)
        rereader = ShowRereader(show_path, hooks.on_show)
        rereader.start()
        stops.append(rereader.stop)
        previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        signals.install(on_terminate=lambda: player.post(Quit()), on_reload=rereader.request)
        stops.append(lambda: [signal.signal(s, h) for s, h in previous.items()])
        stops.append(lambda: sdnotify.notify("STOPPING=1"))
        power = DisplayPower(player.show.outside_hours,
                             *power_commands.load_or_problem(power_commands.resolve_path(power_file)))
        stops.append(power.close)
        player.on_frame = FrameHook(power)
        if panel:   # unplugged: a status line; back: the player opens its display again
            link = ConnectorWatch(on_reconnect=lambda _state: player.post(Reopen()))
            link.start()
            stops.append(link.stop)
            player.link = link
        clock = ClockWatch(lambda: player.show.display.fps)   # this PC's clock sync, every 30 s
        clock.start()
        stops.append(clock.stop)
        player.clock_sync = clock
        cues = control.Cues(show_folder, hooks.on_cue, logging.getLogger("aimoji.control"))
        shelf = None
        if (osc is not None or http is not None) and accept_models:   # models named over OSC or the page
            shelf = Shelf(models_dir, lambda path: load(path, batch=player.batch), player.post,
                          logging.getLogger("aimoji.control"))
            shelf.start()
            stops.append(shelf.stop)
        osc_server = _start_osc(osc, player, cues, shelf)
        if osc_server is not None:
            stops.append(osc_server.stop)
        http_server = None

        def companions() -> Companions:   # what runs beside the render loop, in a few words each
            return Companions(power.status, reloader.mode if reloader is not None else "off (--no-watch)",
                              osc_server.status() if osc_server is not None else "off",
                              http_server.status() if http_server is not None else "off")
        writer = StateWriter(player.snapshot, companions=companions, path=state_path)
        http_server = _start_http(http, token, player, cues, shelf, writer.report)
        if http_server is not None:
            stops.append(http_server.stop)
        pinger = WatchdogPinger(player.snapshot)
        pinger.start()
        stops.append(pinger.stop)
        writer.start()
        stops.append(writer.stop)
        yield reloader
    finally:
        for stop in reversed(stops):
            try:
                stop()
            except Exception:  # noqa: BLE001 - one companion failing to stop must not keep the rest running
                log.exception("while stopping")


def _start_http(settings, token: tuple[bytes | None, str], player, cues, shelf, state):
    """The status page, or None when off or when its port cannot be had (one line; the wall plays on)."""
    if settings is None:
        return None
    from installation.service.remote.http_status import HttpStatus, StatusApp
    try:
        return HttpStatus(settings, lambda server: StatusApp(state, player, cues, *token, server=server.counters,
                                                             shelf=shelf)).start()
    except OSError as exc:
        log.error("HTTP: cannot listen on %s:%d (%s); playing without the status page", settings.bind,
                  settings.port, exc.strerror or exc)
        return None


def _start_osc(settings, player, cues, shelf):
    """The OSC server, or None when off or when its port cannot be had (one line; the wall plays on)."""
    if settings is None:
        return None
    from installation.service.remote.osc import OscServer
    try:
        return OscServer(settings, player, cues, shelf).start()
    except OSError as exc:
        log.error("OSC: cannot listen on %s:%d (%s); playing without OSC control", settings.bind,
                  settings.port, exc.strerror or exc)
        return None
