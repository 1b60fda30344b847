"""The :class:`Recording` type: one sensor stream, in SI units.

Everything downstream (pipeline, metrics, scoring, reports) takes a
``Recording``; every reader (CSV, devices) produces one.  It is a plain
dataclass of NumPy arrays, samples first (``axis=0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .constants import STANDARD_GRAVITY
from .errors import RecordingFormatError

__all__ = ["Recording", "median_reading_g", "units_advice", "repeated_rows"]


@dataclass(frozen=True)
class Recording:
    """A motion-sensor recording.

    Attributes
    ----------
    time_s
        Sample times in seconds, shape ``(n,)``, non-decreasing.  Times come
        from the device clock where the device has one; they may contain gaps
        (lost packets) and jitter.  The pipeline regularises them.
    acc_mps2
        Specific force as the accelerometer measures it (gravity included,
        about +9.8 m/s^2 "up" at rest), sensor frame, m/s^2, shape ``(n, 3)``.
    gyr_rads
        Angular rate, sensor frame, rad/s, shape ``(n, 3)``; ``None`` for
        accelerometer-only sensors.
    metadata
        ``key: value`` metadata (``sample_rate_hz``, ``exercise``, ``device``,
        and anything else the file carried).
    extra
        Other columns carried through unchanged (magnetometer, sequence
        numbers...), each of shape ``(n,)``.
    source
        Where the recording came from (a path or a device URI), for messages.
    """

    time_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rads: np.ndarray | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        time_s = np.asarray(self.time_s, dtype=float)
        acc = np.asarray(self.acc_mps2, dtype=float)
        where = self.source or "<memory>"
        if time_s.ndim != 1:
            raise RecordingFormatError(where, f"time must be one-dimensional, got shape {time_s.shape}")
        if acc.shape != (time_s.size, 3):
            raise RecordingFormatError(
                where,
                f"accelerometer must have shape ({time_s.size}, 3) to match the time axis, got {acc.shape}",
            )
        gyr = None
        if self.gyr_rads is not None:
            gyr = np.asarray(self.gyr_rads, dtype=float)
            if gyr.shape != (time_s.size, 3):
                raise RecordingFormatError(
                    where,
                    f"gyroscope must have shape ({time_s.size}, 3) to match the time axis, got {gyr.shape}",
                )
        object.__setattr__(self, "time_s", time_s)
        object.__setattr__(self, "acc_mps2", acc)
        object.__setattr__(self, "gyr_rads", gyr)
        object.__setattr__(self, "metadata", dict(self.metadata))
        object.__setattr__(self, "extra", {k: np.asarray(v) for k, v in self.extra.items()})

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.time_s.size)

    @property
    def has_gyroscope(self) -> bool:
        """Whether angular rate is available."""
        return self.gyr_rads is not None

    @property
    def duration_s(self) -> float:
        """Time between the first and the last sample, s."""
        return float(self.time_s[-1] - self.time_s[0]) if self.time_s.size else 0.0

    @property
    def sample_rate_hz(self) -> float:
        """Nominal sample rate: the metadata value if given, else from the median interval."""
        declared = self.metadata.get("sample_rate_hz")
        if declared is not None:
            try:
                value = float(declared)
                if np.isfinite(value) and value > 0:
                    return value
            except ValueError:
                pass
        if self.time_s.size < 2:
            return float("nan")
        intervals = np.diff(self.time_s)
        intervals = intervals[intervals > 0]
        return float(1.0 / np.median(intervals)) if intervals.size else float("nan")

    @property
    def acc_g(self) -> np.ndarray:
        """Accelerometer in g."""
        return self.acc_mps2 / STANDARD_GRAVITY

    @property
    def gyr_dps(self) -> np.ndarray | None:
        """Gyroscope in deg/s, or ``None``."""
        return None if self.gyr_rads is None else np.rad2deg(self.gyr_rads)

    @property
    def exercise(self) -> str | None:
        """The exercise named in the metadata, if any."""
        value = self.metadata.get("exercise")
        return value.strip().lower() if value else None


def median_reading_g(acc_mps2: np.ndarray) -> float:
    """Median magnitude of the accelerometer's readings, in g (0 when it never reads anything).

    Blank packets (rows of exact zeros, see
    :func:`~eccentric_sense.pipeline.timebase.repair_blank_rows`) are left
    out; a sample of at most about 50 000 rows decides as well as all of
    them (an hour at 200 Hz is 720 000).
    """
    acc = np.asarray(acc_mps2, dtype=float)
    stride = max(acc.shape[0] // 50_000, 1)
    magnitude = np.linalg.norm(acc[::stride], axis=1)
    magnitude = magnitude[magnitude > 0]
    return float(np.median(magnitude)) / STANDARD_GRAVITY if magnitude.size else 0.0


def units_advice(median_magnitude_g: float) -> str | None:
    """What an accelerometer's median magnitude says about its units.

    Gravity alone makes the median magnitude of a lifting session about 1 g
    (0.95-1.07 g with offsets and scale errors).  ``None`` when it is
    plausible (0.25-4 g); otherwise the likely mistake and how to declare
    the units: about 9.8 means m/s^2 read as g, about 0.1 g read as m/s^2,
    about 1000 milli-g, thousands raw counts.
    """
    if 0.25 <= median_magnitude_g <= 4.0:
        return None
    if median_magnitude_g < 0.05:
        return "the sensor reads almost nothing; was it initialised and connected?"
    if median_magnitude_g < 0.25:
        return "they look like g read as m/s^2: pass acc_unit='g' (--acc-unit g; a canonical file names them acc_x_g ...)"
    if 6.0 <= median_magnitude_g <= 14.0:
        return "they look like m/s^2: pass acc_unit='mps2' (--acc-unit mps2; a canonical file names them acc_x_mps2 ...)"
    if 600.0 <= median_magnitude_g <= 1400.0:
        return "they look like milli-g: pass acc_unit='mg' (--acc-unit mg)"
    return "they may be raw sensor counts; convert them to g or m/s^2 first"


def repeated_rows(time_s: np.ndarray, *values: np.ndarray | None) -> np.ndarray:
    """Rows that repeat the row before them: same time and the same values in every array.

    A logger that writes a packet twice (a retransmission) makes such rows;
    they carry no new sample.  Rows that share a time but not their values
    are packets delivered together and are not repeats.  Returns a boolean
    mask, ``(n,)``, True for each repeat (never for the first row).
    """
    repeat = np.zeros(np.shape(time_s)[0], dtype=bool)
    same = np.flatnonzero(np.diff(time_s) == 0) + 1
    if same.size == 0:
        return repeat
    identical = np.ones(same.size, dtype=bool)
    for array in values:  # one or two sensor arrays
        if array is not None:
            identical &= np.all(array[same] == array[same - 1], axis=1)
    repeat[same[identical]] = True
    return repeat
