"""Putting irregular samples on a uniform time grid, honestly.

Host-stamped streams (BLE at 30-60 Hz) arrive with jittered, bunched time
stamps; device clocks drop packets.  We

* repair blank packets (an accelerometer reading exactly zero on every axis)
  and remove isolated single-sample glitches (a corrupted packet) that would
  otherwise integrate into a velocity step,
* rebuild the sample times of host-batched stamps (several samples per BLE
  connection event, stamped alike or a fraction of a millisecond apart) as
  the device's clock under the stamps, and low-pass them at 25 Hz,
* de-jitter other time stamps that are visibly noisy by a straight-line fit
  against the sample index within each gap-free stretch (the device samples
  at a constant rate; the host clock does not),
* interpolate short gaps linearly, and
* mark samples inside long gaps so nothing downstream invents motion there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

from ..recording import repeated_rows
from ._runs import mask_to_runs, runs_to_mask
from ._vectors import row_norms

#: Low-pass of host-batched samples, whose times are rebuilt to a few milliseconds.
BATCHED_CUTOFF_HZ = 25.0

__all__ = ["UniformSignals", "regularize_timebase", "remove_glitches", "repair_blank_rows"]


@dataclass(frozen=True)
class UniformSignals:
    """Signals resampled on a uniform grid.

    Attributes
    ----------
    time_s : (m,) uniform grid
    acc_mps2 : (m, 3)
    gyr_rads : (m, 3) or None
    gap : (m,) bool, True inside gaps longer than the interpolation limit
    block : (m,) int, index of the gap-free block each sample belongs to (-1 in gaps)
    lost : (m,) bool, True inside data gaps (no samples arrived), a subset of ``gap``
        (which also holds the impacts and spins cut out)
    sample_rate_hz : float
    input_rate_hz : float, the rate the grid is built from: the median interval
        between stamps, or for batched stamps the time per sample over a few seconds
    sensor_rate_hz : float or None, the rate the sensor took samples at as far
        as the stamps tell (for jittery host stamps the slope of their line fit
        against sample number; else ``input_rate_hz``)
    n_glitches : int, samples replaced as glitches (blank packets included)
    """

    time_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_rads: np.ndarray | None
    gap: np.ndarray
    block: np.ndarray
    sample_rate_hz: float
    input_rate_hz: float
    n_glitches: int
    n_disturbed: int = 0
    lost: np.ndarray | None = None
    sensor_rate_hz: float | None = None


def remove_glitches(values: np.ndarray, *, min_jump: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Replace isolated one-sample spikes by the median of their neighbourhood.

    A sample is a glitch when it differs from the 5-sample running median by
    more than ``min_jump`` and by more than 8 robust standard deviations of the
    local differences, while its two neighbours agree with each other (a real
    impact rings over several samples; a corrupted packet does not).

    Returns the cleaned array and the boolean mask of replaced samples (any axis).
    """
    x = np.asarray(values, dtype=float)
    if x.shape[axis] < 5:
        return x.copy(), np.zeros(x.shape[axis], dtype=bool)
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    cleaned = x.copy()
    any_glitch = np.zeros(n, dtype=bool)
    step = np.abs(np.diff(x, axis=0))
    # The 5-sample running median is needed only where a sample is more than
    # min_jump from a neighbour (the median is one of the five values), which
    # is rare: compute it there only.  Being that far from a sample up to two
    # away takes a step of half of it next to the sample (triangle
    # inequality; 0.49 leaves room for rounding), so only the samples around
    # such steps are examined.
    big_step = np.unique(np.flatnonzero(step > 0.49 * min_jump) // max(step[0].size, 1))
    if big_step.size == 0:
        return np.moveaxis(cleaned, 0, axis), any_glitch
    near = np.unique(np.clip((big_step[:, None] + np.arange(-1, 3)).ravel(), 0, n - 1))
    far = np.zeros(near.size, dtype=bool)
    for offset in (-2, -1, 1, 2):  # the four neighbours (the ends repeated, as in the median's window)
        neighbour = x[np.clip(near + offset, 0, n - 1)]
        far |= (np.abs(x[near] - neighbour) > min_jump).reshape(near.size, -1).any(axis=1)
    candidate = near[far]
    if candidate.size == 0:
        return np.moveaxis(cleaned, 0, axis), any_glitch
    med = np.median(np.stack([x[np.clip(candidate + k, 0, n - 1)] for k in range(-2, 3)]), axis=0)
    deviation = np.abs(x[candidate] - med)
    # The first and last samples have only one neighbour: never glitches (as before).
    inner = (candidate >= 1) & (candidate <= n - 2)
    neighbours_agree = np.zeros_like(deviation, dtype=bool)
    c = candidate[inner]
    neighbours_agree[inner] = np.abs(x[c + 1] - x[c - 1]) < 0.5 * deviation[inner]
    glitch = (deviation > min_jump) & neighbours_agree
    # The spread of the steps, 1.4826 median(step), is a full-length median.
    # The median of non-negative numbers is at most twice their mean, so
    # spikes that clear 8 of that bound (the usual case: 15 m/s^2 against
    # noise steps of 0.01) are confirmed without it.
    bound = 1.4826 * (2.0 * (1.0 + 1e-9)) * step.mean(axis=0) + 1e-12
    if not np.all((deviation > 8 * bound) | ~glitch):
        robust_sigma = 1.4826 * np.median(step, axis=0) + 1e-12
        glitch &= deviation > 8 * robust_sigma
    cleaned[candidate] = np.where(glitch, med, x[candidate])
    any_glitch[candidate] = glitch.reshape(glitch.shape[0], -1).any(axis=1)
    return np.moveaxis(cleaned, 0, axis), any_glitch


def repair_blank_rows(
    time_s: np.ndarray,
    acc_mps2: np.ndarray,
    gyr_rads: np.ndarray | None = None,
    *,
    max_interp_gap_s: float = 0.3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """Repair samples whose accelerometer reads exactly zero on all three axes.

    An accelerometer always measures gravity's 9.8 m/s^2 plus noise, so an
    all-zero reading is a blank packet (a BLE notification or serial frame
    whose payload was lost), not a measurement.  Left in, one such sample
    reads as free fall and integrates into a velocity step of g / rate: 0.16
    m/s at 60 Hz, as much as a whole slow descent.  The spike detector of
    :func:`remove_glitches` cannot see it: each axis jumps by less than 1 g.

    Short runs of blank rows (the gap they leave lasting at most
    ``max_interp_gap_s``) are replaced in place by linear interpolation
    between the neighbouring samples, which keeps the sample count for the
    de-jittering of host clocks; the rows of longer runs are dropped and
    become a data gap.  The gyroscope of a blank row is replaced too (the
    whole packet is lost).

    Returns
    -------
    time_s, acc_mps2, gyr_rads : the repaired arrays (copies when changed)
    n_blank : int, number of blank rows
    """
    # Candidates from one axis first: exact zeros are rare, and testing one
    # column skips most of the work of testing all three (0.013 -> 0.001 s an hour).
    candidates = np.flatnonzero(acc_mps2[:, 0] == 0.0)
    blank = np.zeros(acc_mps2.shape[0], dtype=bool)
    blank[candidates[(acc_mps2[candidates, 1] == 0.0) & (acc_mps2[candidates, 2] == 0.0)]] = True
    n_blank = int(blank.sum())
    if n_blank == 0 or n_blank == blank.size:
        return time_s, acc_mps2, gyr_rads, n_blank
    n = blank.size
    runs = mask_to_runs(blank)
    # The gap a run leaves: from the sample before it to the sample after it.
    before = np.clip(runs[:, 0] - 1, 0, n - 1)
    after = np.clip(runs[:, 1], 0, n - 1)
    drop = runs_to_mask(runs[time_s[after] - time_s[before] > max_interp_gap_s], n)
    repair = blank & ~drop
    acc_mps2 = acc_mps2.copy()
    gyr_rads = None if gyr_rads is None else gyr_rads.copy()
    if repair.any():
        good = np.flatnonzero(~blank)
        bad = np.flatnonzero(repair)
        for k in range(3):  # three axes
            acc_mps2[bad, k] = np.interp(bad, good, acc_mps2[good, k])
            if gyr_rads is not None:
                gyr_rads[bad, k] = np.interp(bad, good, gyr_rads[good, k])
    if drop.any():
        keep = ~drop
        time_s, acc_mps2 = time_s[keep], acc_mps2[keep]
        gyr_rads = None if gyr_rads is None else gyr_rads[keep]
    return time_s, acc_mps2, gyr_rads, n_blank


def _disturbances(
    acc_mps2: np.ndarray,
    gyr_rads: np.ndarray | None,
    rate_hz: float,
    *,
    max_specific_force_g: float = 5.0,
    max_rate_rads: float = 5.0,
    spin_rads: float = 2.0,
    turning_rads: float = 1.0,
    margin_s: float = 0.15,
) -> np.ndarray:
    """Samples where the signal cannot be integrated reliably.

    Impacts (the bar hitting the rack or the floor: several g, often clipped)
    and sleeve spins (several turns per second, which add centripetal
    acceleration whenever the sensor sits off the bar's axis) would leave a
    velocity step behind.  The bar is at rest right after both, so the
    stretch is cut out like a data gap and the integration restarts after it.
    A spin turns the bar by half a turn or more; a bar rolling in the hands
    during a fast lift (up to 60 degrees) can turn as fast but not as far,
    so a fast turn is a spin only when the turn it belongs to (while the
    rate exceeds ``turning_rads``) reaches ``spin_rads``.  Likewise an
    explosive row or pull reads 3-4 g for a tenth of a second; only more
    than ``max_specific_force_g`` is an impact (at 3.5 g the simulator's
    fastest lifts were cut out, and with them the rep's concentric).
    """
    force = row_norms(acc_mps2) / 9.80665
    bad = force > max_specific_force_g
    if gyr_rads is not None:
        rate = row_norms(gyr_rads)
        fast = rate > max_rate_rads
        if fast.any():
            turns = mask_to_runs(rate > turning_rads)
            angle = np.concatenate([[0.0], np.cumsum(rate)]) / rate_hz
            fast &= runs_to_mask(turns[angle[turns[:, 1]] - angle[turns[:, 0]] >= spin_rads], rate.size)
        bad |= fast
    if not bad.any():
        return bad
    margin = max(int(round(margin_s * rate_hz)), 1)
    return ndimage.binary_dilation(bad, iterations=margin)


def _unbatch(time_s: np.ndarray, period_s: float, *, reach_s: float = 0.1) -> np.ndarray:
    """Sample times of host-stamped batches: the device's clock under the host's stamps.

    A host stamps each sample when it handles the connection event that
    brought it: never before the sample was taken, and for the last sample
    of each event almost at once.  So ``stamp - index * period`` is the
    device's time offset plus a delay that is never negative and comes
    close to zero at least once per event; its minimum over the next
    ``reach_s`` (a few events) is the offset.  The offset steps up where
    packets were lost (the later samples keep the time the loss left them),
    so the samples after a loss are not shifted by it, and the samples of
    a fast lift keep their spacing instead of being squeezed into the
    fraction of a millisecond their stamps span.
    """
    n = time_s.size
    index = np.arange(n)
    delay = time_s - index * period_s
    reach = max(int(round(reach_s / period_s)), 1) | 1  # odd, for a window that starts at the sample
    offset = ndimage.minimum_filter1d(delay, reach, mode="nearest", origin=-(reach // 2))
    times = index * period_s + offset
    # The offset's steps are whole samples; keep the order (a tenth of a period apart at least).
    spacing = 0.1 * period_s * index
    return np.maximum.accumulate(times - spacing) + spacing


#: Fewest samples in a stretch whose line fit says what the sample period is.
_MIN_STRETCH = 64


def _dejitter(time_s: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Straight-line fit of time against sample index within each stretch.

    ``breaks`` are indices where a new stretch starts (after a real gap).
    Stretches are fitted independently with a vectorised least squares.
    Returns the fitted times and the sample period the fits agree on (the
    median slope, sample-weighted, of the stretches of at least
    ``_MIN_STRETCH`` samples; None when there is none).
    """
    n = time_s.size
    stretch = np.zeros(n, dtype=np.intp)
    stretch[breaks] = 1
    stretch = np.cumsum(stretch)
    index = np.arange(n, dtype=float)
    counts = np.bincount(stretch).astype(float)
    mean_i = np.bincount(stretch, index) / counts
    mean_t = np.bincount(stretch, time_s) / counts
    di = index - mean_i[stretch]
    dt = time_s - mean_t[stretch]
    var_i = np.bincount(stretch, di * di)
    cov = np.bincount(stretch, di * dt)
    slope = np.divide(cov, var_i, out=np.zeros_like(cov), where=var_i > 0)
    fitted = mean_t[stretch] + slope[stretch] * di
    long_enough = counts >= _MIN_STRETCH
    if not long_enough.any():
        return fitted, None
    order = np.argsort(slope[long_enough])
    weight = np.cumsum(counts[long_enough][order])
    period = float(slope[long_enough][order][np.searchsorted(weight, 0.5 * weight[-1])])
    return fitted, period if period > 0 else None


def _bursty_intervals(
    intervals: np.ndarray,
    acc: np.ndarray,
    sample_dt: float,
    short_gap: float,
    long_gap: float,
    calm_edge_mps2: float,
    calm_edge_s: float,
) -> np.ndarray | None:
    """Raw intervals between ``short_gap`` and ``long_gap`` with motion on either side, as a mask (None: none)."""
    candidates = np.flatnonzero((intervals > short_gap) & (intervals <= long_gap))
    if candidates.size == 0:
        return None
    # Distance from the reading of gravity, whatever the orientation.
    magnitude = row_norms(acc)
    activity = np.abs(magnitude - np.median(magnitude))
    width = int(np.clip(round(calm_edge_s / sample_dt), 1, activity.size))
    window_max = np.lib.stride_tricks.sliding_window_view(activity, width).max(axis=1)  # over [k, k + width)
    before = window_max[np.clip(candidates - width + 1, 0, window_max.size - 1)]
    after = window_max[np.clip(candidates + 1, 0, window_max.size - 1)]
    bursty = np.zeros(intervals.size, dtype=bool)
    bursty[candidates] = np.maximum(before, after) > calm_edge_mps2
    return bursty


def _in_long_gaps(
    t: np.ndarray, grid: np.ndarray, long_gap: float, dt: float, also_long: np.ndarray | None = None
) -> np.ndarray:
    """Grid samples in a raw interval longer than ``long_gap`` (a long gap), as a mask.

    ``also_long`` marks further raw intervals as long gaps (shorter ones
    with motion around them).

    A grid sample belongs to the raw interval containing it (the first or
    the last one beyond the ends of the data).  Samples exactly on a raw
    sample (within half a grid step) are kept even at the edge of a gap.
    Long gaps are few, so with increasing times the grid is bisected at
    their ends instead of every grid sample being located among the raw
    times (a search over the whole grid).
    """
    n = t.size
    gap = np.zeros(grid.size, dtype=bool)
    if n < 2:
        return gap
    steps = np.diff(t)
    is_long = steps > long_gap
    if also_long is not None:
        is_long |= also_long
    if (steps < 0).any():  # times not increasing (no reader gives that): locate every sample
        interval = np.clip(np.searchsorted(t, grid, side="right"), 1, n - 1) - 1
        inside = np.flatnonzero(is_long[interval])
        interval = interval[inside]
    else:
        long = np.flatnonzero(is_long)  # raw interval k runs from t[k] to t[k + 1]
        first = np.searchsorted(grid, t[long], side="left")
        stop = np.searchsorted(grid, t[long + 1], side="left")
        first[long == 0] = 0
        stop[long == n - 2] = grid.size
        pieces = [np.arange(a, b) for a, b in zip(first, stop)]  # per long gap
        inside = np.concatenate(pieces + [np.empty(0, dtype=np.intp)])
        interval = np.repeat(long, stop - first)
    on_raw = np.isclose(grid[inside], t[interval], atol=0.5 * dt, rtol=0)
    on_raw |= np.isclose(grid[inside], t[interval + 1], atol=0.5 * dt, rtol=0)
    gap[inside[~on_raw]] = True
    return gap


def regularize_timebase(
    time_s: np.ndarray,
    acc_mps2: np.ndarray,
    gyr_rads: np.ndarray | None = None,
    *,
    max_interp_gap_s: float = 0.3,
    always_interp_gap_s: float = 0.3,
    calm_edge_mps2: float = 0.6,
    calm_edge_s: float = 0.15,
    batched_cutoff_hz: float = BATCHED_CUTOFF_HZ,
    min_analysis_rate_hz: float = 100.0,
    glitch_min_jump_mps2: float = 15.0,
    mark_disturbances: bool = True,
) -> UniformSignals:
    """Resample a recording onto a uniform grid.

    Parameters
    ----------
    time_s : (n,) non-decreasing times, s
    acc_mps2 : (n, 3) specific force
    gyr_rads : (n, 3) angular rate or None
    mark_disturbances
        Treat impacts and sleeve spins as gaps (see :func:`_disturbances`).
    max_interp_gap_s
        Gaps up to this long are bridged by linear interpolation when the
        data around them is calm; longer gaps are marked in ``gap`` and split
        the data into independent blocks.
    always_interp_gap_s, calm_edge_mps2, calm_edge_s
        Gaps up to ``always_interp_gap_s`` are always bridged.  Longer ones
        only when the accelerometer's magnitude stays within
        ``calm_edge_mps2`` of its median for ``calm_edge_s`` on either side:
        a dropout in the middle of a lift hides its braking, and bridging it
        would carry the lift's speed into the hold after it.
    batched_cutoff_hz
        Low-pass of host-batched samples (``inf``: none).
    min_analysis_rate_hz
        Data at twice this rate or faster is low-passed and decimated by the
        largest whole factor that keeps it at or above this rate (within
        3 %, for sensor clocks that run slow; 200 and
        1000 Hz are analysed at 100 Hz, 250 Hz at 125 Hz; 150 Hz as it
        comes).  The metrics need nothing above ~20 Hz, and on the
        benchmark suites 100 Hz measures as well as 200-250 Hz did while
        halving the analysis time of 200 Hz data.
    glitch_min_jump_mps2
        Minimum size of a one-sample spike to be treated as a glitch.

    Returns
    -------
    UniformSignals
    """
    t = np.asarray(time_s, dtype=float)
    acc = np.asarray(acc_mps2, dtype=float)
    gyr = None if gyr_rads is None else np.asarray(gyr_rads, dtype=float)
    t, acc, gyr, n_blank = repair_blank_rows(t, acc, gyr, max_interp_gap_s=max_interp_gap_s)
    # A row repeating the one before it (a retransmitted packet) is dropped,
    # as the readers drop it; rows that share a stamp but not their values
    # are packets delivered together, and stay.
    repeat = repeated_rows(t, acc, gyr)
    if repeat.any():
        t, acc = t[~repeat], acc[~repeat]
        gyr = None if gyr is None else gyr[~repeat]
    n = t.size
    intervals = np.diff(t)
    positive = intervals[intervals > 0]
    nominal_dt = float(np.median(positive)) if positive.size else 0.01
    # Host clocks stamp the packets of one connection event alike, or a
    # fraction of a millisecond apart as the host works through them: runs
    # of (nearly) equal stamps, then a jump of the connection interval.  The
    # median interval is then not the sample period (a 400 Hz sensor stamped
    # 0.1 ms apart within each event looked like 10 kHz, and its anti-alias
    # filter cut at a few hertz); the time per sample over windows of about
    # two seconds is (many events each, so the events' granularity averages
    # out; short enough that a lost packet only lengthens a few).  No clock
    # stamps samples faster than they are taken, so intervals under half of
    # that can only be batching.
    bunched = False
    if n > 128:
        overall_dt = (t[-1] - t[0]) / (n - 1)
        window = int(np.clip(2.0 / overall_dt, 64, n // 4)) if overall_dt > 0 else 64
        stride = max(window // 8, 1)
        per_sample = float(np.median(t[window::stride] - t[: t.size - window : stride])) / window
        if per_sample > 0 and (positive.size < intervals.size or nominal_dt < 0.5 * per_sample):
            bunched = True
            nominal_dt = per_sample
    input_rate = 1.0 / nominal_dt
    if bunched:
        t = _unbatch(t, nominal_dt)
        intervals = np.diff(t)

    acc, glitch_acc = remove_glitches(acc, min_jump=glitch_min_jump_mps2)
    n_glitches = n_blank + int(glitch_acc.sum())
    if gyr is not None:
        gyr, glitch_gyr = remove_glitches(gyr, min_jump=np.deg2rad(200.0))
        n_glitches += int((glitch_gyr & ~glitch_acc).sum())

    # Jittery host clocks: the spread of intervals is a sizeable part of the interval.
    mad = float(np.median(np.abs(intervals - nominal_dt))) if intervals.size else 0.0
    jittery = mad > 0.05 * nominal_dt
    gap_factor = 3.5 if jittery else 1.8
    breaks = np.flatnonzero(intervals > gap_factor * nominal_dt) + 1
    sensor_rate = input_rate
    if jittery and n > 2 and not bunched:  # batched times are already the device's clock
        t, period = _dejitter(t, breaks)
        # The sensor's rate is the fits' slope, not the median interval: a
        # 25 Hz sensor whose packets wait for 15 ms connection events has
        # stamps 30 or 45 ms apart (median 43 ms with the host's jitter) and
        # was reported as 23 Hz, "below the rate the analysis is validated
        # at".  The grid stays at the median interval's rate: the times are
        # the fitted ones either way, and building the grid at the fitted
        # rate measured worse (development draws 412.7 -> 406.1 s with a
        # gyroscope but 234.1 -> 253.6 s without, robustness mixed sets
        # 17 -> 16 of 19).
        if period is not None:
            sensor_rate = 1.0 / period

    rate = input_rate
    # A few per cent of slack: a "200 Hz" sensor whose clock runs at 199.7 Hz
    # is decimated like the 200 Hz one, not analysed at its full rate.
    decimate = max(int(np.floor(1.03 * input_rate / min_analysis_rate_hz)), 1)
    if decimate > 1:
        rate = input_rate / decimate
    dt = 1.0 / rate
    grid = np.arange(t[0], t[-1] + 0.5 * dt, dt)

    # Anti-alias before sampling a coarser grid: zero-phase low-pass at 0.4 x
    # the new rate.  Host-batched samples are also cut at ``batched_cutoff_hz``:
    # their times are rebuilt to within a few milliseconds, which scrambles
    # what lies above a few tens of hertz (and the metrics need nothing above
    # 20 Hz); left in, the accelerometer-only analysis of a 400 Hz
    # host-stamped negative press read its slow descents as holds.
    cutoff = 0.4 * rate if decimate > 1 else np.inf
    if bunched:
        cutoff = min(cutoff, batched_cutoff_hz)
    if np.isfinite(cutoff) and cutoff < 0.45 * input_rate and n > 30:
        sos = signal.butter(4, cutoff, fs=input_rate, output="sos")
        acc = signal.sosfiltfilt(sos, acc, axis=0)
        if gyr is not None:
            gyr = signal.sosfiltfilt(sos, gyr, axis=0)

    if decimate == 1 and grid.size == n and np.all(np.abs(grid - t) <= 1e-3 * dt):
        # Already on the grid (device timestamps, written with a few decimals):
        # interpolating would only blend neighbours by the timestamps' rounding.
        acc_u, gyr_u = acc, gyr
    else:
        acc_u = np.column_stack([np.interp(grid, t, acc[:, k]) for k in range(3)])
        gyr_u = None if gyr is None else np.column_stack([np.interp(grid, t, gyr[:, k]) for k in range(3)])

    # A dropout inside a burst (a lift braking, a drop) hides a change of
    # speed that no interpolation can restore: across it the integration
    # starts afresh.  Only dropouts with calm data on both sides are bridged
    # beyond the ``always_interp_gap_s`` that any stream may show.
    short_gap = max(always_interp_gap_s, gap_factor * nominal_dt)
    bursty = _bursty_intervals(intervals, acc, nominal_dt, short_gap, max_interp_gap_s, calm_edge_mps2, calm_edge_s)
    gap = _in_long_gaps(t, grid, max(max_interp_gap_s, gap_factor * nominal_dt), dt, bursty)
    lost = gap.copy()
    n_disturbed = 0
    if mark_disturbances:
        disturbed = _disturbances(acc_u, gyr_u, rate)
        n_disturbed = int(disturbed.sum())
        gap |= disturbed
    block = np.full(grid.size, -1, dtype=np.intp)
    runs = mask_to_runs(~gap)
    for number, (start, end) in enumerate(runs):  # one iteration per gap, not per sample
        block[start:end] = number
    return UniformSignals(
        time_s=grid,
        acc_mps2=acc_u,
        gyr_rads=gyr_u,
        gap=gap,
        block=block,
        sample_rate_hz=rate,
        input_rate_hz=input_rate,
        sensor_rate_hz=sensor_rate,
        n_glitches=n_glitches,
        n_disturbed=n_disturbed,
        lost=lost,
    )
