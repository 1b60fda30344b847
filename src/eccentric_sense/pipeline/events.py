"""Timing of threshold events in a sampled signal, finer than the sample interval."""

from __future__ import annotations

import numpy as np

from ._runs import mask_to_runs

__all__ = ["longest_time_below"]


def longest_time_below(
    signal: np.ndarray,
    threshold: float,
    sample_rate_hz: float,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """Longest time ``signal`` stays at or below ``threshold`` inside each ``[start, end)``.

    The moments the signal crosses the threshold are interpolated linearly
    between samples, so the duration does not depend on the sample rate (a
    100 ms rule measured on 100 Hz data would otherwise be off by up to a
    whole sample at each end).  This is the one implementation of the
    ``uncontrolled_descent`` duration, used by the analysis and the scoring.

    Parameters
    ----------
    signal : (m,) samples on a uniform grid
    threshold : float
    sample_rate_hz : float
    starts, ends : (k,) grid indices of the intervals to search

    Returns
    -------
    (k,) seconds (0 where the signal never goes below the threshold)
    """
    signal = np.asarray(signal, dtype=float)
    starts = np.atleast_1d(np.asarray(starts, dtype=float))
    ends = np.atleast_1d(np.asarray(ends, dtype=float))
    out = np.zeros(starts.shape, dtype=float)
    if starts.size == 0:
        return out
    # Only the span the intervals cover (one sample of margin each side, for
    # the crossings): one rep at a time must not scan an hour of data.
    first = max(int(np.floor(starts.min())) - 1, 0)
    last = min(int(np.ceil(ends.max())) + 1, signal.size)
    if first > 0 or last < signal.size:
        return longest_time_below(signal[first:last], threshold, sample_rate_hz, starts - first, ends - first)
    inside = threshold - signal  # >= 0 while below the threshold
    runs = mask_to_runs(inside >= 0)
    if runs.shape[0] == 0 or starts.size == 0:
        return out
    n = signal.size
    s, e = runs[:, 0], runs[:, 1]
    # Fractional crossing times (in samples); at the data's edges the run starts/ends on a sample.
    before = np.clip(s - 1, 0, n - 1)
    rise = inside[s] - inside[before]
    t_start = np.where((s > 0) & (rise > 0), s - inside[s] / np.where(rise > 0, rise, 1.0), s.astype(float))
    after = np.clip(e, 0, n - 1)
    fall = inside[e - 1] - inside[after]
    t_end = np.where((e < n) & (fall > 0), (e - 1) + inside[e - 1] / np.where(fall > 0, fall, 1.0), (e - 1).astype(float))
    lo = np.maximum(t_start[None, :], starts[:, None])
    hi = np.minimum(t_end[None, :], ends[:, None] - 1)
    return np.clip(hi - lo, 0.0, None).max(axis=1) / float(sample_rate_hz)
