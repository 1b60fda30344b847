"""Sensor orientation and the ideal inertial signals it sees.

``R(t) = R_z(heading) R_y(tilt(t)) R_x(roll(t)) R_mount`` maps sensor-frame
vectors to the world frame (z up): ``R_mount`` is the arbitrary, constant
orientation of the sensor on the bar, ``R_x`` the roll of the bar about its
own axis (bar roll, sleeve spins, body pitch for a belt sensor), ``R_y`` a
small tilt of the bar axis and ``R_z`` the heading of the bar in the room.
The ideal accelerometer reads the specific force ``R^T (a_w + [0, 0, g])`` of
the sensor's own point (the bar axis plus an optional lever arm, which adds
centripetal and tangential acceleration when the sleeve spins); the ideal gyro
reads ``R^T omega_w``.  Both come from the same closed-form angles, so they
are consistent with each other to floating-point precision.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ..constants import STANDARD_GRAVITY

__all__ = ["mounting_rotation", "ideal_imu"]

_EX = np.array([1.0, 0.0, 0.0])
_EY = np.array([0.0, 1.0, 0.0])


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of scalar-last quaternions ``[x, y, z, w]``, broadcast over rows.

    (``Rotation.__mul__`` on hundreds of thousands of rotations is much slower.)
    """
    ax, ay, az, aw = np.moveaxis(np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)), -1, 0)
    bx, by, bz, bw = np.moveaxis(np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape)), -1, 0)
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        axis=-1,
    )


def _axis_quat(angle: np.ndarray, axis: int) -> np.ndarray:
    """Quaternions of rotations by ``angle`` about a coordinate axis."""
    q = np.zeros((angle.size, 4))
    q[:, axis] = np.sin(angle / 2)
    q[:, 3] = np.cos(angle / 2)
    return q


def mounting_rotation(mounting: Any, rng: np.random.Generator) -> Rotation:
    """Resolve a mounting description to a rotation (sensor frame -> bar frame).

    ``"random"`` (uniformly random), ``"flat"`` (identity: sensor z up),
    ``"sleeve"`` (sensor x along the bar, random angle about it), a quaternion
    ``[x, y, z, w]``, a ``(3,)`` sequence of xyz Euler angles in degrees, or
    a :class:`scipy.spatial.transform.Rotation`.
    """
    if isinstance(mounting, Rotation):
        return mounting
    if mounting is None or mounting == "flat":
        return Rotation.identity()
    if mounting == "random":
        return Rotation.random(random_state=rng)
    if mounting == "sleeve":
        return Rotation.from_rotvec(_EX * rng.uniform(-np.pi, np.pi))
    values = np.asarray(mounting, dtype=float)
    if values.shape == (4,):
        return Rotation.from_quat(values)
    if values.shape == (3,):
        return Rotation.from_euler("xyz", values, degrees=True)
    raise ValueError(f"cannot interpret mounting {mounting!r}")


def ideal_imu(
    motion_eval: dict[str, Any],
    *,
    heading_rad: float,
    mount: Rotation,
    lever_arm_m: np.ndarray,
) -> dict[str, Any]:
    """Ideal specific force and angular rate in the sensor frame.

    Parameters
    ----------
    motion_eval
        Output of :meth:`Motion.evaluate`: bar-frame ``acc`` (n, 3) of the
        tracked point and the ``phi`` (roll) and ``theta`` (tilt) triples.
    heading_rad
        Heading of the bar frame in the world.
    mount
        Sensor -> bar-frame rotation.
    lever_arm_m
        Position of the sensor relative to the bar axis, bar frame, m.

    Returns
    -------
    dict
        ``rotation`` (Rotation, sensor -> world), ``specific_force_mps2``
        (n, 3) and ``angular_rate_rads`` (n, 3), both in the sensor frame,
        and ``world_acc_mps2`` (n, 3) of the sensor point.
    """
    phi, dphi, ddphi = motion_eval["phi"]
    theta, dtheta, ddtheta = motion_eval["theta"]
    n = phi.size
    heading = Rotation.from_rotvec([0.0, 0.0, heading_rad])
    q_bar = _quat_mul(heading.as_quat()[None, :], _quat_mul(_axis_quat(theta, 1), _axis_quat(phi, 0)))
    bar_to_world = Rotation.from_quat(q_bar)
    sensor_to_world = Rotation.from_quat(_quat_mul(q_bar, mount.as_quat()[None, :]))
    # Angular velocity and acceleration in the world frame (closed form); the
    # bar axis after the tilt is R_y(theta) e_x = (cos theta, 0, -sin theta).
    bar_axis = np.column_stack([np.cos(theta), np.zeros(n), -np.sin(theta)])
    omega_level = dtheta[:, None] * _EY + dphi[:, None] * bar_axis
    alpha_level = (
        ddtheta[:, None] * _EY
        + ddphi[:, None] * bar_axis
        + (dtheta * dphi)[:, None] * np.cross(_EY, bar_axis)
    )
    omega_w = heading.apply(omega_level)
    alpha_w = heading.apply(alpha_level)
    acc_w = heading.apply(motion_eval["acc"])
    lever = np.asarray(lever_arm_m, dtype=float)
    if np.any(lever != 0):
        offset = bar_to_world.apply(np.tile(lever, (n, 1)))
        acc_w = acc_w + np.cross(alpha_w, offset) + np.cross(omega_w, np.cross(omega_w, offset))
    specific_world = acc_w + np.array([0.0, 0.0, STANDARD_GRAVITY])
    inverse = sensor_to_world.inv()
    return {
        "rotation": sensor_to_world,
        "specific_force_mps2": inverse.apply(specific_world),
        "angular_rate_rads": inverse.apply(omega_w),
        "world_acc_mps2": acc_w,
    }
