"""Replay a recording file as if it came from a device.

Any layout the readers recognise can be replayed (canonical CSV, MetaBase,
WitMotion PC-software exports...), see :func:`eccentric_sense.io.read_any`.
"""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import numpy as np

from ..errors import EccentricSenseError
from ..io import read_any
from .errors import DeviceError, DeviceNotFoundError
from .source import Source
from .types import SampleBatch

__all__ = ["ReplaySource"]


class ReplaySource(Source):
    """Stream a recording at ``speed`` times real time (``speed=0``: as fast as possible).

    Batches carry the file's times as device time, so a replay recorded
    again reproduces the file exactly.

    Parameters
    ----------
    path
        A recording file (canonical CSV or another layout :func:`~eccentric_sense.io.read_any` knows).
    speed
        Playback speed; ``1`` is real time, ``0`` (or ``inf``) means no waiting.
    batch_duration_s
        Time span of one batch (a device sends about 20-50 messages/s).
    """

    transport = "replay"

    def __init__(
        self,
        path: str | Path,
        *,
        speed: float = 1.0,
        batch_duration_s: float = 0.02,
        **ignored: object,
    ) -> None:
        super().__init__(f"replay:{path}", protocol="replay")
        if not (speed >= 0):
            raise DeviceError(f"replay speed must be 0 (as fast as possible) or positive, not {speed}")
        self.path = Path(path)
        self.speed = float(speed)
        self.batch_duration_s = float(batch_duration_s)
        self._task: asyncio.Task[None] | None = None

    async def _start(self) -> None:
        if not self.path.is_file():
            raise DeviceNotFoundError(f"replay:{self.path}: no such recording file")
        try:
            recording = read_any(self.path)
        except EccentricSenseError as error:
            raise DeviceError(f"replay: {error}") from None
        self._recording = recording
        meta = recording.metadata
        rate = recording.sample_rate_hz
        self.sample_rate_hz = rate if math.isfinite(rate) else None
        self.has_gyroscope = recording.gyr_rads is not None
        self.device_info = {"device": meta.get("device", "replay"), "replayed_file": str(self.path)}
        self._task = asyncio.get_running_loop().create_task(self._play())

    async def _play(self) -> None:
        rec = self._recording
        time_s = rec.time_s
        acc_g = rec.acc_g
        gyr_dps = rec.gyr_dps
        # Batch boundaries: every `batch_duration_s` of recording time.
        edges = np.flatnonzero(np.diff(np.floor((time_s - time_s[0]) / self.batch_duration_s)) > 0) + 1
        starts = np.concatenate([[0], edges])
        stops = np.concatenate([edges, [time_s.size]])
        origin_host = time.monotonic()
        realtime = self.speed > 0 and math.isfinite(self.speed)
        try:
            for start, stop in zip(starts, stops):
                if realtime:
                    # Release a batch once its last sample "has been measured".
                    due = origin_host + (time_s[stop - 1] - time_s[0]) / self.speed
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    await asyncio.sleep(0)
                self._deliver(
                    SampleBatch(
                        device_time_s=time_s[start:stop].copy(),
                        acc_g=acc_g[start:stop].copy(),
                        gyr_dps=None if gyr_dps is None else gyr_dps[start:stop].copy(),
                        host_time_s=time.monotonic(),
                    )
                )
        finally:
            self._end()

    async def _stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
