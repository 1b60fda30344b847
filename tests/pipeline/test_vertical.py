"""Vertical acceleration from a rotated, biased sensor moving along an analytic path."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from eccentric_sense.pipeline.calibration import AccelerometerCalibration
from eccentric_sense.pipeline.vertical import (
    GyroAidedVertical,
    _apply_matrices,
    _gyro_quaternions,
    _rotation_matrices,
    _rotvec_quaternions,
    _settled,
    gravity_reading_model,
    horizontal_acceleration,
    lowpass_zero_phase,
    vertical_acceleration,
)

from .conftest import development_draw

G = 9.80665
FS = 200.0


def _motion(duration_s: float = 20.0):
    """Rest 4 s, then vertical oscillations of 0.5 m/s^2 at 0.5 Hz, then rest."""
    t = np.arange(int(duration_s * FS)) / FS
    moving = (t >= 4) & (t < 16)
    a = np.where(moving, 0.5 * np.sin(2 * np.pi * 0.5 * (t - 4)), 0.0)
    quiet = (t < 3.5) | (t > 16.5)
    return t, a, quiet


def test_integrated_gyro_matches_constant_rate_rotation():
    rate = np.array([0.3, -0.2, 0.5])
    n = 1000
    orientation = Rotation.from_quat(_gyro_quaternions(np.tile(rate, (n, 1)), FS))
    # Relative to the first sample: n samples span n - 1 periods.
    assert orientation[0].magnitude() == pytest.approx(0.0, abs=1e-12)
    expected = Rotation.from_rotvec(rate * (n - 1) / FS)
    assert (orientation[-1] * expected.inv()).magnitude() == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("fs", [25.0, 60.0, 200.0])
def test_integrated_gyro_is_centred_on_the_samples(fs):
    # A curl turns the bar at up to ~300 deg/s.  The orientation at each
    # sample must be the integral of the rate up to that sample, not lead it
    # by half a sample (6 degrees at 25 Hz), whatever the sample rate.
    t = np.arange(int(3.0 * fs)) / fs
    amplitude, frequency = 5.0, 1.0  # rad/s, Hz
    rate = np.column_stack([amplitude * np.sin(2 * np.pi * frequency * t), np.zeros_like(t), np.zeros_like(t)])
    angle = amplitude / (2 * np.pi * frequency) * (1 - np.cos(2 * np.pi * frequency * t))
    orientation = Rotation.from_quat(_gyro_quaternions(rate, fs))
    error = np.abs(orientation.as_rotvec()[:, 0] - angle)
    assert np.max(error) < 0.2 * amplitude / fs**2 * 2 * np.pi * frequency


def test_rotation_helpers_agree_with_scipy():
    rng = np.random.default_rng(3)
    # Per-sample increments of a gyroscope (tiny, some under the 1 mrad Taylor branch) and large rotations.
    rotvec = np.concatenate([rng.normal(0, 0.02, (500, 3)), rng.normal(0, 2e-4, (50, 3)), np.zeros((2, 3)), rng.normal(0, 2, (50, 3))])
    quats = _rotvec_quaternions(np.ascontiguousarray(rotvec.T)).T
    np.testing.assert_array_equal(quats, Rotation.from_rotvec(rotvec).as_quat())
    rotations = Rotation.from_rotvec(rotvec)
    vectors = rng.normal(0, 10, (rotvec.shape[0], 3))
    matrices = _rotation_matrices(rotations.as_quat())
    np.testing.assert_allclose(_apply_matrices(matrices, vectors), rotations.apply(vectors), atol=1e-12)
    np.testing.assert_allclose(_apply_matrices(matrices, vectors, inverse=True), rotations.inv().apply(vectors), atol=1e-12)


def test_norm_method_is_independent_of_mounting():
    t, a, quiet = _motion()
    specific_force = np.column_stack([np.zeros_like(a), np.zeros_like(a), a + G])
    for mounting in Rotation.random(3, random_state=4):  # per mounting
        acc = mounting.inv().apply(specific_force)
        calibration = AccelerometerCalibration(np.zeros(3), G, 1)
        vertical = vertical_acceleration(acc, calibration, quiet, FS)
        assert vertical == pytest.approx(a, abs=2e-3)


def test_gyro_aided_vertical_follows_a_rolling_sensor_and_removes_horizontal_motion():
    t, a, quiet = _motion()
    # The bar rolls 40 degrees about its (horizontal) axis while it moves, and sways sideways.
    roll = np.deg2rad(40.0) * np.clip((t - 4) / 12, 0, 1)
    omega = np.column_stack([np.gradient(roll, t), np.zeros_like(t), np.zeros_like(t)])
    mounting = Rotation.from_euler("xyz", [20, -35, 60], degrees=True)
    body = Rotation.from_rotvec(np.column_stack([roll, np.zeros_like(t), np.zeros_like(t)])) * mounting
    sway = np.where((t >= 4) & (t < 16), 0.3 * np.cos(2 * np.pi * 0.5 * (t - 4)), 0.0)
    world_force = np.column_stack([sway, np.zeros_like(t), a + G])
    acc = body.inv().apply(world_force)
    gyr = mounting.inv().apply(omega)  # body rate about the bar axis, in sensor axes
    block = np.zeros(t.size, dtype=np.intp)
    aided = GyroAidedVertical().estimate(acc, gyr, quiet, block, FS)
    assert aided.vertical_ == pytest.approx(a, abs=0.02)
    assert np.max(np.abs(aided.horizontal_ - np.abs(sway))) < 0.03


def test_horizontal_acceleration_of_a_rolling_sensor_uses_the_gyroscope():
    # The bar rolls 40 degrees within a second while it sways sideways: with
    # the gyroscope the sway is found in a frame that does not roll; without
    # it, gravity's direction is smeared by the roll and leaks into the
    # "horizontal" part.
    t, a, _ = _motion()
    x = np.clip(t - 9.0, 0, 1)
    roll = np.deg2rad(40.0) * x * x * (3 - 2 * x)
    omega = np.column_stack([np.gradient(roll, t), np.zeros_like(t), np.zeros_like(t)])
    mounting = Rotation.from_euler("xyz", [20, -35, 60], degrees=True)
    body = Rotation.from_rotvec(np.column_stack([roll, np.zeros_like(t), np.zeros_like(t)])) * mounting
    sway = np.where((t >= 4) & (t < 16), 0.3 * np.cos(2 * np.pi * 0.5 * (t - 4)), 0.0)
    acc = body.inv().apply(np.column_stack([sway, np.zeros_like(t), a + G]))
    gyr = mounting.inv().apply(omega)
    calibration = AccelerometerCalibration(np.zeros(3), G, 1)
    inner = (t > 5) & (t < 15)
    with_gyro = horizontal_acceleration(acc, gyr, FS, calibration)
    without = horizontal_acceleration(acc, None, FS, calibration)
    assert np.max(np.abs(with_gyro[inner] - np.abs(sway[inner]))) < 0.05
    assert np.max(np.abs(without[inner] - np.abs(sway[inner]))) > 0.1


def test_lowpass_keeps_slow_signals_and_removes_fast_ones():
    t = np.arange(2000) / FS
    slow = np.sin(2 * np.pi * 1.0 * t)
    fast = 0.5 * np.sin(2 * np.pi * 40.0 * t)
    filtered = lowpass_zero_phase(slow + fast, 10.0, FS)
    assert filtered[200:-200] == pytest.approx(slow[200:-200], abs=0.01)


def _hard_stop(peak_decel_mps2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rest, a 0.25 s push up, a 0.1 s stop of ``peak_decel_mps2``, rest (a row pulled into the chest)."""
    t = np.arange(int(6.0 * FS)) / FS
    push = (t >= 2.0) & (t < 2.25)
    stop = (t >= 2.25) & (t < 2.35)
    a = np.zeros_like(t)
    a[push] = np.sin(np.pi * (t[push] - 2.0) / 0.25) * peak_decel_mps2 * 0.1 / 0.25
    a[stop] = -np.sin(np.pi * (t[stop] - 2.25) / 0.1) * peak_decel_mps2
    a[push | stop] -= a[push | stop].mean() * (push | stop).sum() / (push | stop).sum()  # net velocity change zero
    quiet = (t < 1.8) | (t > 2.6)
    return t, a, quiet


@pytest.mark.parametrize("peak_decel_g", [1.5, 2.5, 3.5])
def test_norm_method_keeps_the_sign_of_a_stop_harder_than_free_fall(peak_decel_g):
    # Stopping faster than 1 g turns the specific force upside down; its
    # length alone would read the stop as an upward acceleration.
    t, a, quiet = _hard_stop(peak_decel_g * G)
    assert a.min() < -G  # the case this test is about
    specific_force = np.column_stack([np.zeros_like(a), np.zeros_like(a), a + G])
    for mounting in Rotation.random(3, random_state=7):
        acc = mounting.inv().apply(specific_force)
        vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, FS)
        assert vertical == pytest.approx(a, abs=2e-3)
        assert abs(np.sum(vertical - a) / FS) < 1e-3  # no velocity error left by the stop


@pytest.mark.parametrize("turns", [0.5, 1.0, 2.0])
def test_norm_method_does_not_flip_a_sensor_turning_over(turns):
    # A sleeve spin turns the sensor over in 0.4 s while the bar stays
    # where it is: half-way the specific force points against the pose on
    # either side, but that is a turn, not a downward acceleration.
    t = np.arange(int(6.0 * FS)) / FS
    angle = 2 * np.pi * turns * np.clip((t - 2.0) / 0.4, 0, 1)
    pose = Rotation.from_rotvec(np.column_stack([angle, np.zeros_like(t), np.zeros_like(t)]))
    acc = pose.inv().apply(np.tile([0.0, 0.0, G], (t.size, 1)))
    quiet = (t < 1.8) | (t > 2.6)
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, FS)
    assert np.max(np.abs(vertical)) < 1e-6


def _curl(roll_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rest, a 0.7 s curl up an arc (0.45 m up, 0.17 m out and back) with the bar rolling along, rest."""
    t = np.arange(int(6.0 * FS)) / FS
    u = np.clip((t - 2.0) / 0.7, 0, 1)
    progress = 10 * u**3 - 15 * u**4 + 6 * u**5  # minimum jerk
    z = 0.45 * progress
    y = 0.15 * (4.3 * progress - 4.0 * progress**2)
    acc_z = np.gradient(np.gradient(z, t), t)
    acc_y = np.gradient(np.gradient(y, t), t)
    roll = np.deg2rad(roll_deg) * progress  # the bar turns with the forearms
    body = Rotation.from_rotvec(np.column_stack([roll, np.zeros_like(t), np.zeros_like(t)]))
    mounting = Rotation.from_euler("xyz", [10, -25, 40], degrees=True)
    world_force = np.column_stack([np.zeros_like(t), acc_y, acc_z + G])
    acc = (body * mounting).inv().apply(world_force)
    quiet = (t < 1.9) | (t > 2.8)
    return t, acc, acc_z, quiet


@pytest.mark.parametrize("roll_deg, tolerance_m_s", [(0.0, 0.02), (15.0, 0.02), (45.0, 0.05)])
def test_a_lift_on_an_arc_gains_no_speed(roll_deg, tolerance_m_s):
    t, acc, acc_z, quiet = _curl(roll_deg)
    # The force's length alone: the horizontal acceleration of the arc reads
    # as vertical, and the bar ends the lift moving at some tenths of m/s.
    norm_speed_error = np.cumsum(np.linalg.norm(acc, axis=1) - G - acc_z) / FS
    assert norm_speed_error[-1] > 0.15
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, FS)
    # A roll is followed only approximately (by the progress of the lift).
    assert abs(np.sum(vertical) / FS) < tolerance_m_s
    speed_error = np.cumsum(vertical - acc_z) / FS
    assert np.max(np.abs(speed_error)) < 0.4 * np.max(np.abs(norm_speed_error))


def test_the_braking_of_a_slow_negative_keeps_its_change_of_speed():
    # A negative cruising down at 0.1 m/s brakes to a stop over 2 s while
    # the bar rocks 8 degrees and back.  The burst starts in a cruise, so it
    # really changes speed; the force's length is right, and the projection
    # on a pose interpolated across the rocking reads less of the braking.
    t = np.arange(int(8.0 * FS)) / FS
    u = np.clip((t - 3.0) / 2.0, 0, 1)
    speed = -0.1 * (1 - (10 * u**3 - 15 * u**4 + 6 * u**5))
    acc_z = np.gradient(speed, t)
    rock = np.deg2rad(8.0) * np.sin(np.pi * u) ** 2
    body = Rotation.from_rotvec(np.column_stack([rock, np.zeros_like(t), np.zeros_like(t)]))
    mounting = Rotation.from_euler("xyz", [-30, 15, 70], degrees=True)
    world_force = np.column_stack([np.zeros_like(t), np.zeros_like(t), acc_z + G])
    acc = (body * mounting).inv().apply(world_force)
    quiet = (t < 2.95) | (t > 5.05)
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, FS)
    assert np.sum(vertical) / FS == pytest.approx(0.1, abs=0.005)
    assert vertical == pytest.approx(acc_z, abs=2e-3)


def test_a_fast_descent_braked_into_a_lift_on_a_curved_path_keeps_its_real_change_of_speed():
    # A tempo press: the bar comes down at a steady 0.6 m/s (as quiet as a
    # rest without a gyroscope), is braked at the bottom and pressed straight
    # back up 0.45 m along a path that bows 10 cm forward, to a stop.  The burst
    # from the cruise to the stop really changes speed by +0.6 m/s; the
    # force's length adds the path's a_h^2 / 2g on top, so the projection
    # keeps more than half of the length's change and the change-of-speed
    # ratio alone refused it.
    t = np.arange(int(7.0 * FS)) / FS
    brake = np.clip((t - 2.0) / 0.4, 0, 1)
    lift = np.clip((t - 2.6) / 0.8, 0, 1)

    def smooth(u: np.ndarray) -> np.ndarray:
        return 10 * u**3 - 15 * u**4 + 6 * u**5

    speed = -0.6 * (1 - smooth(brake))
    z = np.cumsum(speed) / FS + 0.45 * smooth(lift)
    y = 0.10 * np.sin(np.pi * smooth(lift))
    acc_z = np.gradient(np.gradient(z, t), t)
    acc_y = np.gradient(np.gradient(y, t), t)
    mounting = Rotation.from_euler("xyz", [20, -10, 35], degrees=True)
    acc = mounting.inv().apply(np.column_stack([np.zeros_like(t), acc_y, acc_z + G]))
    quiet = (t < 1.95) | (t > 3.5)
    burst = ~quiet
    norm_change = np.sum(np.linalg.norm(acc, axis=1)[burst] - G) / FS
    assert 0.6 > 0.5 * norm_change and norm_change - 0.6 > 0.1
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, FS)
    assert np.sum(vertical[burst]) / FS == pytest.approx(0.6, abs=0.02)


@pytest.mark.parametrize("turns, duration_s", [(0.7, 0.6), (1.5, 0.8), (-2.0, 1.2)])
def test_a_sleeve_spin_of_a_biased_sensor_leaves_no_speed(turns, duration_s):
    # The sensor's offsets (tens of mg, unknown to the caller) make its
    # reading of gravity depend on which way it faces.  Spun around the bar,
    # it reads that change for most of the spin; integrated, a step of speed
    # the bar never had (it stays where it is).
    t = np.arange(int(8.0 * FS)) / FS
    angle = 2 * np.pi * turns * np.clip((t - 3.0) / duration_s, 0, 1)
    pose = Rotation.from_rotvec(np.column_stack([angle, np.zeros_like(t), np.zeros_like(t)]))
    mounting = Rotation.from_euler("xyz", [5, 20, -35], degrees=True)
    offsets = np.array([0.25, -0.35, 0.3])
    acc = (pose * mounting).inv().apply(np.tile([0.0, 0.0, G], (t.size, 1))) + offsets
    quiet = (t < 2.9) | (t > 3.1 + duration_s)
    unaware = AccelerometerCalibration(np.zeros(3), G, 1)
    reading = np.linalg.norm(acc, axis=1)
    # What the force's length alone makes of the spin: a step of 0.05 m/s or more.
    assert abs(np.sum(reading[~quiet] - np.median(reading[quiet])) / FS) > 0.05
    vertical = vertical_acceleration(acc, unaware, quiet, FS)
    assert abs(np.sum(vertical) / FS) < 0.005
    assert np.max(np.abs(vertical)) < 0.05


@pytest.mark.parametrize("fs", [25.0, 200.0])
@pytest.mark.parametrize("turns, duration_s", [(0.5, 0.6), (-1.5, 0.6), (0.55, 0.8)])
def test_a_spin_that_ends_facing_the_other_way_leaves_no_speed(fs, turns, duration_s):
    # Half a turn (or one and a half): the force points away from both
    # poses either side only while it passes the perpendicular, a few
    # hundredths of a second, or no sample at all at 25 Hz.  The poses
    # either side, 160-180 degrees apart, tell it from any rep.
    t = np.arange(int(8.0 * fs)) / fs
    u = np.clip((t - 3.0) / duration_s, 0, 1)
    angle = 2 * np.pi * turns * (10 * u**3 - 15 * u**4 + 6 * u**5)
    pose = Rotation.from_rotvec(np.column_stack([angle, np.zeros_like(t), np.zeros_like(t)]))
    mounting = Rotation.from_euler("xyz", [5, 20, -35], degrees=True)
    offsets = np.array([0.25, -0.35, 0.3])
    acc = (pose * mounting).inv().apply(np.tile([0.0, 0.0, G], (t.size, 1))) + offsets
    quiet = (t < 2.9) | (t > 3.1 + duration_s)
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, fs)
    assert abs(np.sum(vertical) / fs) < 0.005
    assert np.max(np.abs(vertical)) < 0.05


def test_a_rep_that_rolls_the_bar_far_is_no_spin():
    # A curl whose bar rolls 60 degrees (the most a grip allows) on the way
    # up, pauses at the top and rolls back on the way down turns the sensor
    # away from both rests for a while, as a spin does; its lift and descent
    # must keep their acceleration.
    t = np.arange(int(8.0 * FS)) / FS
    up = np.clip((t - 2.0) / 0.6, 0, 1)
    down = np.clip((t - 2.8) / 1.0, 0, 1)
    shape = lambda u: 10 * u**3 - 15 * u**4 + 6 * u**5  # noqa: E731 (minimum jerk)
    z = 0.45 * (shape(up) - shape(down))
    acc_z = np.gradient(np.gradient(z, t), t)
    roll = np.deg2rad(60.0) * (shape(up) - shape(down))
    body = Rotation.from_rotvec(np.column_stack([roll, np.zeros_like(t), np.zeros_like(t)]))
    mounting = Rotation.from_euler("xyz", [10, -25, 40], degrees=True)
    acc = (body * mounting).inv().apply(np.column_stack([np.zeros_like(t), np.zeros_like(t), acc_z + G]))
    quiet = (t < 1.9) | (t > 3.9)
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, FS)
    speed = np.cumsum(vertical) / FS
    true_speed = np.cumsum(acc_z) / FS
    assert np.max(np.abs(speed - true_speed)) < 0.1 * np.max(np.abs(true_speed))


def _rolling_cruise(lift_mps2: float = 0.0):
    """A biased sensor held 5 s, rolled 50 degrees and back over 8 s without accelerating, held 7 s.

    ``lift_mps2`` adds a constant upward acceleration during the roll (no
    longer a cruise).
    """
    t = np.arange(int(20.0 * FS)) / FS
    u = np.clip((t - 5.0) / 8.0, 0, 1)
    roll = np.deg2rad(50.0) * np.sin(np.pi * u) ** 2
    omega = np.column_stack([np.gradient(roll, t), np.zeros_like(t), np.zeros_like(t)])
    mounting = Rotation.from_euler("xyz", [15, -30, 50], degrees=True)
    body = Rotation.from_rotvec(np.column_stack([roll, np.zeros_like(t), np.zeros_like(t)])) * mounting
    a = np.where((u > 0) & (u < 1), lift_mps2, 0.0)
    offsets = np.array([0.3, -0.25, 0.2])  # m/s^2, unknown to the analysis
    acc = body.inv().apply(np.column_stack([np.zeros_like(t), np.zeros_like(t), a + G])) + offsets
    gyr = mounting.inv().apply(omega)
    rests = (t < 4.9) | (t > 13.1)  # the roll is too fast for "no rotation"
    return t, a, acc, gyr, rests


def test_gyro_aided_vertical_learns_the_offsets_from_a_rolling_cruise():
    # The rests show the sensor in one pose only, so they leave the offsets
    # free in the directions the roll then visits: taken from the rests
    # alone, the reading of gravity is off by up to |offsets| x |turn| in the
    # cruise.  The cruise itself reads gravity (it does not accelerate), and
    # with the rotation tracked it shows the offsets.
    t, a, acc, gyr, rests = _rolling_cruise()
    block = np.zeros(t.size, dtype=np.intp)
    rests_only = GyroAidedVertical().estimate(acc, gyr, rests, block, FS)
    assert np.max(np.abs(rests_only.vertical_)) > 0.1
    rolling = GyroAidedVertical().estimate(acc, gyr, rests, block, FS, reading_quiet=np.ones(t.size, dtype=bool))
    assert np.max(np.abs(rolling.vertical_ - a)) < 0.02
    assert abs(np.sum(rolling.vertical_ - a) / FS) < 0.02  # less than the phase threshold over the whole roll


def test_gyro_aided_vertical_keeps_the_rests_fit_when_the_rolling_fit_is_not_physical():
    # A "cruise" that really accelerates (0.6 m/s^2 up for 8 s) can only be
    # explained as offsets of 0.3 g, more than a MEMS sensor has: that fit is
    # refused and the rests' own is kept.
    t, a, acc, gyr, rests = _rolling_cruise(lift_mps2=0.6)
    block = np.zeros(t.size, dtype=np.intp)
    rests_only = GyroAidedVertical().estimate(acc, gyr, rests, block, FS)
    # The limit on the offset vector's length alone (the pieces' own limit,
    # 0.05 g from their median, would drop the 0.06 g cruise before the fit).
    guarded = GyroAidedVertical(max_piece_deviation_mps2=np.inf).estimate(
        acc, gyr, rests, block, FS, reading_quiet=np.ones(t.size, dtype=bool)
    )
    np.testing.assert_array_equal(guarded.vertical_, rests_only.vertical_)
    unguarded = GyroAidedVertical(max_reading_offset_mps2=np.inf, max_piece_deviation_mps2=np.inf).estimate(
        acc, gyr, rests, block, FS, reading_quiet=np.ones(t.size, dtype=bool)
    )
    assert not np.array_equal(unguarded.vertical_, rests_only.vertical_)
    # With both limits, the cruise is not fooled either.
    default = GyroAidedVertical().estimate(acc, gyr, rests, block, FS, reading_quiet=np.ones(t.size, dtype=bool))
    assert np.max(np.abs(default.vertical_ - a)) <= np.max(np.abs(rests_only.vertical_ - a)) + 0.01


def test_a_continuous_curl_set_takes_the_pose_at_the_bottom_pause_not_only_at_the_holds():
    # Top hold, a 3 s descent down the arc whose shake keeps it from being
    # quiet, a 0.6 s pause at the bottom, the lift back up the arc, top hold:
    # only the holds are quiet.  The poses either side of that burst are
    # the same (the top), so the bottom pose has to come from the pause,
    # where the force is gravity and does not turn, although it is no rest.
    t = np.arange(int(10.0 * FS)) / FS
    shape = lambda u: 10 * u**3 - 15 * u**4 + 6 * u**5  # noqa: E731 (minimum jerk)
    down = shape(np.clip((t - 2.0) / 3.0, 0, 1))
    up = shape(np.clip((t - 5.6) / 0.7, 0, 1))
    progress = 1.0 - down + up  # 1 at the top, 0 at the bottom
    shake = 0.002 * np.sin(2 * np.pi * 2.0 * t) * ((t > 2.0) & (t < 5.0))
    z = 0.45 * progress + shake
    y = 0.15 * (4.3 * progress - 4.0 * progress**2)
    acc_z = np.gradient(np.gradient(z, t), t)
    acc_y = np.gradient(np.gradient(y, t), t)
    roll = np.deg2rad(15.0) * progress  # the bar turns with the forearms
    body = Rotation.from_rotvec(np.column_stack([roll, np.zeros_like(t), np.zeros_like(t)]))
    mounting = Rotation.from_euler("xyz", [10, -25, 40], degrees=True)
    acc = (body * mounting).inv().apply(np.column_stack([np.zeros_like(t), acc_y, acc_z + G]))
    quiet = (t < 1.9) | (t > 6.4)
    norm_speed_error = np.cumsum(np.linalg.norm(acc, axis=1) - G - acc_z) / FS
    assert norm_speed_error[-1] > 0.15  # what the force's length alone makes of the lift
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, FS)
    speed_error = np.cumsum(vertical - acc_z) / FS
    # 0.01 m/s of it is the norm method's own on the slow descent's arc.
    assert abs(speed_error[-1]) < 0.04
    assert np.max(np.abs(speed_error)) < 0.3 * np.max(np.abs(norm_speed_error))


@pytest.mark.parametrize("pause_pose_deg, settles", [(20.0, True), (1.0, False)])
def test_a_pause_splits_a_burst_only_in_a_pose_the_holds_do_not_give(pause_pose_deg, settles):
    # Hold, 1 s of shaking, a 0.8 s pause, 1 s of shaking, hold: the pause is
    # no rest (too short to be quiet, say).  Turned away from the holds it
    # gives a pose a burst can be projected on; in the holds' pose it gives
    # nothing new and must not cut the burst into pieces.
    t = np.arange(int(6.0 * FS)) / FS
    pause = (t >= 2.6) & (t < 3.4)
    shaking = ((t >= 1.6) & (t < 2.6)) | ((t >= 3.4) & (t < 4.4))
    tilt = np.deg2rad(pause_pose_deg) * np.clip(np.minimum((t - 1.6) / 1.0, (4.4 - t) / 1.0), 0, 1)
    pose = Rotation.from_rotvec(np.column_stack([tilt, np.zeros_like(t), np.zeros_like(t)]))
    shake = np.where(shaking, 1.5 * np.sin(2 * np.pi * 3.0 * t), 0.0)
    acc = pose.inv().apply(np.column_stack([np.zeros_like(t), np.zeros_like(t), G + shake]))
    quiet = (t < 1.5) | (t > 4.5)
    norm = np.linalg.norm(acc, axis=1)
    direction = acc / norm[:, None]
    settled = _settled(acc, norm, direction, quiet, G, FS)
    assert not settled[quiet].any() and not settled[shaking].any()
    assert settled[pause].mean() > 0.8 if settles else not settled.any()


@pytest.mark.parametrize("fs", [200.0, 1000.0])
def test_a_fast_spin_is_not_read_as_a_stop_harder_than_free_fall(fs):
    # 1.4 turns in 0.3 s between two holds.  The force keeps its length (about
    # 1 g) all the way round; as it sweeps past the slowly varying mean force
    # those samples look calm, and the rest of the turn points against them
    # on both sides, as the force of a hard stop does.  A stop's force passes
    # through zero to get there; a spin's does not, so nothing is flipped.
    t = np.arange(int(6.0 * fs)) / fs
    angle = 2 * np.pi * 1.4 * np.clip((t - 3.0) / 0.3, 0, 1)
    pose = Rotation.from_rotvec(np.column_stack([angle, np.zeros_like(t), np.zeros_like(t)]))
    mounting = Rotation.from_euler("xyz", [5, 20, -35], degrees=True)
    acc = (pose * mounting).inv().apply(np.tile([0.0, 0.0, G], (t.size, 1)))
    quiet = (t < 2.9) | (t > 3.4)
    vertical = vertical_acceleration(acc, AccelerometerCalibration(np.zeros(3), G, 1), quiet, fs)
    assert np.max(np.abs(vertical)) < 0.05


def _reading_pieces(poses_deg, readings_extra_mps2, counts, *, offsets=(0.05, 0.12, -0.04), piece: int = 50):
    """``counts`` quiet pieces at each pose (tilt about x, degrees), reading ``r0 + b . u`` plus an extra.

    Returns magnitude, up_sensor and quiet arrays with a one-sample gap
    between pieces (so every piece is its own quiet run), and ``b``.
    """
    b = np.asarray(offsets)
    magnitude, up, quiet = [], [], []
    for pose, extra, count in zip(poses_deg, readings_extra_mps2, counts):
        u = Rotation.from_euler("x", pose, degrees=True).apply([0.0, 0.0, 1.0])
        for _ in range(count):
            magnitude += [np.full(piece, G + u @ b + extra), [0.0]]
            up += [np.tile(u, (piece, 1)), u[None, :]]
            quiet += [np.ones(piece, bool), [False]]
    return np.concatenate(magnitude), np.concatenate(up), np.concatenate(quiet), b


def test_a_steadily_accelerating_piece_at_a_pose_of_its_own_does_not_set_the_offsets():
    # Rests at two poses, and one stretch at a third pose that passed as
    # quiet while accelerating steadily at 0.8 m/s^2 (a 400 Hz row analysed
    # at 100 Hz, development draw 17, case 3).  Fitted with the rests, that
    # piece alone sets an offset vector of its own; left out as a reading
    # 0.8 m/s^2 from the others, the rests' offsets come back.
    magnitude, up, quiet, b = _reading_pieces([0.0, 20.0, 60.0], [0.0, 0.0, -0.8], [4, 4, 1])
    _, swayed = gravity_reading_model(magnitude, up, quiet, piece=50)
    _, kept = gravity_reading_model(magnitude, up, quiet, piece=50, max_piece_deviation_mps2=0.5)
    truth_in_roll_plane = b[1:]  # a tilt about x moves "up" in the y-z plane only
    assert np.linalg.norm(swayed[1:] - truth_in_roll_plane) > 0.3
    assert np.linalg.norm(kept[1:] - truth_in_roll_plane) < 0.1


def test_offsets_that_change_the_reading_by_less_than_the_limit_are_all_used():
    # Three poses of rests whose readings differ only by the offsets (up to
    # 0.2 m/s^2 apart): the limit leaves every piece in, and the fit is the
    # one without it.
    magnitude, up, quiet, b = _reading_pieces([0.0, 45.0, 90.0], [0.0, 0.0, 0.0], [4, 4, 4], offsets=(0.0, 0.2, -0.05))
    spread = np.ptp([magnitude[quiet][i * 200] for i in range(3)])
    assert spread > 0.1
    plain = gravity_reading_model(magnitude, up, quiet, piece=50)
    limited = gravity_reading_model(magnitude, up, quiet, piece=50, max_piece_deviation_mps2=0.5)
    assert limited[0] == plain[0]
    np.testing.assert_array_equal(limited[1], plain[1])


def test_a_row_whose_last_descent_passed_as_quiet_keeps_its_lift_speeds():
    # Development draw 17, case 3: a clean 400 Hz row, analysed at 100 Hz.
    # 0.3 s of its last descent (steady 0.8 m/s^2) passed as
    # accelerometer-quiet at a pose of its own; fitted, it set a
    # 0.8 m/s^2 offset vector, the set was paired
    # descent-first and its lifts read 0.1-0.2 m/s slow.
    from eccentric_sense import columns as C
    from eccentric_sense.analysis import analyze
    from eccentric_sense.simulate import heldout_suite

    simulated = heldout_suite(17, 4)[3].simulate()
    result = analyze(simulated.recording, exercise="row")
    truth = simulated.truth_reps
    assert len(result.reps) == len(truth)
    assert (result.reps[C.CON_START_S] < result.reps[C.ECC_START_S]).all()  # lift first, as in the truth
    speed_error = np.abs(result.reps[C.CON_PEAK_VELOCITY].to_numpy() - truth[C.CON_PEAK_VELOCITY].to_numpy())
    assert speed_error.max() < 0.05


def test_a_pose_the_rests_visit_is_no_stray_however_far_its_reading():
    # Five rests upright and one upside down: the offsets make the two
    # poses read 0.6 m/s^2 apart.  Measured against the pieces' median, the
    # upside-down piece would be a stray and the offsets along the bar's
    # turn would be lost (a 200 Hz curl, development draw 48, case 12, read
    # its first set 2-7 cm long that way); measured against what the rests
    # read at its pose, it is kept.
    magnitude, up, quiet, b = _reading_pieces([0.0, 180.0], [0.0, 0.0], [5, 1], offsets=(0.0, 0.0, 0.3))
    rests_fit = gravity_reading_model(magnitude, up, quiet, piece=50)
    by_median = gravity_reading_model(magnitude, up, quiet, piece=50, max_piece_deviation_mps2=0.5)
    by_rests = gravity_reading_model(
        magnitude, up, quiet, piece=50, max_piece_deviation_mps2=0.5, reference_model=rests_fit
    )
    assert abs(by_median[1][2] - b[2]) > 0.2  # the turn's offset lost
    np.testing.assert_array_equal(by_rests[1], rests_fit[1])
    assert abs(by_rests[1][2] - b[2]) < 0.1


def test_a_curl_set_with_hard_stops_takes_the_pose_at_its_short_bottom_pauses_end_to_end():
    # A development draw (never a held-out seed): curls, negative-emphasized,
    # 100 Hz with host time stamps, no gyroscope.  The lifts are stopped
    # hard; the low-pass the turning is measured on rings for 0.2 s after, so
    # a 0.25 s pause at the bottom never looked settled, the burst ran from
    # one top hold to the next, and the norm method's arc error split one rep
    # in two and read the next lift 0.7 m long.
    reps, truth, _ = development_draw(24, 2, exercise="curl", gyroscope="no")
    assert len(reps) == len(truth)
    assert np.all(np.abs(reps["ecc_start_s"].to_numpy() - truth["ecc_start_s"].to_numpy()) < 0.2)
    assert np.all(np.abs(reps["rom_m"].to_numpy() - truth["rom_m"].to_numpy()) < 0.04)


def test_a_pause_with_a_hands_tremor_still_settles():
    # The pause of the test above, turned 20 degrees, with the bar rocking
    # 1.5 degrees at 10 Hz (a hand's physiological tremor): 94 deg/s of
    # turning before the low-pass, a few deg/s after it.  Still settled (a
    # low-pass at 8 Hz or more lets this tremor through as turning).
    t = np.arange(int(6.0 * FS)) / FS
    pause = (t >= 2.6) & (t < 3.4)
    shaking = ((t >= 1.6) & (t < 2.6)) | ((t >= 3.4) & (t < 4.4))
    tilt = np.deg2rad(20.0) * np.clip(np.minimum((t - 1.6) / 1.0, (4.4 - t) / 1.0), 0, 1)
    tilt = tilt + np.where(pause, np.deg2rad(1.5) * np.sin(2 * np.pi * 10.0 * t), 0.0)
    pose = Rotation.from_rotvec(np.column_stack([tilt, np.zeros_like(t), np.zeros_like(t)]))
    shake = np.where(shaking, 1.5 * np.sin(2 * np.pi * 3.0 * t), 0.0)
    acc = pose.inv().apply(np.column_stack([np.zeros_like(t), np.zeros_like(t), G + shake]))
    quiet = (t < 1.5) | (t > 4.5)
    norm = np.linalg.norm(acc, axis=1)
    settled = _settled(acc, norm, acc / norm[:, None], quiet, G, FS)
    assert settled[pause].mean() > 0.6


def test_a_press_whose_short_bottom_pauses_follow_hard_stops_keeps_every_descent_end_to_end():
    # A development draw (never a held-out seed): presses, negative-emphasized,
    # 200 Hz with host time stamps, no gyroscope.  Measured on the force
    # low-passed at 4 Hz, the ringing after two hard stops hid the pause
    # after them; the burst ran on, one descent was lost and the next read
    # 0.22 s short.
    reps, truth, _ = development_draw(34, 13, exercise="press", gyroscope="no")
    assert len(reps) == len(truth)
    errors = reps["ecc_duration_s"].to_numpy() - truth["ecc_duration_s"].to_numpy()
    assert np.all(np.abs(errors) < 0.15)


def test_a_set_after_a_fast_half_turn_spin_keeps_its_first_negative_end_to_end():
    # A development draw (never a held-out seed): squats, negative-only,
    # 50 Hz, no gyroscope.  The second set's sleeve spin turned the sensor
    # 145 degrees in 0.7 s with its force at 1 g: by the force's length
    # alone most of it was quiet, so the spin had no burst of its own to be
    # recognised by, and the set's first negative was lost.
    reps, truth, _ = development_draw(88, 12, exercise="squat", gyroscope="no", first_phase="eccentric")
    assert len(reps) == len(truth)
    start_errors = reps["ecc_start_s"].to_numpy() - truth["ecc_start_s"].to_numpy()
    assert np.all(np.abs(start_errors) < 0.1)


def test_the_closure_bias_leaves_a_held_spin_held_end_to_end():
    # A development draw (never a held-out seed) recorded by an error-free
    # accelerometer (no gyroscope): negative-only benches at 60 Hz, a full
    # sleeve spin before the set.  The spin is held still (vertical
    # acceleration zero), but the bias vector that position closure asks
    # for was added to every sample through the pose, the spin's too: "up"
    # turned through every pose there, and a step of 0.2 m/s started the
    # first negative 4 s early, in the spin.
    from dataclasses import replace

    from eccentric_sense.analysis import AnalysisSettings, analyze
    from eccentric_sense.simulate import heldout_suite
    from eccentric_sense.simulate.sensor import IDEAL, sensor_preset
    from eccentric_sense.simulate.suites import BenchmarkCase

    case = heldout_suite(46, 13)[12]
    assert (case.condition["exercise"], case.condition["gyroscope"]) == ("bench", "no")
    real = sensor_preset(case.kwargs["sensor"])
    ideal = replace(IDEAL, bandwidth_fraction=real.bandwidth_fraction, max_bandwidth_hz=real.max_bandwidth_hz)
    sim = BenchmarkCase(case.name, case.condition, {**case.kwargs, "sensor": ideal}).simulate()
    result = analyze(sim.recording, exercise="bench", settings=AnalysisSettings(first_phase="eccentric"))
    assert result.diagnostics["closure_bias_g"] != [0.0, 0.0, 0.0]  # the correction this is about was applied
    reps, truth = result.reps, sim.truth_reps
    assert len(reps) == len(truth)
    start_errors = reps["ecc_start_s"].to_numpy() - truth["ecc_start_s"].to_numpy()
    assert np.all(np.abs(start_errors) < 0.3)
