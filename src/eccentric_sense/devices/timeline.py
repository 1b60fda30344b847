"""The recording's time axis, built batch by batch from device or host time.

Devices with a clock (es1) give each sample a device time; the recording
uses it, shifted so the first sample is at 0 s.  Devices without one
(WitMotion) only give the host receive time of each batch, which is late by
a variable transport delay and shared by all samples read together; those
samples are placed one nominal period apart, and re-anchored to the host
clock when the stream has stalled (a gap, lost packets, a slow device).

The axis is strictly increasing, as the canonical CSV demands: a sample
whose time would not advance (a device reboot, a replayed message) gets its
time re-anchored on the host clock instead of being dropped.
"""

from __future__ import annotations

import numpy as np

from .types import SampleBatch

__all__ = ["Timeline"]

#: Smallest step between two samples (s), used where the axis must advance.
_MIN_STEP_S = 1e-6


class Timeline:
    """Assign recording times (s, first sample at 0) to each batch.

    Parameters
    ----------
    nominal_rate_hz
        The configured sample rate, used to space samples that have no
        device time.  ``None`` lets the timeline estimate it.
    """

    def __init__(self, nominal_rate_hz: float | None = None) -> None:
        self.nominal_rate_hz = nominal_rate_hz
        self._device_offset: float | None = None  # recording time = device time + offset
        self._host_origin: float | None = None  # host time of recording time 0
        self._last_time: float | None = None
        self._last_host: float | None = None
        self._after_gap = False
        self.reanchors = 0
        #: Samples missing between batches according to device time and the
        #: nominal rate (an independent check of the decoder's sequence-based count).
        self.missing_samples = 0

    def note_gap(self) -> None:
        """The next batch follows a disconnection.

        Device times show the gap by themselves; host-timed samples would
        otherwise be placed right after the last one, hiding it, so the next
        batch is placed after the host-measured time since the previous one.
        """
        self._after_gap = True

    @property
    def last_time_s(self) -> float | None:
        """Time of the last sample placed, or ``None``."""
        return self._last_time

    def times(self, batch: SampleBatch) -> np.ndarray:
        """Recording times of the samples of ``batch`` (strictly increasing overall)."""
        n = len(batch)
        host = float(batch.host_time_s)
        if self._host_origin is None:
            self._host_origin = host
        device = np.asarray(batch.device_time_s, dtype=float)
        if n and np.all(np.isfinite(device)):
            times = self._from_device(device, host)
        else:
            times = self._from_host(n, host)
        if n:
            self._last_time = float(times[-1])
            self._after_gap = False
        self._last_host = host
        return times

    # ------------------------------------------------------------------ device clock
    def _from_device(self, device: np.ndarray, host: float) -> np.ndarray:
        if self._device_offset is None:
            start = 0.0 if self._last_time is None else self._host_estimate(host, device.size)
            self._device_offset = start - float(device[0])
        times = device + self._device_offset
        if self._last_time is not None and self.nominal_rate_hz and times[0] > self._last_time:
            skipped = round((times[0] - self._last_time) * self.nominal_rate_hz) - 1
            self.missing_samples += max(0, skipped)
        if self._last_time is not None and times[0] <= self._last_time:
            # The device clock restarted (a reboot between two connections):
            # continue the axis on the host clock from here on.
            self.reanchors += 1
            start = max(self._host_estimate(host, device.size), self._last_time + _MIN_STEP_S)
            self._device_offset = start - float(device[0])
            times = device + self._device_offset
        return _strictly_after(times, self._last_time)

    def _host_estimate(self, host: float, n: int) -> float:
        """Recording time of the first of ``n`` samples received at ``host``."""
        period = 1.0 / self.nominal_rate_hz if self.nominal_rate_hz else 0.0
        return host - (self._host_origin or host) - period * (n - 1)

    # ------------------------------------------------------------------ host clock
    def _from_host(self, n: int, host: float) -> np.ndarray:
        if n == 0:
            return np.empty(0)
        now = host - (self._host_origin or host)
        period = 1.0 / self.nominal_rate_hz if self.nominal_rate_hz else 0.0
        steps = np.arange(1, n + 1, dtype=float)
        if self._last_time is None:
            # The first samples define time zero, one period apart.
            return period * (steps - 1) if period else now * (steps - 1) / n
        if period == 0.0:
            return _strictly_after(self._last_time + (now - self._last_time) * steps / n, self._last_time)
        candidate = self._last_time + period * steps
        if self._after_gap and self._last_host is not None:
            self.reanchors += 1
            candidate = self._last_time + (host - self._last_host) - period * (n - steps)
        elif now - candidate[-1] > max(5 * period, 0.1):
            # The stream stalled (a gap, lost packets, or a device slower than
            # nominal): the receive time is the best estimate of the last sample.
            self.reanchors += 1
            candidate = now - period * (n - steps)
        # A stream running *ahead* of the host clock (an emulator at 8x, a
        # fast crystal) keeps its nominal spacing: the device's own pace is a
        # better clock than delivery times bunched by the transport.
        return _strictly_after(candidate, self._last_time)


def _strictly_after(times: np.ndarray, last: float | None) -> np.ndarray:
    """Make ``times`` strictly increasing and later than ``last`` (vectorised)."""
    if times.size == 0:
        return times
    floor = (last if last is not None else -np.inf) + _MIN_STEP_S
    # The running maximum of (t_i - i*step) + i*step is the smallest strictly
    # increasing sequence (by at least `step`) that is >= times element-wise.
    index = np.arange(times.size) * _MIN_STEP_S
    adjusted = np.maximum.accumulate(np.maximum(times - index, floor)) + index
    return adjusted
