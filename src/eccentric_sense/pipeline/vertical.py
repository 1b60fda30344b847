"""Vertical (gravity-aligned) acceleration of the bar.

The bar rolls, sleeves spin and sensors are clipped on at any angle, so we
use a rotation-invariant estimate: the length of the calibrated specific
force minus its length at rest.  For a bar that moves vertically this is
exact; a horizontal acceleration ``a_h`` adds only ``a_h^2 / 2g`` (1 mm/s^2
for a 0.15 m/s^2 sway), far below what a tilt error of an orientation filter
would leak.  A bar on an arc (a curl, a press) is the exception: there, in
bursts of motion between two quiet poses (or a pause in a new pose, see
``_settled``), the force is projected on "up" interpolated between those
poses (see ``_projected_bursts``).  Gravity
direction in the sensor frame (a long low-pass of the specific force,
rotated with the gyroscope when there is one) is otherwise used only for
the horizontal part, which the swinging rule needs.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from ..constants import STANDARD_GRAVITY
from ._runs import (
    block_spans,
    interior_runs,
    mask_to_runs,
    moving_average,
    nearest_members,
    remove_short_runs,
    run_members,
    running_sum,
    running_sum_within,
    runs_to_mask,
    split_runs,
)
from ._vectors import column_medians, component_norms, row_norms
from .calibration import AccelerometerCalibration, force_turn_rate

__all__ = ["vertical_acceleration", "horizontal_acceleration", "lowpass_zero_phase", "GyroAidedVertical"]


def lowpass_zero_phase(x: np.ndarray, cutoff_hz: float, sample_rate_hz: float, *, order: int = 4, axis: int = 0) -> np.ndarray:
    """Zero-phase Butterworth low-pass (``sosfiltfilt``), a no-op above Nyquist."""
    x = np.asarray(x, dtype=float)
    if cutoff_hz >= 0.49 * sample_rate_hz or x.shape[axis] <= 3 * (2 * order + 1):
        return x.copy()
    sos = signal.butter(order, cutoff_hz, fs=sample_rate_hz, output="sos")
    return signal.sosfiltfilt(sos, x, axis=axis)


def gravity_reading_model(
    magnitude: np.ndarray,
    up_sensor: np.ndarray,
    quiet: np.ndarray,
    *,
    piece: int,
    bias_scale_mps2: float = 0.5,
    max_piece_deviation_mps2: float | None = None,
    reference_model: tuple[float, np.ndarray] | None = None,
    max_stray_fraction: float = 0.2,
) -> tuple[float, np.ndarray]:
    """How the sensor's reading of gravity depends on its orientation.

    A still accelerometer reads ``r0 + b . u`` along gravity, where ``u`` is
    the direction of "up" in the sensor frame and ``b`` its offset vector
    (offsets of tens of mg are normal).  Rolling the bar changes ``u`` and so
    the reading, by up to ``|b|``: integrated over a slow descent that is a
    large velocity error.  Every quiet piece (rest or cruise: zero
    acceleration) is one equation; a ridge-regularised, iteratively
    reweighted least squares over all of them gives ``r0`` and ``b``.  The
    ridge keeps ``b`` at zero where the orientations do not vary enough to
    tell it apart from ``r0``.  Fitting against orientation rather than
    interpolating over time means the faint accelerations at the start and
    end of a slow descent (which sit at the same orientation as the rest of
    the descent) are not absorbed.

    ``max_piece_deviation_mps2`` (optional) leaves out pieces whose mean
    reading is further than that from what ``reference_model`` (an
    ``(r0, b)`` fitted on the rests) predicts at their pose (from the
    pieces' median if not given), when they are at most
    ``max_stray_fraction`` of the pieces and at least four pieces remain.
    A piece of steady acceleration can pass as quiet
    (the quiet test measures how much the reading varies, not its level);
    met at a pose no other piece visits, the least squares gives it an
    offset vector of its own, and every pose between then reads a false
    acceleration.

    Returns
    -------
    r0 : float, m/s^2
    b : (3,) m/s^2
    """
    pieces = split_runs(quiet, piece, max(piece // 2, 1))
    if pieces.shape[0] < 4:
        value = float(np.median(magnitude[quiet])) if quiet.any() else float(np.median(magnitude))
        return value, np.zeros(3)
    csum_m = running_sum(magnitude)
    csum_u = running_sum(up_sensor)
    length = (pieces[:, 1] - pieces[:, 0]).astype(float)
    m = (csum_m[pieces[:, 1]] - csum_m[pieces[:, 0]]) / length
    u = (csum_u[pieces[:, 1]] - csum_u[pieces[:, 0]]) / length[:, None]
    if max_piece_deviation_mps2 is not None:
        if reference_model is None:
            expected = np.full(m.size, np.median(m))
        else:
            expected = reference_model[0] + u @ reference_model[1]
        keep = np.abs(m - expected) <= max_piece_deviation_mps2
        # A few strays only: when many pieces stray, the model itself does
        # not hold there, and dropping them would leave a fit that looks
        # physical without being so (the caller's offset limit judges it).
        if 4 <= keep.sum() < keep.size and (~keep).sum() <= max_stray_fraction * keep.size:
            m, u, length = m[keep], u[keep], length[keep]
    u_mean = np.average(u, axis=0, weights=length)
    design = np.column_stack([np.ones(len(m)), u - u_mean])
    weights = np.sqrt(length / length.mean())
    ridge = np.diag([0.0, 1.0, 1.0, 1.0]) * (0.05 / bias_scale_mps2)
    params = np.zeros(4)
    for _ in range(4):  # reweighting: pieces with real acceleration in them are outliers
        a = np.vstack([design * weights[:, None], ridge])
        y = np.concatenate([m * weights, np.zeros(4)])
        params, *_ = np.linalg.lstsq(a, y, rcond=None)
        residual = np.abs(design @ params - m)
        scale = max(1.4826 * float(np.median(residual)), 0.005)
        huber = np.where(residual <= 2.0 * scale, 1.0, 2.0 * scale / np.maximum(residual, 1e-12))
        weights = np.sqrt(length / length.mean() * huber)
    r0 = float(params[0] - params[1:] @ u_mean)
    return r0, params[1:]


def vertical_acceleration(
    acc_mps2: np.ndarray,
    calibration: AccelerometerCalibration,
    quiet: np.ndarray | None = None,
    sample_rate_hz: float = 100.0,
    valid: np.ndarray | None = None,
    *,
    return_held: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Vertical bar acceleration (up positive, gravity removed), m/s^2.

    Parameters
    ----------
    acc_mps2 : (m, 3) specific force, sensor frame
    calibration : from :func:`~eccentric_sense.pipeline.calibration.fit_accelerometer_calibration`
    valid : (m,) bool, False inside data gaps (see :func:`_projected_bursts`)
    return_held : bool
        Also return the (m,) bool mask of the samples where the bar is
        taken as held still (sleeve spins, see :func:`_spin_bursts`): their
        vertical acceleration is zero whatever the sensor's pose, and a
        correction that depends on the pose does not apply there.
    """
    force = acc_mps2 - calibration.bias_mps2
    norm = row_norms(force)
    direction = force / np.maximum(norm, 1e-9)[:, None]
    up, calm = _up_direction(force, norm, direction, calibration.gravity_reading_mps2, sample_rate_hz)
    signed = np.where(_points_down(direction, calm, sample_rate_hz, norm, calibration.gravity_reading_mps2), -norm, norm)
    spins = np.zeros(norm.size, dtype=bool)
    if quiet is None:
        reading = calibration.gravity_reading_mps2
    else:
        settled = _settled(force, norm, direction, quiet, calibration.gravity_reading_mps2, sample_rate_hz)
        signed = _projected_bursts(force, direction, signed, quiet | settled, sample_rate_hz, valid=valid)
        r0, b = gravity_reading_model(norm, up, quiet, piece=max(int(0.5 * sample_rate_hz), 2))
        reading = r0 + up @ b
        # The bar is held through a sleeve spin: no vertical acceleration there.
        spins = _spin_bursts(direction, norm, quiet, sample_rate_hz, gravity_mps2=calibration.gravity_reading_mps2)
        signed = np.where(spins, reading, signed)
    vertical = (signed - reading) / calibration.scale
    return (vertical, spins) if return_held else vertical


def _settled(
    force_mps2: np.ndarray,
    norm: np.ndarray,
    direction: np.ndarray,
    quiet: np.ndarray,
    gravity_reading_mps2: float,
    sample_rate_hz: float,
    *,
    max_off_mps2: float = 0.2,
    max_turn_rads: float = np.deg2rad(12.0),
    min_pose_change_rads: float = np.deg2rad(3.0),
    window_s: float = 0.1,
    min_s: float = 0.1,
    tremor_cutoff_hz: float = 6.0,
) -> np.ndarray:
    """Samples, not quiet, where the force is gravity in a pose the quiet samples around do not give.

    The force is within ``max_off_mps2`` of the gravity reading and turns
    slower than ``max_turn_rads`` (both averaged over ``window_s``), for
    ``min_s`` at least, and its direction ("up" there) is more than
    ``min_pose_change_rads`` from the pose of the quiet samples before and
    after.  Such a moment is no rest (a flawed descent wobbles, the bottom
    of a continuous curl set is brief), but it splits a burst: without it a
    continuous set's burst runs from one top hold to the next, the poses
    either side are the same, the bottom pose in between is missed, and
    the norm method's arc error stands (on the development draws without a
    gyroscope, 0.5-1 m/s in single lifts of a curl).  A pose the quiet
    samples already give adds nothing: splitting there only cuts a burst
    into shorter ones (a walkout's steps), which pass the projection's
    checks by chance (a 50 Hz walkout of the benchmark gained 0.19 m/s).
    The turning is measured on the force low-passed at ``tremor_cutoff_hz``,
    so a hand's shake (8-12 Hz) is no turn.  A low-pass rings after a hard
    stop, for about 0.2 s at the quiet detector's 4 Hz: the 0.4 s pause at
    the bottom of a fast curl (stopped at 11 m/s^2, a development draw)
    turned under 8 deg/s for only 0.12-0.15 s, so ``max_turn_rads`` and
    ``min_s`` leave room for that (at 8 deg/s and 0.2 s such pauses were
    missed, and the curls' lifts read up to 0.7 m too long), and at 6 Hz
    the ringing is a third shorter: shorter pauses after hard stops split
    their bursts too (development draws without a gyroscope 243.8 ->
    234.1 s against 4 Hz; 8, 10 and 12 Hz measured the same within 1.2 s,
    but from 8 Hz on a hand's 10 Hz tremor of 1.5 degrees reads as turning).
    """
    width = max(int(round(window_s * sample_rate_hz)), 2)
    near_gravity = moving_average(np.abs(norm - gravity_reading_mps2), width) < max_off_mps2
    turning = moving_average(force_turn_rate(force_mps2, tremor_cutoff_hz, sample_rate_hz), width)
    m = quiet.size
    before, after = nearest_members(quiet)
    limit = np.cos(min_pose_change_rads)
    new_pose = (
        (before >= 0) & (after < m)
        & (np.einsum("ij,ij->i", direction, direction[np.clip(before, 0, m - 1)]) < limit)
        & (np.einsum("ij,ij->i", direction, direction[np.clip(after, 0, m - 1)]) < limit)
    )
    settled = near_gravity & (turning < max_turn_rads) & new_pose & ~quiet
    return remove_short_runs(settled, max(int(round(min_s * sample_rate_hz)), 2))


def _spin_bursts(
    direction: np.ndarray,
    norm: np.ndarray,
    quiet: np.ndarray,
    sample_rate_hz: float,
    *,
    gravity_mps2: float,
    max_burst_s: float = 2.5,
    min_away_deg: float = 75.0,
    min_away_s: float = 0.1,
    min_away_share: float = 0.12,
    min_pose_turn_deg: float = 100.0,
    min_near_1g_share: float = 0.5,
) -> np.ndarray:
    """Samples of short bursts in which the sensor spun around the bar (no gyroscope).

    A sleeve spin (or any turn of the bar in the hands) turns the
    accelerometer through gravity: its reading changes with orientation by
    its bias and scale errors, and the norm method integrates that into a
    step of speed (a few tenths of a m/s) the bar never had.  Such a burst is
    recognised by the direction of the force: for ``min_away_s`` or more it
    points at least ``min_away_deg`` away from both the pose before and the
    pose after the burst, while its length stays near 1 g (so it is a turn,
    not a lift, a drop or an impact: within 20 % of ``gravity_mps2``, the
    calibrated reading of 1 g), and for at least ``min_away_share`` of
    the burst.  A rep turns the bar by its roll (at most about 60 degrees),
    which keeps the force closer than ``min_away_deg`` to one of the two
    poses, and a roll held at the top of a rep is a small share of a burst
    that holds the whole rep.  A spin of about half a turn (or one and a
    half) ends facing away from where it began, and points away from both
    poses only while it passes the perpendicular: a few hundredths of a
    second in a fast spin, no sample at all at 25 Hz.  So a burst whose
    poses either side are ``min_pose_turn_deg`` or more apart, with its
    force near 1 g for ``min_near_1g_share`` of it, is a spin too: no rep
    leaves the bar rolled that far.  The bar is taken as held still
    through a spin.

    Returns
    -------
    (m,) bool, the samples of the spins
    """
    fs = sample_rate_hz
    spin = np.zeros(quiet.size, dtype=bool)
    bursts = interior_runs(~quiet, max_burst_s * fs, min_length=2)
    if bursts.shape[0] == 0:
        return spin
    index, burst, _ = run_members(bursts)
    before, after = direction[bursts[:, 0] - 1], direction[bursts[:, 1]]
    d = direction[index]
    nearest = np.maximum(np.einsum("ij,ij->i", d, before[burst]), np.einsum("ij,ij->i", d, after[burst]))
    near_1g = np.abs(norm[index] - gravity_mps2) < 0.2 * gravity_mps2
    away = (nearest < np.cos(np.deg2rad(min_away_deg))) & near_1g
    away_count = np.bincount(burst, away.astype(float), minlength=bursts.shape[0])
    length = bursts[:, 1] - bursts[:, 0]
    is_spin = (away_count >= min_away_s * fs) & (away_count >= min_away_share * length)
    near_count = np.bincount(burst, near_1g.astype(float), minlength=bursts.shape[0])
    turned = np.einsum("ij,ij->i", before, after) <= np.cos(np.deg2rad(min_pose_turn_deg))
    is_spin |= turned & (near_count >= min_near_1g_share * length)
    spin[index[is_spin[burst]]] = True
    return spin


def _up_direction(
    force_mps2: np.ndarray,
    norm: np.ndarray,
    direction: np.ndarray,
    gravity_reading_mps2: float,
    sample_rate_hz: float,
    *,
    dynamic_mps2: float = 2.0,
    cutoff_hz: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Direction of "up" in the sensor frame without a gyroscope, per sample.

    The direction of the specific force (``direction``, of length ``norm``)
    is "up" wherever the bar's acceleration is small next to gravity (a
    *calm* sample: within ``dynamic_mps2`` of 1 g, and not turned away from
    the slowly varying mean force).  Across the other samples (a fast lift,
    its stop, an impact) the direction is interpolated from the calm
    neighbours before the low-pass; a plain low-pass would be dragged
    around by a hard stop, where the force even points down.

    Returns
    -------
    up : (m, 3) unit vectors
    calm : (m,) bool
    """
    slow = lowpass_zero_phase(force_mps2, 0.5, sample_rate_hz, order=2)
    slow /= np.maximum(row_norms(slow), 1e-9)[:, None]
    calm = (np.abs(norm - gravity_reading_mps2) < dynamic_mps2) & (np.einsum("ij,ij->i", direction, slow) > 0.5)
    if 2 <= calm.sum() < calm.size:
        index = np.arange(calm.size)
        direction = np.column_stack([np.interp(index, index[calm], direction[calm, k]) for k in range(3)])
    up = lowpass_zero_phase(direction, cutoff_hz, sample_rate_hz, order=2)
    return up / np.maximum(row_norms(up), 1e-9)[:, None], calm


def _projected_bursts(
    force_mps2: np.ndarray,
    direction: np.ndarray,
    signed_norm: np.ndarray,
    quiet: np.ndarray,
    sample_rate_hz: float,
    *,
    max_burst_s: float = 6.0,
    max_turn_deg: float = 90.0,
    max_off_deg: float = 50.0,
    min_norm_error_m_s: float = 0.08,
    max_ratio: float = 0.5,
    min_horizontal_mps2: float = 1.5,
    min_strong_share: float = 0.5,
    max_straight_off_deg: float = 15.0,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Replace the force's length by its projection on "up" in bursts the norm method gets wrong.

    The length of the specific force overstates the vertical acceleration by
    about ``a_h^2 / 2g``.  For a bar moving on an arc that is not small: a
    curl's 4 m/s^2 of centripetal acceleration adds 0.8 m/s^2, and a lift
    gains 0.3-1 m/s of speed it never had.  Between two quiet stretches (a
    *burst*: a lift, a stop, a whole rep) the pose on either side is known,
    and the projection of the force on "up" is exact while the sensor keeps
    its pose.  A bar that rolls on the way turns with the motion, so "up" is
    interpolated between the two poses by the burst's progress (the share of
    its path covered, from the norm method's own speed, which has the right
    shape even where its level is off), not by time.

    A burst keeps the norm method unless the projection passes every check:
    it is at most ``max_burst_s`` long, bounded by quiet samples on both
    sides; the poses on either side are less than ``max_turn_deg`` apart; the
    force stays on average within ``max_off_deg`` of the interpolated "up"
    (a sleeve spin turns the sensor away from both poses and fails this);
    and it leaves the burst's change of speed at most ``max_ratio`` of the
    norm method's, which must exceed ``min_norm_error_m_s``.  Bursts go from
    rest to rest or to a slow cruise, so a large change of speed across one
    is the norm method's error, and one the projection removes is the
    evidence that it applies.  Not every such burst is at rest on both
    sides, though: the braking of a slow negative starts in a cruise and
    really changes speed.  So, last, at least ``min_strong_share`` of what
    the norm adds over the projection must come from samples whose
    horizontal force exceeds ``min_horizontal_mps2`` (a bar on an arc),
    not from a pose interpolated a few degrees off across a gentle burst.
    The change-of-speed ratio is waived for a burst whose force stays on
    average within ``max_straight_off_deg`` of the interpolated "up" (a bar
    pressed or pulled nearly straight, turning little), when the projection
    removes more than ``min_norm_error_m_s`` of the norm method's change:
    such a burst may start or end in a fast cruise, which is as quiet as a
    rest without a gyroscope (a 0.6 m/s descent of a tempo press runs
    straight into the lift), so its change of speed is real, and along a
    nearly straight path the projection is the better of the two.  Not
    across a data gap (``valid`` False): the samples there are filler, the
    burst's change of speed means nothing, and the ratio stays the judge.
    Everywhere else the two agree to second order.
    """
    fs = sample_rate_hz
    bursts = interior_runs(~quiet, max_burst_s * fs, min_length=2)
    if bursts.shape[0] == 0:
        return signed_norm
    starts, ends = bursts[:, 0], bursts[:, 1]
    lengths = ends - starts
    # Every burst sample in one flat array, with the burst it belongs to.
    index, burst, first = run_members(bursts)
    offset = index - starts[burst]

    def within(values: np.ndarray) -> np.ndarray:
        return running_sum_within(values, burst, first)

    reading = float(np.median(signed_norm[quiet]))
    norm_acc = signed_norm[index] - reading
    speed = within(norm_acc) / fs
    norm_change = speed[first + lengths - 1]
    # Progress along the path, from a speed that starts and ends at rest.
    speed = speed - (offset + 1) / lengths[burst] * norm_change[burst]
    path = within(np.abs(speed))
    progress = path / np.maximum(path[first + lengths - 1], 1e-12)[burst]
    before, after = direction[starts - 1], direction[ends]
    up = (1.0 - progress)[:, None] * before[burst] + progress[:, None] * after[burst]
    up /= np.maximum(row_norms(up), 1e-9)[:, None]
    projected = np.einsum("ij,ij->i", force_mps2[index], up)
    proj_change = np.bincount(burst, projected - reading, minlength=starts.size) / fs
    # What the norm adds over the projection is the horizontal part of the
    # force.  Real horizontal acceleration (an arc) is large where it acts; a
    # pose the interpolation gets slightly wrong adds a little everywhere.
    horizontal = np.sqrt(np.maximum(signed_norm[index] ** 2 - projected**2, 0.0))
    excess = signed_norm[index] - projected
    strong_excess = np.bincount(burst, np.where(horizontal > min_horizontal_mps2, excess, 0.0), minlength=starts.size)
    total_excess = np.bincount(burst, excess, minlength=starts.size)
    mean_cos = np.bincount(burst, np.einsum("ij,ij->i", direction[index], up), minlength=starts.size) / lengths
    whole = (
        np.ones(starts.size, dtype=bool) if valid is None
        else np.bincount(burst, ~valid[index], minlength=starts.size) == 0
    )
    use = (
        (np.einsum("ij,ij->i", before, after) > np.cos(np.deg2rad(max_turn_deg)))
        & (mean_cos > np.cos(np.deg2rad(max_off_deg)))
        & (np.abs(norm_change) > min_norm_error_m_s)
        & (
            (np.abs(proj_change) < max_ratio * np.abs(norm_change))
            | (
                (mean_cos > np.cos(np.deg2rad(max_straight_off_deg)))
                & (np.abs(norm_change - proj_change) > min_norm_error_m_s)
                & whole
            )
        )
        & (strong_excess >= min_strong_share * total_excess)
    )
    result = signed_norm.copy()
    chosen = use[burst]
    result[index[chosen]] = projected[chosen]
    return result


def _points_down(
    direction: np.ndarray,
    calm: np.ndarray,
    sample_rate_hz: float,
    norm: np.ndarray,
    gravity_mps2: float,
    *,
    max_event_s: float = 1.0,
    min_off_fraction: float = 0.25,
) -> np.ndarray:
    """Samples whose specific force (unit ``direction``) points down: the bar slows faster than free fall.

    The length of the specific force loses its sign there (a row or curl
    stopped hard at the top, an impact): a deceleration of 2.5 g reads as
    an upward 0.5 g.  A sample is flipped when it lies in a short run of
    non-calm samples and its force points against the calm direction on
    *both* sides of the run, and those two agree (the sensor did not turn
    over during the run, as it does in a sleeve spin: even a whole turn
    leaves the run at poses far apart, because the calm test turns samples
    away from the slowly varying mean force into non-calm ones).  And only
    where the force's length is more than ``min_off_fraction`` of gravity's
    (``gravity_mps2``, the calibrated reading) away from it somewhere in
    the run: to point down without the sensor turning, the force passes
    through zero (the bar's acceleration through -1 g), and at 50 Hz a
    sample of that passage lies at 0.6 g or below.  A fast spin keeps its
    length near 1 g all the way round, and its turns through the slow mean force
    are calm samples *inside* the spin, with the rest of the turn against
    both of them (a 1.4-turn spin of a 1000 Hz deadlift was read as a
    0.09 s stop of 2 g: -1.8 m/s).
    """
    m = calm.size
    if calm.all() or not calm.any():
        return np.zeros(m, dtype=bool)
    before, after = nearest_members(calm)
    inside = (before >= 0) & (after < m) & ((after - before) <= max_event_s * sample_rate_hz)
    b = direction[np.clip(before, 0, m - 1)]
    a = direction[np.clip(after, 0, m - 1)]
    same_pose = np.einsum("ij,ij->i", a, b) > 0.7
    against = (np.einsum("ij,ij->i", direction, b) < 0.0) & (np.einsum("ij,ij->i", direction, a) < 0.0)
    runs = mask_to_runs(~calm)
    off_gravity = np.zeros(m, dtype=bool)
    if runs.shape[0]:
        # Largest departure from 1 g per run; each slice also holds the calm
        # samples up to the next run, which are within 2 m/s^2 of it (_up_direction).
        farthest = np.maximum.reduceat(np.abs(norm - gravity_mps2), runs[:, 0])
        off_gravity = runs_to_mask(runs[farthest > min_off_fraction * gravity_mps2], m)
    return ~calm & inside & same_pose & against & off_gravity


# Quaternions below are stored component-first: shape ``(4, ...)``, rows x, y,
# z, w (scalar last, as scipy's ``as_quat``).  Each component is then a
# contiguous row, so every arithmetic step streams through memory instead of
# striding over an ``(m, 4)`` array (the gyro integration of an hour of
# 200 Hz data took a sixth of the analysis with the row-per-sample layout).


def _quat_multiply(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Hamilton product of component-first quaternions (broadcast over the trailing axes).

    Plain NumPy: about 30 times faster than composing ``scipy`` ``Rotation``
    objects, which matters because the prefix product below does it log2(m) times.
    """
    x1, y1, z1, w1 = left
    x2, y2, z2, w2 = right
    return np.array([
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
    ])


def _rotvec_quaternions(rotvec: np.ndarray) -> np.ndarray:
    """Unit quaternions of component-first rotation vectors: ``(3, ...)`` -> ``(4, ...)``, scalar last.

    scipy's ``Rotation.from_rotvec`` formula (its Taylor series below 1 mrad),
    written into a contiguous component-first array in one go instead of a
    row-per-rotation array that the scan would have to transpose.
    """
    angle = component_norms(rotvec)
    small = angle <= 1e-3
    angle2 = angle * angle
    scale = np.where(small, 0.5 - angle2 / 48 + angle2**2 / 3840, np.sin(angle / 2) / (angle + small))
    quats = np.empty((4,) + angle.shape)
    np.multiply(rotvec, scale, out=quats[:3])
    np.cos(angle / 2, out=quats[3])
    return quats


def _prefix_product(quats: np.ndarray) -> np.ndarray:
    """Inclusive prefix product ``q0 q1 ... qi`` along the last axis, by doubling (log2(k) vectorised products)."""
    out = quats.copy()
    shift = 1
    while shift < out.shape[-1]:
        out[:, shift:] = _quat_multiply(out[:, :-shift], out[:, shift:])
        # Renormalise: rounding would otherwise accumulate over the levels.
        out[:, shift:] /= component_norms(out[:, shift:])
        shift *= 2
    return out


def _gyro_quaternions(gyr_rads: np.ndarray, sample_rate_hz: float, *, chunk: int = 64) -> np.ndarray:
    """Orientation relative to the first sample: unit quaternions ``(m, 4)``, scalar last as in scipy.

    Composes the per-sample rotations with a blocked scan: the samples are
    cut into chunks of ``chunk``; one pass over the positions inside a chunk
    (vectorised over all chunks) gives every chunk's running product, a
    doubling scan composes the few chunk totals, and one last product puts
    each chunk after its predecessors.  About two quaternion products per
    sample instead of log2(m) for a plain doubling scan, with no per-sample
    Python loop.  The scan works on component-first arrays (see above).

    The turn from one sample to the next is the mean of their two rates
    times the sample period (trapezoid rule), so the first sample is the
    identity.  The rate of one sample alone would lead the orientation by
    half a sample: 6 degrees at 25 Hz in a curl's 300 deg/s, through which
    the lift's horizontal acceleration leaked into the vertical (on the
    development draws, 0.12 m/s of speed lost in every 25 Hz curl lift).
    """
    m = gyr_rads.shape[0]
    gyr_rads = np.concatenate([np.zeros((min(m, 1), 3)), 0.5 * (gyr_rads[1:] + gyr_rads[:-1])])
    if m <= chunk:
        return _prefix_product(_rotvec_quaternions(gyr_rads.T / sample_rate_hz)).T
    n_chunks = -(-m // chunk)
    # (component, position in chunk, chunk): each step of the scan reads
    # one contiguous row of all chunks per component.  The increments are
    # built in that layout directly (identity rotations after the end).
    padded = np.zeros((n_chunks * chunk, 3))
    np.divide(gyr_rads, sample_rate_hz, out=padded[:m])
    blocks = _rotvec_quaternions(padded.reshape(n_chunks, chunk, 3).transpose(2, 1, 0))
    for position in range(1, chunk):  # positions within a chunk, each vectorised over all chunks
        blocks[:, position] = _quat_multiply(blocks[:, position - 1], blocks[:, position])
    blocks /= component_norms(blocks)
    totals = _prefix_product(blocks[:, -1])
    before = np.empty_like(totals)  # product of all earlier chunks
    before[:, 0] = [0.0, 0.0, 0.0, 1.0]
    before[:, 1:] = totals[:, :-1]
    # The last product, slab by slab of chunks so that its temporaries stay
    # in the CPU cache (a third faster than one pass over all samples), and
    # back to sample order, component-first (returned as an ``(m, 4)`` view).
    out = np.empty((4, n_chunks, chunk))
    for lo in range(0, n_chunks, 256):  # slabs of 256 chunks, not samples
        part = _quat_multiply(before[:, None, lo : lo + 256], blocks[:, :, lo : lo + 256])  # broadcast over positions
        part /= component_norms(part)
        out[:, lo : lo + 256] = part.transpose(0, 2, 1)
    return out.reshape(4, -1)[:, :m].T


def _rotation_matrices(quats: np.ndarray) -> np.ndarray:
    """Rotation matrices of unit quaternions ``(m, 4)`` (scalar last), element-first: ``(3, 3, m)``.

    ``R[i, j]`` is one contiguous array over the samples, so rotating by
    ``R`` (``sum_j R[i, j] v_j``) or by its inverse (``sum_j R[j, i] v_j``)
    is nine multiply-adds of whole arrays, with no ``(m, 3, 3)`` layout to
    transpose and no generic contraction over axes of three.  The formula
    is scipy's ``as_matrix`` for unit quaternions.
    """
    x, y, z, w = (np.ascontiguousarray(component) for component in quats.T)
    xx, yy, zz, ww = x * x, y * y, z * z, w * w
    xy, zw, xz, yw, yz, xw = x * y, z * w, x * z, y * w, y * z, x * w
    matrices = np.empty((3, 3, x.size))
    matrices[0, 0] = xx - yy - zz + ww
    matrices[1, 0] = 2 * (xy + zw)
    matrices[2, 0] = 2 * (xz - yw)
    matrices[0, 1] = 2 * (xy - zw)
    matrices[1, 1] = -xx + yy - zz + ww
    matrices[2, 1] = 2 * (yz + xw)
    matrices[0, 2] = 2 * (xz + yw)
    matrices[1, 2] = 2 * (yz - xw)
    matrices[2, 2] = -xx - yy + zz + ww
    return matrices


def _apply_matrices(matrices: np.ndarray, vectors: np.ndarray, *, inverse: bool = False) -> np.ndarray:
    """Rotate every row of ``vectors`` ``(m, 3)`` by its matrix of :func:`_rotation_matrices` (or its inverse)."""
    columns = [np.ascontiguousarray(column) for column in vectors.T]  # 3 components
    out = np.empty((len(columns[0]), 3))
    for i in range(3):  # output components
        row = matrices[:, i] if inverse else matrices[i]  # the transpose's row i is column i
        out[:, i] = row[0] * columns[0] + row[1] * columns[1] + row[2] * columns[2]
    return out


def horizontal_acceleration(
    acc_mps2: np.ndarray,
    gyr_rads: np.ndarray | None,
    sample_rate_hz: float,
    calibration: AccelerometerCalibration,
    *,
    gravity_cutoff_hz: float = 0.2,
) -> np.ndarray:
    """Magnitude of the horizontal acceleration, m/s^2.

    Gravity's direction is the long low-pass of the specific force, taken in
    a frame that does not rotate with the sensor when a gyroscope is present
    (so bar roll does not smear it); without a gyroscope it is taken in the
    sensor frame, which is adequate for slowly rotating sensors.
    """
    f = (acc_mps2 - calibration.bias_mps2) / calibration.scale
    if gyr_rads is not None and gyr_rads.shape[0] > 1:
        gyr = gyr_rads - np.median(gyr_rads, axis=0)
        matrices = _rotation_matrices(_gyro_quaternions(gyr, sample_rate_hz))
        f_ref = _apply_matrices(matrices, f)
        g_ref = lowpass_zero_phase(f_ref, gravity_cutoff_hz, sample_rate_hz, order=2)
        g_dir = _apply_matrices(matrices, g_ref, inverse=True)
    else:
        g_dir = lowpass_zero_phase(f, gravity_cutoff_hz, sample_rate_hz, order=2)
    g_unit = g_dir / np.maximum(row_norms(g_dir), 1e-9)[:, None]
    along = np.sum(f * g_unit, axis=1, keepdims=True)
    return row_norms(f - along * g_unit)


class GyroAidedVertical:
    """Vertical and horizontal acceleration from gyroscope-tracked orientation.

    The orientation relative to the start of each gap-free block is the
    composition of the gyroscope's rotation increments (bias taken from the
    quiet samples).  In that non-rotating reference frame gravity is fixed,
    so at every quiet piece (rest, or the cruise of a slow descent: zero
    acceleration either way) the rotated specific force *is* gravity.
    Gravity is interpolated linearly between quiet pieces, which also
    absorbs slow gyroscope drift and the orientation-dependent part of the
    accelerometer's bias.  Projection on that vertical removes horizontal
    accelerations exactly (racking, walkouts, swings), which the norm
    method turns into a small positive error.

    Parameters
    ----------
    piece_s
        Quiet runs are cut into pieces of at most this length.
    scale
        Accelerometer sensitivity, if known from calibration (else 1).
    max_reading_offset_mps2
        The reading model fitted on ``reading_quiet`` (see :meth:`estimate`)
        is used only if its offset vector is at most this long: 0.1 g, more
        than a MEMS offset left after the axes are equalised.  Otherwise
        (a gyroscope too rough to track the rolls, timestamps too irregular)
        the fit on the rests alone is kept.
    max_piece_deviation_mps2
        Pieces of ``reading_quiet`` whose mean reading is further than this
        from what the rests' fit predicts at their pose are left out of
        that fit when they are a few strays, at most a fifth of the pieces (see
        :func:`gravity_reading_model`): 0.05 g.  A 400 Hz row analysed at
        100 Hz had 0.3 s of steady 0.8 m/s^2 acceleration pass as quiet at
        a pose of its own; the fit gave it an offset of 0.8 m/s^2 and the
        set's lifts read 0.1-0.2 m/s slow.

    Attributes
    ----------
    vertical_ : (m,) m/s^2
    horizontal_ : (m,) m/s^2
    gravity_direction_sensor_ : (m, 3) unit vector "up" in the sensor frame
    """

    def __init__(
        self,
        piece_s: float = 0.5,
        scale: float = 1.0,
        max_reading_offset_mps2: float = 1.0,
        max_piece_deviation_mps2: float = 0.5,
    ) -> None:
        self.piece_s = piece_s
        self.scale = scale
        self.max_reading_offset_mps2 = max_reading_offset_mps2
        self.max_piece_deviation_mps2 = max_piece_deviation_mps2

    def estimate(
        self,
        acc_mps2: np.ndarray,
        gyr_rads: np.ndarray,
        quiet: np.ndarray,
        block: np.ndarray,
        sample_rate_hz: float,
        reading_quiet: np.ndarray | None = None,
    ) -> "GyroAidedVertical":
        """Estimate.

        ``quiet`` marks samples without acceleration or rotation: the
        gyroscope's bias and the direction of gravity are taken there.
        ``reading_quiet`` optionally marks samples quiet by the accelerometer
        alone, a bar turning without accelerating among them.  With the
        rotation tracked, those read gravity too, at poses the rests never
        visit: a negative that rolls 60 degrees on the way down sweeps its
        cruise through them, and the rests alone leave the reading model's
        offset vector (:func:`gravity_reading_model`) free in those
        directions, or pulled by the slow starts and stops at the ends of
        the quiet runs.
        """
        fs = sample_rate_hz
        m = acc_mps2.shape[0]
        gyro_bias = column_medians(gyr_rads, quiet if quiet.sum() > 10 else None)
        vertical = np.zeros(m)
        horizontal = np.zeros(m)
        up_sensor = np.tile([0.0, 0.0, 1.0], (m, 1))
        for lo, hi in block_spans(block):  # per gap-free block
            matrices = _rotation_matrices(_gyro_quaternions(gyr_rads[lo:hi] - gyro_bias, fs))
            f_ref = _apply_matrices(matrices, acc_mps2[lo:hi])
            pieces = split_runs(quiet[lo:hi], max(int(round(self.piece_s * fs)), 1), max(int(0.2 * fs), 1))
            if pieces.shape[0] == 0:
                g_ref = np.tile(np.median(f_ref, axis=0), (hi - lo, 1))
            else:
                csum = running_sum(f_ref)
                means = (csum[pieces[:, 1]] - csum[pieces[:, 0]]) / (pieces[:, 1] - pieces[:, 0])[:, None]
                centres = 0.5 * (pieces[:, 0] + pieces[:, 1] - 1)
                idx = np.arange(hi - lo, dtype=float)
                g_ref = np.column_stack([np.interp(idx, centres, means[:, k]) for k in range(3)])
            # Only gravity's *direction* is interpolated: the length of the
            # specific force in a quiet piece also holds the faint acceleration
            # of a slow descent's start or end, which must not be absorbed.
            g_unit = g_ref / np.maximum(row_norms(g_ref), 1e-9)[:, None]
            # The dot product summed in np.sum's order, without an (m, 3) temporary.
            along = f_ref[:, 0] * g_unit[:, 0] + f_ref[:, 1] * g_unit[:, 1] + f_ref[:, 2] * g_unit[:, 2]
            up_sensor[lo:hi] = _apply_matrices(matrices, g_unit, inverse=True)
            piece = max(int(self.piece_s * fs), 2)
            fitted = None
            rests_fit = gravity_reading_model(along, up_sensor[lo:hi], quiet[lo:hi], piece=piece)
            if reading_quiet is not None:
                # The poses a slow negative rolls through, when that fit stays
                # physical; else (rolls the gyroscope could not follow, say)
                # the rests alone.  Strays are measured against what the
                # rests read at their pose: when a long steady acceleration
                # passes as quiet its pieces can be the many, and a curl's
                # poses differ by the offsets (a median of the pieces called
                # a far pose a stray).
                fitted = gravity_reading_model(
                    along, up_sensor[lo:hi], reading_quiet[lo:hi], piece=piece,
                    max_piece_deviation_mps2=self.max_piece_deviation_mps2,
                    reference_model=rests_fit if quiet[lo:hi].any() else None,
                )
                if np.linalg.norm(fitted[1]) > self.max_reading_offset_mps2:
                    fitted = None
            r0, b = fitted if fitted is not None else rests_fit
            g_norm = r0 + up_sensor[lo:hi] @ b
            self.reading_bias_mps2_ = b
            # The reading of gravity is removed as an offset (see
            # AccelerometerCalibration.scale for why it is not a scale factor).
            vertical[lo:hi] = (along - g_norm) / self.scale
            lateral = f_ref - along[:, None] * g_unit
            horizontal[lo:hi] = row_norms(lateral) / self.scale
        self.vertical_ = vertical
        self.horizontal_ = horizontal
        self.gravity_direction_sensor_ = up_sensor
        self.gyro_bias_rads_ = gyro_bias
        return self
