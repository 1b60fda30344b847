"""Record a source to a canonical CSV without losing what was received.

Guarantees (see ``docs/devices.md``):

* the header (with metadata) is on disk before the first sample;
* every batch is handed to the operating system (and ``fsync``-ed) as soon
  as the source has no more batches waiting, and at least every
  ``sync_interval_s`` (0.5 s) while batches arrive back to back, in whole
  lines, so a killed process (SIGKILL, a crash) leaves a valid file holding
  every sample received before the last flush; a flush costs about 0.3 ms
  and happens at most once per event-loop wake-up (tens per second);
* statistics known only at the end (lost samples, checksum errors, gaps,
  why the recording ended) go to a JSON sidecar ``FILE.csv.json``, written
  once at the start (``"complete": false``) and replaced atomically at the
  end, because metadata lines must precede the CSV header.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as _dt
import json
import os
from collections import deque
from pathlib import Path
from typing import Any, Callable, Deque, Mapping

import numpy as np

from .. import __version__
from ..io.canonical import RecordingWriter
from ..recording import Recording
from ..constants import STANDARD_GRAVITY
from .errors import DeviceError
from .source import Source, SourceStats
from .timeline import Timeline
from .types import SampleBatch

__all__ = ["Recorder", "record", "sidecar_path", "EndReason"]


class EndReason:
    """Why :func:`record` returned (strings, stored in the sidecar)."""

    DURATION = "duration reached"
    STOPPED = "stopped by the user"
    DEVICE_GONE = "device went away"
    END_OF_STREAM = "end of stream"


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """The JSON sidecar of a recording: ``FILE.csv`` -> ``FILE.csv.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


class Recorder:
    """Append batches to a canonical CSV and keep a trailing window in memory.

    Parameters
    ----------
    path
        Output CSV; never overwritten unless ``overwrite=True``.
    metadata
        ``key: value`` metadata lines (device, protocol, sample_rate_hz, exercise...).
        ``recorded_at`` (UTC, ISO 8601) and ``recorder`` are added.
    gyroscope
        Whether to write gyroscope columns.
    nominal_rate_hz
        Used to place samples that carry no device time (see :class:`Timeline`).
    window_s
        Length of the trailing window kept for live analysis.
    sync_interval_s
        Longest time between two flushes even while batches keep arriving
        back to back.

    Attributes
    ----------
    samples_written, samples_flushed, incomplete_samples_dropped, last_time_s, timeline
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        metadata: Mapping[str, object] | None = None,
        gyroscope: bool = True,
        nominal_rate_hz: float | None = None,
        overwrite: bool = False,
        window_s: float = 60.0,
        sync_interval_s: float = 0.5,
    ) -> None:
        self.path = Path(path)
        self.sidecar = sidecar_path(self.path)
        started = _dt.datetime.now(_dt.timezone.utc)
        meta: dict[str, object] = {"recorded_at": started.isoformat(timespec="seconds")}
        meta.update({k: v for k, v in (metadata or {}).items() if v is not None and str(v) != ""})
        meta.setdefault("recorder", f"eccentric-sense {__version__}")
        self.metadata = {k: str(v) for k, v in meta.items()}
        self.gyroscope = gyroscope
        self.timeline = Timeline(nominal_rate_hz)
        self._writer = RecordingWriter(
            self.path, metadata=self.metadata, gyroscope=gyroscope, overwrite=overwrite,
            flush_interval_s=sync_interval_s,
        )
        self._dirty = False
        self.samples_written = 0
        self.samples_flushed = 0
        self.incomplete_samples_dropped = 0
        self.reached_until = False  # a batch reached the ``until_s`` of :meth:`write`
        self._delivered = 0  # samples handed to :meth:`write`, kept or not
        self.last_time_s: float | None = None
        self._window_s = window_s
        self._window: Deque[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = deque()
        # (samples handed over after each batch, time of the last written sample): maps a gap's
        # sample index to recording time at the end.
        self._count_marks: list[int] = []
        self._time_marks: list[float] = []
        self._write_sidecar({"complete": False, "metadata": self.metadata})

    # ------------------------------------------------------------------ writing
    def write(self, batch: SampleBatch, *, until_s: float | None = None, after_gap: bool = False) -> int:
        """Append ``batch``; with ``until_s`` only samples before that time. Returns samples written.

        ``after_gap`` says the batch is the first after a disconnection (see
        :meth:`Timeline.note_gap`).
        """
        if after_gap:
            self.timeline.note_gap()
        times = self.timeline.times(batch)
        acc = np.asarray(batch.acc_g, dtype=float).reshape(-1, 3)
        gyr = None if batch.gyr_dps is None else np.asarray(batch.gyr_dps, dtype=float).reshape(-1, 3)
        if self.gyroscope and gyr is None:
            gyr = np.full_like(acc, np.nan)
        # The canonical CSV has no empty cells: a sample missing a value (a
        # lost gyroscope packet) is dropped and counted, never filled in.
        keep = np.isfinite(acc).all(axis=1)
        if self.gyroscope:
            keep &= np.isfinite(gyr).all(axis=1)
        self.incomplete_samples_dropped += int(keep.size - np.count_nonzero(keep))
        if until_s is not None:
            before = times < until_s
            self.reached_until = self.reached_until or not before.all()
            keep &= before
        self._delivered += len(batch)
        if not keep.all():
            times, acc = times[keep], acc[keep]
            gyr = None if gyr is None else gyr[keep]
        if times.size == 0:
            self._count_marks.append(self._delivered)
            self._time_marks.append(self.last_time_s if self.last_time_s is not None else 0.0)
            return 0
        self._writer.write(times, acc, gyr if self.gyroscope else None)
        self._dirty = True
        self.samples_written += times.size
        self.last_time_s = float(times[-1])
        self._count_marks.append(self._delivered)
        self._time_marks.append(self.last_time_s)
        self._window.append((times, acc, gyr))
        while self._window and self.last_time_s - self._window[0][0][-1] > self._window_s:
            self._window.popleft()
        return int(times.size)

    def flush(self) -> None:
        """Hand everything written to the operating system and ``fsync`` it."""
        if not self._dirty:
            return
        self._writer.flush()  # includes fsync
        self._dirty = False
        self.samples_flushed = self.samples_written

    def close(self, stats: SourceStats | None = None, *, ended_by: str = "", extra: Mapping[str, Any] | None = None) -> None:
        """Flush, close the CSV and write the final sidecar (idempotent)."""
        self._writer.close()
        info: dict[str, Any] = {
            "complete": True,
            "ended_by": ended_by,
            "samples": self.samples_written,
            "duration_s": round(self.last_time_s or 0.0, 6),
            "timeline_reanchors": self.timeline.reanchors,
            # Device-timed streams only: samples missing between batches by device time.
            "missing_samples_by_device_time": self.timeline.missing_samples,
            "incomplete_samples_dropped": self.incomplete_samples_dropped,
            "metadata": self.metadata,
        }
        if stats is not None:
            info["stats"] = stats.as_dict()
            info["gaps"] = [self._gap_times(g.after_sample) | {"reason": g.reason, "duration_s": g.duration_s}
                            for g in stats.gaps]
        if extra:
            info.update(extra)
        self._write_sidecar(info)

    # ------------------------------------------------------------------ live view support
    def recent(self, seconds: float | None = None) -> Recording | None:
        """The trailing window (or its last ``seconds``) as a :class:`Recording`, or ``None``."""
        if not self._window:
            return None
        times = np.concatenate([w[0] for w in self._window])
        acc = np.concatenate([w[1] for w in self._window])
        gyr = None
        if self.gyroscope and all(w[2] is not None for w in self._window):
            gyr = np.concatenate([w[2] for w in self._window])
        if seconds is not None:
            keep = times >= times[-1] - seconds
            times, acc = times[keep], acc[keep]
            gyr = None if gyr is None else gyr[keep]
        return Recording(
            time_s=times,
            acc_mps2=acc * STANDARD_GRAVITY,
            gyr_rads=None if gyr is None else np.deg2rad(gyr),
            metadata=self.metadata,
            source=str(self.path),
        )

    # ------------------------------------------------------------------ internals
    def _gap_times(self, after_sample: int) -> dict[str, float | None]:
        """Recording times just before and after a gap that began after ``after_sample`` samples."""
        i = bisect.bisect_left(self._count_marks, after_sample)
        before = self._time_marks[i] if i < len(self._count_marks) and self._count_marks[i] == after_sample else None
        after = self._time_marks[i + 1] if before is not None and i + 1 < len(self._time_marks) else None
        # `after` is the end of the first batch after the gap; good enough to locate it.
        return {"time_before_s": before, "time_after_s": after}

    def _write_sidecar(self, info: Mapping[str, Any]) -> None:
        tmp = self.sidecar.with_name(self.sidecar.name + ".tmp")
        try:
            tmp.write_text(json.dumps(info, indent=2, default=_jsonable) + "\n", encoding="utf-8")
            os.replace(tmp, self.sidecar)
        except OSError:
            pass  # the sidecar is a convenience; the CSV is what matters


def _jsonable(value: object) -> object:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)


async def record(
    source: Source,
    recorder: Recorder,
    *,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
    on_batch: Callable[[SampleBatch, int], None] | None = None,
) -> str:
    """Copy batches from an *open* ``source`` into ``recorder`` until told to stop.

    Stops when the recording reaches ``duration_s``, when ``stop`` is set,
    or when the source ends (file exhausted, device gone for good).  Every
    batch already received is written before returning; the source is
    closed.  Returns an :class:`EndReason` string.
    """
    stop = stop or asyncio.Event()
    stop_wait = asyncio.ensure_future(stop.wait())
    reason = EndReason.END_OF_STREAM
    iterator = source.__aiter__()
    delivered = 0  # samples taken from the source so far
    gaps_seen = 0

    def follows_gap(batch: SampleBatch) -> bool:
        nonlocal delivered, gaps_seen
        starts = source.gap_starts
        after = False
        while gaps_seen < len(starts) and starts[gaps_seen] <= delivered:
            gaps_seen += 1
            after = True
        delivered += len(batch)
        return after

    try:
        while True:
            next_batch = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({next_batch, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if next_batch not in done:
                next_batch.cancel()
                reason = EndReason.STOPPED
                break
            try:
                batch = next_batch.result()
            except StopAsyncIteration:
                # A live source only ends by itself when the device is gone for good.
                reason = EndReason.END_OF_STREAM if source.transport == "replay" else EndReason.DEVICE_GONE
                break
            written = recorder.write(batch, until_s=duration_s, after_gap=follows_gap(batch))
            if source.pending() == 0:
                recorder.flush()
            if on_batch is not None:
                on_batch(batch, written)
            if recorder.reached_until:
                reason = EndReason.DURATION
                break
    finally:
        stop_wait.cancel()
        await source.close()
        # Whatever arrived while closing (the device may still have been sending) is kept.
        try:
            async for batch in iterator:
                recorder.write(batch, until_s=duration_s, after_gap=follows_gap(batch))
        except DeviceError:
            pass  # the stream's own error was already raised (or we are stopping anyway)
        recorder.flush()
    return reason
