"""Vertical (gravity-aligned) acceleration of the bar.

The bar rolls, sleeves spin and sensors are clipped on at any angle, so we
use a rotation-invariant estimate: the length of the calibrated specific
force minus its length at rest.  For a bar that moves vertically this is
exact; a horizontal acceleration ``a_h`` adds only ``a_h^2 / 2g`` (1 mm/s^2
for a 0.15 m/s^2 sway), far below what a tilt error of an orientation filter
would leak.  Gravity direction in the sensor frame (a long low-pass of the
specific force, rotated with the gyroscope when there is one) is used only
for the horizontal part, which the swinging rule needs.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from scipy.spatial.transform import Rotation

from ..constants import STANDARD_GRAVITY
from .calibration import AccelerometerCalibration

__all__ = ["vertical_acceleration", "horizontal_acceleration", "lowpass_zero_phase"]


def lowpass_zero_phase(x: np.ndarray, cutoff_hz: float, sample_rate_hz: float, *, order: int = 4, axis: int = 0) -> np.ndarray:
    """Zero-phase Butterworth low-pass (``sosfiltfilt``), a no-op above Nyquist."""
    x = np.asarray(x, dtype=float)
    if cutoff_hz >= 0.49 * sample_rate_hz or x.shape[axis] <= 3 * (2 * order + 1):
        return x.copy()
    sos = signal.butter(order, cutoff_hz, fs=sample_rate_hz, output="sos")
    return signal.sosfiltfilt(sos, x, axis=axis)


def vertical_acceleration(acc_mps2: np.ndarray, calibration: AccelerometerCalibration) -> np.ndarray:
    """Vertical bar acceleration (up positive, gravity removed), m/s^2.

    Parameters
    ----------
    acc_mps2 : (m, 3) specific force, sensor frame
    calibration : from :func:`~eccentric_sense.pipeline.calibration.fit_accelerometer_calibration`
    """
    norm = calibration.corrected_norm(acc_mps2)
    return STANDARD_GRAVITY * (norm / calibration.gravity_reading_mps2 - 1.0)


def _integrate_gyro(gyr_rads: np.ndarray, sample_rate_hz: float) -> Rotation:
    """Orientation relative to the first sample by composing per-sample rotations.

    Composition is done as a parallel prefix product (log2(m) vectorised
    quaternion multiplications) instead of a per-sample loop.
    """
    m = gyr_rads.shape[0]
    steps = Rotation.from_rotvec(gyr_rads / sample_rate_hz).as_quat()  # x, y, z, w
    quats = steps.copy()
    shift = 1
    while shift < m:
        left = Rotation.from_quat(quats[:-shift])
        right = Rotation.from_quat(quats[shift:])
        quats[shift:] = (left * right).as_quat()
        shift *= 2
    return Rotation.from_quat(quats)


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
    f = (acc_mps2 - calibration.bias_mps2) * (STANDARD_GRAVITY / calibration.gravity_reading_mps2)
    if gyr_rads is not None and gyr_rads.shape[0] > 1:
        gyr = gyr_rads - np.median(gyr_rads, axis=0)
        orientation = _integrate_gyro(gyr, sample_rate_hz)
        f_ref = orientation.apply(f)
        g_ref = lowpass_zero_phase(f_ref, gravity_cutoff_hz, sample_rate_hz, order=2)
        g_dir = orientation.inv().apply(g_ref)
    else:
        g_dir = lowpass_zero_phase(f, gravity_cutoff_hz, sample_rate_hz, order=2)
    g_unit = g_dir / np.maximum(np.linalg.norm(g_dir, axis=1, keepdims=True), 1e-9)
    along = np.sum(f * g_unit, axis=1, keepdims=True)
    return np.linalg.norm(f - along * g_unit, axis=1)
