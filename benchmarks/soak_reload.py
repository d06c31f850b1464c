"""Soak test of hot reload: drop ~1,000 files into the watched folders (a third of them bad, in every
way; some written slowly in chunks, some renamed into place) and check every good one is delivered,
every bad one rejected. Prints counts, latency from landing to first frame, and memory growth.

  .venv/bin/python -m benchmarks.soak_reload                 # 1,000 files, an emulated player
  .venv/bin/python -m benchmarks.soak_reload --with-player   # the real Player, headless (dummy SDL)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from tests.support.model_files import BAD_KINDS, HUGE_LIMIT_BYTES, model_bytes

from installation.service.reload.reloader import Reloader
from installation.text import MB, size_text

SHOW_KINDS = {"show_good": "title = 'soak {i}'\nseed = {i}\n",
              "show_toml_error": "title = 'soak {i}\n",
              "show_schema_error": "title = 'soak {i}'\n[display]\nfps = 0\n"}
HOWS = ("write", "rename", "slow")


@dataclass
class Drop:
    name: str
    kind: str  # 'good', one of BAD_KINDS, or one of SHOW_KINDS
    how: str  # write: one write; rename: written under .part then renamed; slow: chunks with pauses

    @property
    def good(self) -> bool:
        return self.kind in ("good", "show_good")


def make_plan(n: int, bad_fraction: float, slow_fraction: float, show_fraction: float,
              seed: int) -> list[Drop]:
    rng = random.Random(seed)
    n_shows = max(len(SHOW_KINDS), round(n * show_fraction))
    n_models = n - n_shows
    n_bad = max(len(BAD_KINDS), round(n_models * bad_fraction))
    kinds = ["good"] * (n_models - n_bad) + [BAD_KINDS[i % len(BAD_KINDS)] for i in range(n_bad)]
    rng.shuffle(kinds)
    drops = []
    for i, kind in enumerate(kinds):
        how = "slow" if rng.random() < slow_fraction else rng.choice(("write", "rename"))
        drops.append(Drop(f"m{i:04d}", kind, how))
    show_kinds = [list(SHOW_KINDS)[i % len(SHOW_KINDS)] for i in range(n_shows)]
    for i, kind in enumerate(show_kinds):  # shows spread evenly through the models
        drops.insert(rng.randrange(len(drops) + 1), Drop(f"show{i}", kind, "write"))
    return drops


def write_file(path: Path, data: bytes, how: str, rng: random.Random) -> float:
    """Write like a copy tool would; returns the monotonic time the file landed (complete)."""
    if how == "rename":
        part = path.with_name(path.name + ".part")
        part.write_bytes(data)
        os.replace(part, path)
    elif how == "slow":  # one open file, chunks with pauses shorter than the window, like SMB
        chunks = rng.randint(4, 8)
        step = max(1, len(data) // chunks)
        with open(path, "wb") as fh:
            for i in range(0, max(len(data), 1), step):
                if i:
                    time.sleep(rng.uniform(0.03, 0.15))
                fh.write(data[i:i + step])
                fh.flush()
    else:
        path.write_bytes(data)
    return time.monotonic()


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


@dataclass
class Outcomes:
    """What the callbacks saw, keyed by file stem; filled from the reloader's worker thread."""
    delivered: dict = field(default_factory=dict)  # stem -> monotonic time of the callback
    rejected: dict = field(default_factory=dict)  # stem -> reason
    shows: list = field(default_factory=list)  # titles of shows delivered
    show_rejects: list = field(default_factory=list)  # reasons
    rss_at_swap: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    show_done: threading.Event = field(default_factory=threading.Event)  # a show edit had its outcome


class EmulatedPlayer:
    """Stands in for the Player: drains posts between frames at `fps`, keeps only the current model
    and renders one image with it, recording when each model's first frame was made."""

    def __init__(self, fps: int = 60):
        import queue
        self.inbox, self.fps = queue.SimpleQueue(), fps
        self.first_frame: dict[str, float] = {}
        self.current = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def post(self, name: str, model) -> None:
        self.inbox.put((name, model))

    def _loop(self) -> None:
        import numpy as np
        while not self._stop.is_set():
            fresh = None
            while not self.inbox.empty():
                fresh = self.inbox.get()
            if fresh is not None:
                name, self.current = fresh  # the previous model is released here
                z = np.zeros((1, self.current.info.z_dim), np.float32)
                self.current.session.run(None, {self.current.input_name: z})
                self.first_frame[name] = time.monotonic()
            time.sleep(1 / self.fps)

    def post_show(self, show) -> None:
        pass  # the emulated player has no scenes: shows are only counted

    def post_reject(self, path: str, reason: str) -> None:
        pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)


class RealPlayer:
    """The installation's Player, headless on SDL's dummy driver, fed through the same callbacks
    `aimoji play` gives the reloader (installation/service/runtime.py: ReloadHooks, FrameHook with display
    power). Its main loop runs on this (main) thread, so the drops run in a side thread."""

    def __init__(self, show_path: Path, first_model_path: Path, models_dir: Path, fps: int = 30):
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        from installation.display.output import open_display
        from installation.service.power.display_power import DisplayPower
        from installation.model.load import load
        from installation.player.loop import Player
        from installation.service.runtime import Calibrations, FrameHook, ReloadHooks
        from installation.show.config import load_show

        show = load_show(show_path)
        show = show.model_copy(update={"display": show.display.model_copy(update={"fps": fps})})
        first = load(first_model_path)
        display = open_display((320, 240), False, title="AImoji soak")
        self.power = DisplayPower(show.outside_hours, None)  # no commands: nothing is switched
        self.player = Player(show, {first.name: first}, first.name, display, batch=4,
                             log=lambda line: None, on_frame=FrameHook(self.power))
        self.hooks = ReloadHooks(self.player, models_dir, lambda: show_path, Calibrations())
        self.first_frame: dict[str, float] = {}

    def post(self, name: str, model) -> None:
        self.hooks.on_model(name, model)

    def post_show(self, show) -> None:
        self.hooks.on_show(show)

    def post_reject(self, path: str, reason: str) -> None:
        self.hooks.on_reject(path, reason)

    def close(self) -> None:
        self.power.close()

    def watch(self, stop: threading.Event) -> None:
        while not stop.is_set():  # when the player's current model changes, its first frame is out
            name = self.player.snapshot().model
            if name and name not in self.first_frame:
                self.first_frame[name] = time.monotonic()
            time.sleep(0.005)


class _CountingHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = 0

    def emit(self, record) -> None:
        self.lines += 1


def soak(root: Path, n: int = 1000, bad_fraction: float = 0.35, slow_fraction: float = 0.1,
         show_fraction: float = 0.04, gap_s: float = 0.02, window_s: float = 0.3, seed: int = 0,
         with_player: bool = False, player_fps: int = 30) -> dict:
    """Run the soak in `root`; returns the figures (see main)."""
    models_dir, shows_dir = root / "models", root / "shows"
    models_dir.mkdir(parents=True)
    shows_dir.mkdir()
    show_path = shows_dir / "soak.toml"
    show_path.write_text(SHOW_KINDS["show_good"].format(i=0))
    plan = make_plan(n, bad_fraction, slow_fraction, show_fraction, seed)
    rng = random.Random(seed + 1)
    out = Outcomes()
    if with_player:
        (root / "first.onnx").write_bytes(model_bytes("good", seed=10_000))
        player = RealPlayer(show_path, root / "first.onnx", models_dir, player_fps)
    else:
        player = EmulatedPlayer()

    def on_model(name, model):
        with out.lock:
            out.delivered[name] = time.monotonic()
            swaps = len(out.delivered)
            if swaps == 100 or swaps % 50 == 0:
                out.rss_at_swap[swaps] = rss_mb()
        player.post(name, model)

    def on_show(show):
        with out.lock:
            out.shows.append(show.title)
        player.post_show(show)
        out.show_done.set()

    def on_reject(path, reason):
        player.post_reject(path, reason)
        with out.lock:
            if path.endswith(".toml"):
                out.show_rejects.append(reason)
                out.show_done.set()
            else:
                out.rejected[Path(path).stem] = reason

    landed: dict[str, float] = {}
    reloader = Reloader(models_dir, show_path, on_model=on_model, on_show=on_show, on_reject=on_reject,
                        window_s=window_s, max_model_bytes=HUGE_LIMIT_BYTES)
    writers: list[threading.Thread] = []

    def drive() -> None:
        for i, drop in enumerate(plan):
            if drop.kind in SHOW_KINDS:
                # One show file: wait for each edit's outcome, or quick edits would merge into one.
                out.show_done.clear()
                landed[drop.name] = write_file(show_path, SHOW_KINDS[drop.kind].format(i=i).encode(),
                                               "write", rng)
                out.show_done.wait(10)
                continue
            data = model_bytes(drop.kind, seed=i)
            path = models_dir / f"{drop.name}.onnx"
            if drop.how == "slow":
                t = threading.Thread(target=lambda p=path, d=data, dr=drop: landed.__setitem__(
                    dr.name, write_file(p, d, "slow", random.Random(seed + i))))
                t.start()
                writers.append(t)
            else:
                landed[drop.name] = write_file(path, data, drop.how, rng)
            time.sleep(gap_s)
        for t in writers:
            t.join()
        expected = sum(1 for d in plan if d.kind not in SHOW_KINDS)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(out.delivered) + len(out.rejected) < expected:
            time.sleep(0.05)
        time.sleep(0.5)  # let the last first frames be drawn

    log = logging.getLogger("aimoji.reload")
    counter, propagate = _CountingHandler(), log.propagate
    log.addHandler(counter)
    log.propagate = False  # count the rejection lines instead of printing a thousand of them
    started = time.monotonic()
    with reloader:
        if with_player:
            stop = threading.Event()
            watcher = threading.Thread(target=player.watch, args=(stop,), daemon=True)
            driver = threading.Thread(target=lambda: (drive(), player.player.post(_quit())), daemon=True)
            watcher.start()
            driver.start()
            player_stats = player.player.run()
            stop.set()
            driver.join()
            player.close()
        else:
            drive()
            player.close()
            player_stats = None
    elapsed = time.monotonic() - started
    log.removeHandler(counter)
    log.propagate = propagate
    fig = _figures(plan, landed, out, player.first_frame, reloader.counts, elapsed, player_stats)
    fig["log_lines_rejected"] = counter.lines
    import gc
    gc.collect()
    fig["rss_mb_end"] = round(rss_mb(), 1)  # after the run, everything released that can be
    return fig


def latency(root: Path, model_path: Path, repeats: int = 10, window_s: float = 0.3) -> dict:
    """Drop copies of a real exported model (written in place, then renamed in) and time landing ->
    delivery -> first frame, so the 1 s target is measured with a realistic model size."""
    models_dir = root / "latency_models"
    models_dir.mkdir(parents=True)
    data, rng = model_path.read_bytes(), random.Random(0)
    player, delivered = EmulatedPlayer(), {}
    reloader = Reloader(models_dir, root / "none.toml", window_s=window_s,
                        on_model=lambda n, m: (delivered.__setitem__(n, time.monotonic()), player.post(n, m)),
                        on_show=lambda show: None)
    rows = {"write": [], "rename": []}
    with reloader:
        for i in range(repeats):
            for how in rows:
                name = f"{how}{i}"
                landed = write_file(models_dir / f"{name}.onnx", data, how, rng)
                end = time.monotonic() + 10
                while name not in player.first_frame and time.monotonic() < end:
                    time.sleep(0.005)
                if name in player.first_frame:
                    rows[how].append((delivered[name] - landed, player.first_frame[name] - landed))
    player.close()
    return {how: {"n": len(r), "delivery_ms_p50": round(statistics.median(d for d, _ in r) * 1000, 1),
                  "first_frame_ms_p50": round(statistics.median(f for _, f in r) * 1000, 1),
                  "first_frame_ms_max": round(max(f for _, f in r) * 1000, 1)}
            for how, r in rows.items() if r}


def _quit():
    from installation.player.messages import Quit
    return Quit()


def _figures(plan, landed, out, first_frame, counts, elapsed, player_stats) -> dict:
    models = [d for d in plan if d.kind not in SHOW_KINDS]
    good = [d.name for d in models if d.good]
    bad = [d.name for d in models if not d.good]
    bad_shows = [d for d in plan if d.kind in SHOW_KINDS and not d.good]
    how = {d.name: d.how for d in models}
    delivery = [out.delivered[n] - landed[n] for n in good if n in out.delivered and n in landed]
    by_how = {h: [out.delivered[n] - landed[n] for n in good
                  if how[n] == h and n in out.delivered and n in landed] for h in HOWS}
    frames = [first_frame[n] - landed[n] for n in good if n in first_frame and n in landed]
    slow_good = [d.name for d in models if d.good and d.how == "slow"]
    swaps = sorted(out.rss_at_swap)
    pct = lambda xs, q: round(statistics.quantiles(xs, n=100)[q - 1] * 1000, 1) if len(xs) > 2 else None  # noqa
    return {
        "files": len(plan), "models": len(models), "good_models": len(good), "bad_models": len(bad),
        "bad_by_kind": {k: sum(1 for d in models if d.kind == k) for k in BAD_KINDS},
        "shows": sum(1 for d in plan if d.kind in SHOW_KINDS), "bad_shows": len(bad_shows),
        "slow_writes": sum(1 for d in models if d.how == "slow"),
        "renamed": sum(1 for d in models if d.how == "rename"),
        "delivered": len(out.delivered), "rejected": len(out.rejected),
        "shows_delivered": len(out.shows), "shows_rejected": len(out.show_rejects),
        "good_shows_ok": len(out.shows) == sum(1 for d in plan if d.kind == "show_good"),
        "bad_shows_ok": len(out.show_rejects) == len(bad_shows),
        "good_missing": sorted(set(good) - set(out.delivered)),
        "bad_delivered": sorted(set(bad) & set(out.delivered)),
        "bad_not_rejected": sorted(set(bad) - set(out.rejected)),
        "good_rejected": sorted(set(good) & set(out.rejected)),
        "slow_good_delivered": sum(1 for n in slow_good if n in out.delivered), "slow_good": len(slow_good),
        "delivery_ms_p50": pct(delivery, 50), "delivery_ms_p95": pct(delivery, 95),
        "delivery_ms_max": round(max(delivery) * 1000, 1) if delivery else None,
        "delivery_ms_p50_by_how": {h: pct(v, 50) for h, v in by_how.items()},
        "first_frame_ms_p50": pct(frames, 50), "first_frame_ms_p95": pct(frames, 95),
        "first_frame_ms_max": round(max(frames) * 1000, 1) if frames else None,
        "first_frame_ms_p50_by_how": {h: pct([first_frame[n] - landed[n] for n in good if how[n] == h
                                              and n in first_frame and n in landed], 50) for h in HOWS},
        "first_frames_seen": len(frames),
        "rss_mb_at_swap": {s: round(out.rss_at_swap[s], 1) for s in swaps},
        "rss_growth_mb": round(out.rss_at_swap[swaps[-1]] - out.rss_at_swap[100], 1)
        if 100 in out.rss_at_swap and len(swaps) > 1 else None,
        "rss_growth_between_swaps": [100, swaps[-1]] if swaps else None,
        "reloader_counts": dict(counts), "elapsed_s": round(elapsed, 1),
        "player": player_stats,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--files", type=int, default=1000, help="files to drop (default 1000)")
    p.add_argument("--bad", type=float, default=0.35, help="fraction of models that are bad (default 0.35)")
    p.add_argument("--slow", type=float, default=0.1, help="fraction written slowly in chunks (default 0.1)")
    p.add_argument("--gap-ms", type=float, default=20, help="pause between drops in ms (default 20)")
    p.add_argument("--window-s", type=float, default=0.3, help="completeness window (default 0.3)")
    p.add_argument("--with-player", action="store_true", help="feed the real Player, headless (dummy SDL)")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    p.add_argument("--latency-model", type=Path, default=None,
                   help="instead of the soak: time landing -> first frame for copies of this real .onnx")
    args = p.parse_args(argv)
    if args.latency_model is not None:
        with tempfile.TemporaryDirectory(prefix="aimoji-latency-") as tmp:
            for how, row in latency(Path(tmp), args.latency_model, window_s=args.window_s).items():
                print(f"{args.latency_model.name} ({size_text(args.latency_model.stat().st_size)}), {how:>6}: {row}  "
                      f"(target first frame < 1000 ms: ratio {row['first_frame_ms_max'] / 1000:.2f})")
        return 0
    with tempfile.TemporaryDirectory(prefix="aimoji-soak-") as tmp:
        fig = soak(Path(tmp), args.files, args.bad, args.slow, gap_s=args.gap_ms / 1000,
                   window_s=args.window_s, with_player=args.with_player)
    for key, value in fig.items():
        print(f"{key:>26}: {value}")
    ok = not (fig["good_missing"] or fig["bad_delivered"] or fig["bad_not_rejected"] or fig["good_rejected"])
    ok = ok and fig["good_shows_ok"] and fig["bad_shows_ok"] and fig["log_lines_rejected"] == (
        fig["rejected"] + fig["shows_rejected"])
    growth = fig["rss_growth_mb"]
    print(f"\nverdict: {'every good file delivered, every bad one rejected' if ok else 'MISMATCH'}; "
          f"RSS growth swap 100 -> {fig['rss_growth_between_swaps'][-1] if fig['rss_growth_between_swaps'] else '?'}: "
          f"{growth} MB (target < 20 MB, ratio {growth / 20 if growth is not None else float('nan'):.2f} of target)")
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
