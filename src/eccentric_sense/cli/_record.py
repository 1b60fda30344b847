"""``eccentric-sense record``: a sensor (or a replayed file) to a canonical CSV, with live feedback."""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .. import columns
from ..constants import EXERCISES, PHASE_SPEED_THRESHOLD_M_S
from ..errors import ConfigError, DeviceError, EccentricSenseError
from ._analyze import PROTOCOL_IDS

#: Trailing window re-analysed for the live rep feedback, and how often (in
#: recording time, so that a replay gives the same feedback at any speed).
LIVE_WINDOW_S = 60.0
LIVE_ANALYSIS_EVERY_S = 1.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record a sensor to a CSV file, with live rep feedback",
        description=(
            "Record from serial:PORT, ble:NAME_OR_ADDRESS or replay:FILE.csv into a canonical CSV. "
            "Stops at --duration, when the device is gone for good, or on Ctrl-C; the file is valid "
            "in every case and holds every sample received. Statistics go to FILE.csv.json."
        ),
    )
    parser.add_argument("uri", help="serial:PORT, ble:NAME_OR_ADDRESS or replay:FILE.csv")
    parser.add_argument(
        "--protocol", choices=["es1", "witmotion", "polar"], help="the device's protocol (serial: and ble:; polar is BLE only)"
    )
    parser.add_argument("--out", required=True, help="output CSV (never overwritten)")
    parser.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds of data")
    parser.add_argument("--exercise", choices=EXERCISES, default=None, help="exercise, written to the metadata")
    parser.add_argument(
        "--analyze-protocol", choices=PROTOCOL_IDS, default="tempo", metavar="ID",
        help=f"training protocol for the live feedback and the metadata ({', '.join(PROTOCOL_IDS)})",
    )
    parser.add_argument("--baud", type=int, default=None, help="serial baud rate (es1 921600, WitMotion 115200)")
    parser.add_argument("--rate", type=float, default=None, metavar="HZ", help="sample rate to configure")
    parser.add_argument(
        "--reconnect-timeout", type=float, default=None, metavar="S",
        help="how long to wait for a vanished device (serial 10 s, BLE 30 s)",
    )
    parser.add_argument("--scan-timeout", type=float, default=10.0, metavar="S", help="BLE: how long to look")
    parser.add_argument("--speed", type=float, default=1.0, help="replay: playback speed, 0 = as fast as possible")
    parser.add_argument("--plain", action="store_true", help="print progress lines instead of the live view")
    parser.add_argument(
        "--no-analysis", action="store_true",
        help="no live rep feedback (starts faster, spares the CPU of a small computer)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists():
        raise ConfigError(f"{out}: already exists; choose another --out or delete it first")
    if not out.parent.exists():
        raise ConfigError(f"{out}: the folder {out.parent} does not exist")
    if args.duration is not None and not args.duration > 0:
        raise ConfigError(f"--duration must be positive, not {args.duration}")
    if not args.uri.startswith("replay:") and args.protocol is None:
        raise ConfigError(f"{args.uri}: say which protocol the device speaks: --protocol es1, witmotion or polar")
    return asyncio.run(_record(args))


async def _record(args: argparse.Namespace) -> int:
    from ..devices import recorder as recorder_module
    from ..devices.source import open_source

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    interrupted: list[int] = []

    def on_signal(signum: int) -> None:
        interrupted.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows: KeyboardInterrupt instead
            pass

    # Import the analysis (scipy: seconds on a slow machine) before the device
    # starts streaming, so that the stream never queues up behind the import.
    analyze = None if args.no_analysis else _load_analyze()
    options: dict[str, Any] = {"protocol": args.protocol, "scan_timeout_s": args.scan_timeout}
    if args.baud:
        options["baudrate"] = args.baud
    if args.rate:
        options["sample_rate_hz"] = args.rate
    if args.reconnect_timeout is not None:
        options["reconnect_timeout_s"] = args.reconnect_timeout
    if args.uri.startswith("replay:"):
        options = {"speed": args.speed}
    source = open_source(args.uri, **options)
    opening = asyncio.ensure_future(source.open())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({opening, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if not opening.done():
        opening.cancel()
        await asyncio.gather(opening, return_exceptions=True)
        await source.close()
        print("eccentric-sense: interrupted before the device started; nothing recorded", file=sys.stderr)
        return 130
    stopped.cancel()
    opening.result()  # raises the DeviceError, if any

    metadata = {
        "device": source.device_info.get("device", source.uri),
        "source": source.uri,
        "device_protocol": source.protocol,
        "sample_rate_hz": f"{source.sample_rate_hz:g}" if source.sample_rate_hz else None,
        "exercise": args.exercise,
        "protocol": args.analyze_protocol,
        "time_base": "device" if source.protocol in ("es1", "polar", "replay") else "host",
    }
    metadata.update({k: v for k, v in source.device_info.items() if k not in metadata})
    try:
        recorder = recorder_module.Recorder(
            args.out, metadata=metadata, gyroscope=source.has_gyroscope, nominal_rate_hz=source.sample_rate_hz,
        )
    except EccentricSenseError:
        await source.close()
        raise
    view = _LiveView(recorder, source, analyze, exercise=args.exercise, protocol=args.analyze_protocol,
                     rich_live=not args.plain and sys.stdout.isatty())
    reason = recorder_module.EndReason.END_OF_STREAM
    try:
        with view:
            reason = await recorder_module.record(
                source, recorder, duration_s=args.duration, stop=stop, on_batch=view.on_batch
            )
    except DeviceError as error:
        reason = f"error: {error}"
        raise
    finally:
        if interrupted:
            reason = recorder_module.EndReason.STOPPED
        recorder.close(source.stats, ended_by=reason)
        view.summary(reason)
    return 130 if interrupted and interrupted[0] == signal.SIGINT else 0


class _LiveView:
    """Counters, current phase and speed, and each rep as it ends (rich, or plain lines)."""

    def __init__(
        self, recorder: Any, source: Any, analyze: Any, *, exercise: str | None, protocol: str, rich_live: bool
    ) -> None:
        self.recorder = recorder
        self.source = source
        self.exercise = exercise
        self.protocol = protocol
        self.rich_live = rich_live
        self._live: Any = None
        self._console: Any = None
        self._last_render = 0.0
        self._last_line = 0.0
        self._last_analysis = -math.inf  # recording time of the last analysis
        self._reported_reps: list[tuple[float, float]] = []
        self._rep_count = 0
        self._phase = "-"
        self._speed = math.nan
        self._analysis_note = ""
        self._analyze = analyze

    # ---------------------------------------------------------------- context
    def __enter__(self) -> "_LiveView":
        if self.rich_live:
            from rich.console import Console
            from rich.live import Live

            self._console = Console()
            self._live = Live(self._table(), console=self._console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        print(f"recording {self.source.uri} to {self.recorder.path} (Ctrl-C to stop)", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(None, None, None)

    # ---------------------------------------------------------------- updates
    def on_batch(self, batch: Any, written: int) -> None:
        now = time.monotonic()
        data_time = self.recorder.last_time_s or 0.0
        if data_time - self._last_analysis >= LIVE_ANALYSIS_EVERY_S:
            self._last_analysis = data_time
            self._run_analysis()
        if self._live is not None and now - self._last_render >= 0.25:
            self._last_render = now
            self._live.update(self._table())
        elif self._live is None and now - self._last_line >= 1.0:
            self._last_line = now
            print(self._line(), flush=True)

    def summary(self, reason: str) -> None:
        stats = self.source.stats
        print(
            f"done ({reason}): {self.recorder.samples_written} samples, {self.recorder.last_time_s or 0.0:.1f} s "
            f"in {self.recorder.path}; lost {stats.lost_samples}, checksum errors {stats.checksum_errors}, "
            f"reconnects {stats.reconnects}, gaps {len(stats.gaps)}",
            flush=True,
        )

    def _line(self) -> str:
        stats = self.source.stats
        return (
            f"{self.recorder.last_time_s or 0.0:7.1f} s  {self.recorder.samples_flushed} samples on disk  "
            f"{stats.samples_per_s:6.1f}/s  lost {stats.lost_samples}  checksum errors {stats.checksum_errors}  "
            f"reconnects {stats.reconnects}  phase {self._phase}  speed {_fmt(self._speed, 'm/s')}"
        )

    def _table(self) -> Any:
        from rich.table import Table

        stats = self.source.stats
        table = Table(title=f"{self.source.uri} -> {self.recorder.path}", show_header=False)
        table.add_row("recorded", f"{self.recorder.last_time_s or 0.0:.1f} s, {self.recorder.samples_written} samples")
        table.add_row("rate", f"{stats.samples_per_s:.1f} samples/s")
        table.add_row("lost / checksum errors", f"{stats.lost_samples} / {stats.checksum_errors}")
        table.add_row("reconnects / gaps", f"{stats.reconnects} / {len(stats.gaps)}")
        table.add_row("phase, speed", f"{self._phase}, {_fmt(self._speed, 'm/s')}")
        table.add_row("reps", f"{self._rep_count}{self._analysis_note}")
        return table

    def _say(self, text: str) -> None:
        if self._console is not None:
            self._console.print(text)
        else:
            print(text, flush=True)

    def _run_analysis(self) -> None:
        analyze = self._analyze
        if analyze is None:
            return
        recording = self.recorder.recent(LIVE_WINDOW_S)
        if recording is None or recording.n_samples < 50:
            return
        try:
            result = analyze(recording, exercise=self.exercise, protocol=self.protocol)
        except Exception as error:  # noqa: BLE001 - live feedback must never stop a recording
            self._analysis_note = f" (live analysis unavailable: {error})"
            return
        self._analysis_note = ""
        velocity = result.kinematics.velocity_m_s
        if velocity.size:
            self._speed = float(velocity[-1])
            if self._speed < -PHASE_SPEED_THRESHOLD_M_S:
                self._phase = "lowering"
            elif self._speed > PHASE_SPEED_THRESHOLD_M_S:
                self._phase = "lifting"
            else:
                self._phase = "still"
        reps = result.reps
        window_start, window_end = float(recording.time_s[0]), float(recording.time_s[-1])
        for _, rep in reps.iterrows():
            start = float(rep[columns.ECC_START_S])
            duration = float(rep[columns.ECC_DURATION_S])
            ends = [float(rep[c]) for c in (columns.ECC_END_S, columns.CON_END_S)]
            ended = max((e for e in ends if math.isfinite(e)), default=math.nan)
            # Report a rep once, when it lies inside the window with some context
            # on both sides (boundaries move a little as the window slides).
            if not (math.isfinite(start) and math.isfinite(duration) and math.isfinite(ended)):
                continue
            if start < window_start + 2.0 or ended > window_end - 3.0:
                continue
            # Boundaries move as more data arrives: a rep whose descent overlaps
            # one already reported is the same rep.
            stop = start + duration
            if any(start < seen_stop and seen_start < stop for seen_start, seen_stop in self._reported_reps):
                continue
            self._reported_reps.append((start, stop))
            self._rep_count += 1
            flags = ", ".join(rep[columns.FLAGS]) if rep[columns.FLAGS] else "none"
            self._say(f"rep {self._rep_count}: descent {_fmt(duration, 's')}, flags: {flags}")


def _load_analyze() -> Any:
    """The analysis entry point for the live view (``None`` if it cannot be imported)."""
    try:
        from ..analysis import AnalysisSettings, analyze
        from ..workflow import NEGATIVE_FIRST_PROTOCOLS
    except ImportError:
        return None

    def run(recording: Any, *, exercise: str | None, protocol: str) -> Any:
        first = "eccentric" if protocol in NEGATIVE_FIRST_PROTOCOLS else None
        return analyze(recording, exercise=exercise, settings=AnalysisSettings(first_phase=first))

    return run


def _fmt(value: float, unit: str) -> str:
    return "-" if value is None or not math.isfinite(float(value)) else f"{float(value):.2f} {unit}"
