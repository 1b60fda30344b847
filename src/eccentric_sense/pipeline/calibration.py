"""Quiet-period detection and sensor calibration from the data itself.

A bar moving at constant speed is, to an accelerometer, indistinguishable
from a bar at rest: both read exactly 1 g.  So this module only finds
*quiet* periods (no acceleration, no rotation); whether a quiet period is a
rest or the cruise of a slow descent is decided later, by
:mod:`~eccentric_sense.pipeline.drift`.  Quiet periods are exactly what the
calibration needs either way: zero acceleration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..constants import STANDARD_GRAVITY
from ._runs import mask_to_runs, moving_average, remove_short_runs, running_sum, runs_to_mask, split_spans
from ._vectors import column_medians, row_norms

__all__ = [
    "QuietDetector",
    "AccelerometerCalibration",
    "fit_accelerometer_calibration",
    "fit_axis_sensitivity",
    "quiet_piece_means",
    "quiet_piece_steadiness",
]


def _lowpass(x: np.ndarray, cutoff_hz: float, fs: float, order: int = 2) -> np.ndarray:
    if cutoff_hz >= 0.45 * fs or x.shape[0] < 3 * (order + 1) * 3:
        return np.asarray(x, dtype=float)
    sos = signal.butter(order, cutoff_hz, fs=fs, output="sos")
    return signal.sosfiltfilt(sos, x, axis=0)


def _moving_std(x: np.ndarray, width: int) -> np.ndarray:
    mean = moving_average(x, width)
    mean_sq = moving_average(x * x, width)
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))


def force_turn_rate(acc_mps2: np.ndarray, cutoff_hz: float, sample_rate_hz: float) -> np.ndarray:
    """How fast the low-passed specific force turns in the sensor frame, rad/s."""
    acc_lp = _lowpass(acc_mps2, cutoff_hz, sample_rate_hz)
    unit = acc_lp / np.maximum(row_norms(acc_lp), 1e-9)[:, None]
    return row_norms(np.gradient(unit, axis=0)) * sample_rate_hz


@dataclass
class QuietDetector:
    """Find periods without acceleration or rotation.

    Tremor-tolerant: the signals are low-passed at ``tremor_cutoff_hz`` first,
    so the 6-12 Hz shake of a hand-held bar does not break a hold, while the
    sub-hertz accelerations that start and stop a slow descent still do.

    Parameters
    ----------
    window_s
        Length of the moving window.
    min_duration_s
        Shorter quiet runs are dropped.
    tremor_cutoff_hz
        Low-pass applied before measuring motion.
    noise_factor
        Thresholds are this many times the recording's own quietest level.
    min_acc_threshold_mps2, min_gyr_threshold_rads
        Floors for the thresholds (sensor noise is not the only thing that is quiet).
    still_turn_rads, still_min_s
        Where gravity's direction in the sensor turns slower than
        ``still_turn_rads`` for ``still_min_s`` or more (and the
        accelerometer is quiet), the gyroscope's reading is its bias:
        rotation is also measured against it.
    spin_rate_rads, spin_min_turn_rad
        Without a gyroscope: where gravity's direction turns faster than
        ``spin_rate_rads`` while the accelerometer is quiet, through
        ``spin_min_turn_rad`` or more in all, the sensor spins around the
        bar (a sleeve spin), and that is no rest.

    Attributes
    ----------
    quiet_ : (m,) bool
    acc_quiet_ : (m,) bool
        Quiet by the accelerometer alone: also a bar that turns slowly
        without accelerating (a negative that rolls on the way down).
    acc_threshold_ : float
    gyr_threshold_ : float
    """

    window_s: float = 0.3
    min_duration_s: float = 0.3
    tremor_cutoff_hz: float = 4.0
    noise_factor: float = 4.0
    min_acc_threshold_mps2: float = 0.04
    min_gyr_threshold_rads: float = np.deg2rad(3.0)
    still_turn_rads: float = np.deg2rad(1.0)
    still_min_s: float = 1.0
    spin_rate_rads: float = np.deg2rad(60.0)
    spin_min_turn_rad: float = np.deg2rad(60.0)

    def detect(
        self,
        acc_mps2: np.ndarray,
        gyr_rads: np.ndarray | None,
        sample_rate_hz: float,
        valid: np.ndarray | None = None,
    ) -> "QuietDetector":
        """Detect.

        ``valid`` optionally marks the samples that are data: the levels the
        thresholds come from are taken there only.  The filler of a long
        data gap (interpolated, without noise or rotation) would otherwise
        be the "quietest level" of the recording, and a gyroscope's median
        rate the rate at the gap's edges.
        """
        fs = sample_rate_hz
        if valid is None or not valid.any():
            valid = np.ones(acc_mps2.shape[0], dtype=bool)
        width = max(int(round(self.window_s * fs)), 3)
        norm = row_norms(acc_mps2)
        norm_lp = _lowpass(norm, self.tremor_cutoff_hz, fs)
        acc_activity = _moving_std(norm_lp, width)
        floor = float(np.percentile(acc_activity[valid], 5))
        self.acc_threshold_ = max(self.noise_factor * floor, self.min_acc_threshold_mps2)
        quiet = acc_activity < self.acc_threshold_
        self.acc_quiet_ = remove_short_runs(quiet, max(int(round(self.min_duration_s * fs)), 1))
        self.gyr_threshold_ = float("nan")
        if gyr_rads is not None:
            gyr_lp = _lowpass(gyr_rads, self.tremor_cutoff_hz, fs)
            # Bias-free measure of rotation: deviation from the median rate.
            rate = row_norms(gyr_lp - column_medians(gyr_lp, valid))
            rate_mean = moving_average(rate, width)
            gfloor = float(np.percentile(rate_mean[valid], 5))
            self.gyr_threshold_ = max(self.noise_factor * gfloor, self.min_gyr_threshold_rads)
            not_turning = rate_mean < self.gyr_threshold_
            # The median rate is the bias when the bar mostly rests.  When it
            # mostly rolls (steady 3-5 deg/s through long negatives) it is
            # the roll, and true rests then read as turning: a set's closing
            # rest was never quiet and its vertical acceleration ran away.
            # Rests also count against the rate where gravity's direction in
            # the sensor holds still.
            turning_gravity = moving_average(force_turn_rate(acc_mps2, self.tremor_cutoff_hz, fs), width)
            # For ``still_min_s`` at least: a roll about an axis near the
            # vertical turns gravity's direction slowly, and its lulls dip
            # under ``still_turn_rads`` for fractions of a second; counted,
            # they outnumbered the rests and became the reference.
            fixed = remove_short_runs(
                self.acc_quiet_ & valid & (turning_gravity < self.still_turn_rads), max(int(round(self.still_min_s * fs)), 1)
            )
            if fixed.any():
                rate_fixed = row_norms(gyr_lp - column_medians(gyr_lp, fixed))
                not_turning |= moving_average(rate_fixed, width) < self.gyr_threshold_
            quiet &= not_turning
            self.quiet_ = remove_short_runs(quiet, max(int(round(self.min_duration_s * fs)), 1))
        else:
            # A sleeve spin keeps the force's length at 1 g, so the length
            # alone calls most of it quiet, in poses that change by the
            # sample: the spin then has no burst of its own whose poses
            # either side are the real ones before and after it (see
            # ``vertical._spin_bursts``), and the gravity reading model
            # takes its samples for rests.  At 25 Hz only two samples of a
            # fast half turn were not quiet.  A rep's roll turns gravity's
            # direction by 10-20 deg/s; a lift turns it fast too, but is
            # not quiet.
            rate = force_turn_rate(acc_mps2, self.tremor_cutoff_hz, fs)
            spinning = quiet & (moving_average(rate, width) > self.spin_rate_rads)
            runs = mask_to_runs(spinning)
            turn = running_sum(rate) / fs
            turned = turn[runs[:, 1]] - turn[runs[:, 0]]
            spin = runs_to_mask(runs[turned >= self.spin_min_turn_rad], quiet.size)
            self.quiet_ = remove_short_runs(quiet & ~spin, max(int(round(self.min_duration_s * fs)), 1))
        return self


@dataclass(frozen=True)
class AccelerometerCalibration:
    """Bias vector and gravity reading of the accelerometer.

    ``vertical = g * (|f - bias| / gravity_reading - 1)`` is then the bar's
    vertical acceleration for any sensor orientation.
    """

    bias_mps2: np.ndarray
    gravity_reading_mps2: float
    n_orientations: int

    @property
    def scale(self) -> float:
        """Sensitivity of the accelerometer (reading per true m/s^2).

        Only known when the bias could be separated from gravity (rests in
        three or more orientations, spread over a wide enough angle: see
        ``min_scale_angle_deg`` of :func:`fit_accelerometer_calibration`).  Otherwise a reading of, say, 0.95 g at
        rest is taken as an offset along gravity, not a sensitivity error:
        MEMS offsets (tens of mg) dwarf sensitivity errors (1-3 %), and
        rescaling by the reading would inflate every acceleration by 5 %.
        """
        if self.n_orientations >= 3:
            return self.gravity_reading_mps2 / STANDARD_GRAVITY
        return 1.0


def _quiet_pieces(quiet: np.ndarray, sample_rate_hz: float, piece_s: float) -> np.ndarray:
    """``(k, 2)`` spans of the quiet runs cut into ``piece_s`` pieces."""
    return split_spans(mask_to_runs(quiet), max(int(piece_s * sample_rate_hz), 1))


def quiet_piece_means(
    acc_mps2: np.ndarray, quiet: np.ndarray, sample_rate_hz: float, *, piece_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean reading ``(k, 3)`` and length ``(k,)`` (samples) of the quiet runs cut into ``piece_s`` pieces.

    The data of both calibration fits.  The means of a per-axis affine
    correction of the readings are the same correction of these means, so
    a caller that corrects the readings between the fits passes them on
    instead of summing the whole recording again.
    """
    pieces = _quiet_pieces(quiet, sample_rate_hz, piece_s)
    if pieces.shape[0] == 0:
        return np.empty((0, 3)), np.empty(0)
    csum = running_sum(acc_mps2)
    lengths = (pieces[:, 1] - pieces[:, 0]).astype(float)
    return (csum[pieces[:, 1]] - csum[pieces[:, 0]]) / lengths[:, None], lengths


def quiet_piece_steadiness(
    acc_mps2: np.ndarray,
    quiet: np.ndarray,
    sample_rate_hz: float,
    *,
    piece_s: float = 1.0,
    means: np.ndarray | None = None,
) -> np.ndarray:
    """Length of each quiet piece's mean reading over its mean length, ``(k,)``.

    The pieces are those of :func:`quiet_piece_means`, whose means can be
    passed in (``means``) rather than summed again.  1 where the reading
    kept its direction; a piece whose direction spread by ``theta``
    (root-mean-square, radians) scores about ``1 - theta^2 / 2``.
    """
    pieces = _quiet_pieces(quiet, sample_rate_hz, piece_s)
    if pieces.shape[0] == 0:
        return np.empty(0)
    if means is None:
        means, _ = quiet_piece_means(acc_mps2, quiet, sample_rate_hz, piece_s=piece_s)
    length_sum = running_sum(row_norms(acc_mps2))
    mean_length = (length_sum[pieces[:, 1]] - length_sum[pieces[:, 0]]) / (pieces[:, 1] - pieces[:, 0])
    return row_norms(means) / np.maximum(mean_length, 1e-12)


def fit_accelerometer_calibration(
    acc_mps2: np.ndarray,
    quiet: np.ndarray,
    sample_rate_hz: float,
    *,
    regularization: float = 1.0,
    min_spread_mps2: float = 1.0,
    min_scale_angle_deg: float = 90.0,
    min_steadiness: float = 0.995,
    piece_means: tuple[np.ndarray, np.ndarray] | None = None,
) -> AccelerometerCalibration:
    """Estimate the accelerometer bias and its reading of 1 g from quiet runs.

    Each quiet run (rest or constant-speed motion) gives one mean specific-force
    vector, whose true length is g.  When the sensor rested in several
    orientations (bar roll, re-racking) a regularised sphere fit separates the
    bias from gravity, so the reading stops depending on orientation; with a
    single orientation the bias stays at zero and only the 1 g reading is used.

    Parameters
    ----------
    acc_mps2 : (m, 3)
    quiet : (m,) bool
    sample_rate_hz : float
    regularization
        Ridge weight pulling the bias towards zero (in units of quiet runs).
    min_spread_mps2
        Minimum spread of the run means before a bias is fitted at all.
    min_scale_angle_deg
        The fitted radius is taken as the sensitivity (``scale``) only when
        some rest is this far (in angle) from the rests' mean orientation.
        Over a narrower cap of orientations the part of the bias along the
        mean direction changes the reading by ``1 - cos(angle)`` of itself
        across the rests, too little to tell it from the radius: a 40 mg
        offset then passes for a 4 % sensitivity error and every
        acceleration, speed and range of motion shrinks or grows by 4 %.
        Only at right angles does the whole offset show; under the ridge
        that keeps the bias small, rests within 60 degrees still leave 2 %
        of such an offset in the radius, more than the sensitivity error
        (1-3 %) the scale would correct.
    min_steadiness
        Pieces whose reading turned (:func:`quiet_piece_steadiness` under
        this, a spread of about 6 degrees) are left out.  Without a
        gyroscope a sleeve spin is quiet (the reading's length hardly
        changes), and the mean of a piece that turned through gravity is
        shorter than 1 g: in a least-squares sphere fit a few such pieces
        pulled the bias to 0.1 g and the reading of 1 g to 1.07 g (a
        development draw), so the next spin read as 2.6 m/s^2 of vertical
        acceleration.
    piece_means
        :func:`quiet_piece_means` of these readings, if already computed.
    """
    # Long runs in ~1 s pieces, so that slow drifts and many orientations are seen.
    means, lengths = piece_means if piece_means is not None else quiet_piece_means(acc_mps2, quiet, sample_rate_hz)
    if len(means):
        steady = quiet_piece_steadiness(acc_mps2, quiet, sample_rate_hz, means=means) >= min_steadiness
        if steady.any():
            means, lengths = means[steady], lengths[steady]
    if len(means) == 0:
        norm = row_norms(acc_mps2)
        return AccelerometerCalibration(np.zeros(3), float(np.median(norm)), 0)
    weights = lengths / lengths.sum() * len(lengths)
    radius = float(np.average(np.linalg.norm(means, axis=1), weights=weights))
    bias = np.zeros(3)
    spread = float(np.max(np.linalg.norm(means - np.average(means, axis=0, weights=weights), axis=1)))
    n_orient = 1
    if spread >= min_spread_mps2 and len(means) >= 4:
        n_orient = int(min(len(means), 1 + spread // min_spread_mps2))
        units = means / np.maximum(row_norms(means), 1e-9)[:, None]
        centre = np.average(units, axis=0, weights=weights)
        centre /= max(float(np.linalg.norm(centre)), 1e-9)
        widest = float(np.degrees(np.arccos(np.clip(np.min(units @ centre), -1.0, 1.0))))
        if widest < min_scale_angle_deg:
            n_orient = min(n_orient, 2)  # a bias is fitted, the sensitivity is not known
        # Gauss-Newton on sum w (|m - b| - r)^2 + reg |b|^2.
        for _ in range(20):
            diff = means - bias
            dist = np.linalg.norm(diff, axis=1)
            unit = diff / dist[:, None]
            residual = dist - radius
            jac = np.hstack([-unit, -np.ones((len(means), 1))])
            sw = np.sqrt(weights)[:, None]
            a = np.vstack([jac * sw, np.hstack([np.sqrt(regularization) * np.eye(3), np.zeros((3, 1))])])
            y = np.concatenate([-residual * sw[:, 0], -np.sqrt(regularization) * bias])
            step, *_ = np.linalg.lstsq(a, y, rcond=None)
            bias += step[:3]
            radius += step[3]
            if np.linalg.norm(step) < 1e-7:
                break
    return AccelerometerCalibration(bias, radius, n_orient)


def _orientation_cell_medians(means: np.ndarray, lengths: np.ndarray, cell_rad: float) -> tuple[np.ndarray, np.ndarray]:
    """Component-wise median reading and total length of the pieces in each
    orientation cell (the direction of the reading quantised to ``cell_rad``)."""
    direction = means / np.maximum(row_norms(means), 1e-9)[:, None]
    keys = np.round(direction / cell_rad).astype(np.int64)
    _, cell, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    cell = cell.ravel()
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    low, high = starts + (counts - 1) // 2, starts + counts // 2
    medians = np.empty((counts.size, 3))
    for axis in range(3):  # sort by cell, then by value: the middle of each cell is its median
        ordered = means[np.lexsort((means[:, axis], cell)), axis]
        medians[:, axis] = 0.5 * (ordered[low] + ordered[high])
    return medians, np.bincount(cell, weights=lengths)


def fit_axis_sensitivity(
    acc_mps2: np.ndarray,
    quiet: np.ndarray,
    sample_rate_hz: float,
    *,
    piece_s: float = 1.0,
    cell_deg: float = 5.0,
    reading_noise_mps2: float = 0.02,
    bias_prior_mps2: float = 0.5,
    sensitivity_prior: float = 0.02,
    max_gain_error: float = 0.05,
    min_spread_mps2: float = 1.0,
    min_pieces: int = 8,
    piece_means: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Relative sensitivity of the accelerometer's axes, from rests in several orientations.

    MEMS accelerometers differ in sensitivity from axis to axis by 1-3 %.  As
    the bar rolls, gravity moves between the axes and the reading of 1 g
    changes by up to that much (0.1-0.3 m/s^2), and not linearly in the
    orientation, so no offset vector explains it.  During a slow descent the
    sensor turns while the speed stays near the 0.02 m/s phase threshold:
    a thousandth of g of such an error, integrated over 10 s, moves the
    phase's end by seconds.

    An axis-aligned ellipsoid fit, ``|(m - b) * k| = r``, estimates the
    offsets ``b`` and the gains ``k`` (mean 1; the common sensitivity stays
    with the radius).  Its data are the median readings of the quiet pieces
    in each orientation cell (``cell_deg``): a long rest in one pose must not
    outweigh the few poses that say something about the gains, and quiet
    pieces that still hold some acceleration are outvoted.  A Cauchy loss
    bounds the pull of the cells that are all such pieces.  Gaussian priors
    keep ``b`` near zero (``bias_prior_mps2``) and ``k`` near 1
    (``sensitivity_prior``, the datasheets' tolerance) where the orientations
    seen do not determine them: rolling about one axis says nothing about
    that axis.  Gains off by more than ``max_gain_error`` are not a sensor's
    and are not applied.

    Parameters
    ----------
    acc_mps2 : (m, 3) specific force, sensor frame
    quiet : (m,) bool
    sample_rate_hz : float
    piece_s
        Quiet runs are cut into pieces of about this length.
    cell_deg
        Size of the orientation cells, degrees of the reading's direction.
    reading_noise_mps2
        Expected scatter of a cell's reading around the ellipsoid.
    bias_prior_mps2, sensitivity_prior, max_gain_error
        Prior scale of the offsets and of the gains' deviation from 1, and
        the largest deviation applied.
    min_spread_mps2, min_pieces
        Below this spread of the readings (or with fewer pieces) the gains
        are not fitted.
    piece_means
        :func:`quiet_piece_means` of these readings in ``piece_s`` pieces,
        if already computed.

    Returns
    -------
    bias : (3,) m/s^2
    gains : (3,) ``bias + (acc - bias) * gains`` reads like an accelerometer
        whose axes are equally sensitive (ones when not fitted).
    """
    from scipy.optimize import least_squares

    unfitted = (np.zeros(3), np.ones(3))
    means, lengths = piece_means if piece_means is not None else quiet_piece_means(acc_mps2, quiet, sample_rate_hz, piece_s=piece_s)
    if len(means) < min_pieces:
        return unfitted
    spread = float(np.max(np.linalg.norm(means - means.mean(axis=0), axis=1)))
    if spread < min_spread_mps2:
        return unfitted
    readings, cell_lengths = _orientation_cell_medians(means, lengths, np.deg2rad(cell_deg))
    if len(readings) < 3:
        return unfitted
    weights = np.sqrt(cell_lengths / cell_lengths.mean())

    def residuals(params: np.ndarray) -> np.ndarray:
        bias, gain, radius = params[:3], params[3:6] - params[3:6].mean(), params[6]
        distance = np.linalg.norm((readings - bias) * (1.0 + gain), axis=1) - radius
        return np.concatenate(
            [weights * distance / reading_noise_mps2, bias / bias_prior_mps2, gain / sensitivity_prior]
        )

    start = np.r_[np.zeros(6), np.median(np.linalg.norm(readings, axis=1))]
    params = least_squares(residuals, start, loss="cauchy", f_scale=2.0).x
    gains = 1.0 + params[3:6] - params[3:6].mean()
    if np.max(np.abs(gains - 1.0)) > max_gain_error:
        return unfitted
    return params[:3], gains
