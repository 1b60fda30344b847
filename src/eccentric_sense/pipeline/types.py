"""Result types of the pipeline (dataclasses of arrays)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Kinematics", "Phase", "RepSegment", "SetSegment", "phase_indices"]


@dataclass(frozen=True)
class Kinematics:
    """Vertical bar kinematics on a uniform time grid.

    All arrays have shape ``(m,)`` and share ``time_s``.  "Up" is positive.

    Attributes
    ----------
    time_s
        Uniform time grid on the recording's time axis, s.
    sample_rate_hz
        Rate of that grid.
    vertical_acc_mps2
        Bar acceleration along gravity with gravity removed, m/s^2.
    vertical_acc_lp_mps2
        The same after a zero-phase 4th-order Butterworth low-pass at 10 Hz
        (the filter the rep-table definitions prescribe).
    velocity_m_s
        Drift-corrected vertical velocity, m/s.
    displacement_m
        Vertical displacement, m (zero at the start of each continuous block).
    horizontal_acc_mps2
        Magnitude of the horizontal acceleration, m/s^2 (NaN when it cannot be
        estimated, e.g. accelerometer-only sensors).
    still
        Samples the calibration confirmed as motionless.
    gap
        Samples inside a data gap too long to interpolate; nothing is
        measured there.
    """

    time_s: np.ndarray
    sample_rate_hz: float
    vertical_acc_mps2: np.ndarray
    vertical_acc_lp_mps2: np.ndarray
    velocity_m_s: np.ndarray
    displacement_m: np.ndarray
    horizontal_acc_mps2: np.ndarray
    still: np.ndarray
    gap: np.ndarray

    def index_at(self, t: float) -> int:
        """Index of the grid sample nearest to time ``t``."""
        i = int(np.searchsorted(self.time_s, t))
        return int(np.clip(i, 0, self.time_s.size - 1))


@dataclass(frozen=True)
class Phase:
    """One eccentric (down) or concentric (up) phase, as grid indices [start, end)."""

    kind: str  # "eccentric" | "concentric"
    start_index: int
    end_index: int
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class RepSegment:
    """A rep: an eccentric and (unless the set ended first) a concentric phase."""

    eccentric: Phase | None
    concentric: Phase | None
    first: str  # which phase comes first in this set: "eccentric" | "concentric"


@dataclass(frozen=True)
class SetSegment:
    """A run of reps without a rest of ``set_break_s`` or longer."""

    reps: tuple[RepSegment, ...]
    start_s: float
    end_s: float
    first: str


def phase_indices(time_s: np.ndarray, start_s: np.ndarray, end_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid indices ``[start, end)`` of phases given by their start/end times.

    As in :class:`Phase`, ``end`` is the
    (exclusive) index of the sample at ``end_s``.  Phases with a non-finite
    time get ``start == end`` (empty).
    """
    time_s = np.asarray(time_s, dtype=float)
    start_s = np.asarray(start_s, dtype=float)
    end_s = np.asarray(end_s, dtype=float)
    half = 0.5 * float(np.median(np.diff(time_s))) if time_s.size > 1 else 0.0
    ok = np.isfinite(start_s) & np.isfinite(end_s)
    start = np.searchsorted(time_s, np.where(ok, start_s, 0.0) - half)
    end = np.searchsorted(time_s, np.where(ok, end_s, 0.0) - half)
    start = np.where(ok, start, 0)
    end = np.where(ok, np.maximum(end, start), 0)
    return start.astype(int), end.astype(int)
