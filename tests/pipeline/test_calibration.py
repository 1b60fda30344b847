"""Quiet detection and accelerometer calibration on synthetic signals."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation, Slerp

from eccentric_sense.analysis import compute_kinematics
from eccentric_sense.pipeline.calibration import (
    QuietDetector,
    fit_accelerometer_calibration,
    fit_axis_sensitivity,
    quiet_piece_means,
    quiet_piece_steadiness,
)
from eccentric_sense.recording import Recording

G = 9.80665


def test_quiet_detector_finds_rests_and_tolerates_tremor():
    fs = 100.0
    t = np.arange(int(20 * fs)) / fs
    acc = np.tile([0.0, 0.0, G], (t.size, 1))
    acc += np.random.default_rng(0).normal(0, 0.02, acc.shape)
    moving = (t > 5) & (t < 8)
    acc[moving, 2] += 3.0 * np.sin(2 * np.pi * 0.7 * (t[moving] - 5))
    acc[t > 12, 2] += 0.3 * np.sin(2 * np.pi * 9.0 * t[t > 12])  # 9 Hz hand tremor in a hold
    quiet = QuietDetector().detect(acc, None, fs).quiet_
    assert quiet[(t > 1) & (t < 4.5)].all()
    assert not quiet[(t > 5.5) & (t < 7.5)].any()
    assert quiet[(t > 13) & (t < 19)].mean() > 0.95



def test_a_slow_roll_is_quiet_for_the_accelerometer_but_not_with_the_gyroscope():
    # A bar rolling 10 degrees per second does not accelerate: the
    # accelerometer alone calls it quiet, the gyroscope does not.
    fs = 100.0
    t = np.arange(int(20 * fs)) / fs
    rolling = (t > 6) & (t < 12)
    rate = np.where(rolling, np.deg2rad(10.0), 0.0)
    angle = np.cumsum(rate) / fs
    acc = Rotation.from_rotvec(np.column_stack([angle, 0 * t, 0 * t])).inv().apply([0.0, 0.0, G])
    rng = np.random.default_rng(1)
    acc += rng.normal(0, 0.02, acc.shape)
    gyr = np.column_stack([rate, 0 * t, 0 * t]) + rng.normal(0, 0.002, (t.size, 3))
    detector = QuietDetector().detect(acc, gyr, fs)
    inside = (t > 6.5) & (t < 11.5)
    assert detector.acc_quiet_[inside].all()
    assert not detector.quiet_[inside].any()
    assert detector.quiet_[(t > 1) & (t < 5.5)].all()

@pytest.mark.parametrize("fs", [25.0, 100.0])
def test_without_a_gyroscope_a_sleeve_spin_is_no_rest_but_a_slow_roll_is_quiet(fs):
    # A held bar spun one and a half turns in 0.8 s reads 1 g all the way
    # round: by the force's length alone it is quiet.  Its direction turns
    # at hundreds of degrees per second; a negative's roll (10 deg/s here)
    # turns it slowly and stays quiet.
    t = np.arange(int(20 * fs)) / fs
    u = np.clip((t - 6.0) / 0.8, 0, 1)
    spin = 3 * np.pi * (10 * u**3 - 15 * u**4 + 6 * u**5)
    roll = np.deg2rad(10.0) * np.clip(t - 11.0, 0, 5.0)
    acc = Rotation.from_rotvec(np.column_stack([spin + roll, 0 * t, 0 * t])).inv().apply([0.0, 0.0, G])
    acc += np.random.default_rng(4).normal(0, 0.02, acc.shape)
    detector = QuietDetector().detect(acc, None, fs)
    assert detector.acc_quiet_[(t > 6.2) & (t < 6.6)].mean() > 0.5  # what the length alone says
    assert not detector.quiet_[(t > 6.1) & (t < 6.7)].any()
    assert detector.quiet_[(t > 1) & (t < 5.5)].all()
    assert detector.quiet_[(t > 11.5) & (t < 15.5)].all()


def test_rests_stay_quiet_when_a_steady_roll_fills_most_of_the_recording():
    # Long negatives on a rolling bar: the gyroscope reads a steady 4 deg/s
    # for 70 % of the time, so its median rate is the roll, not its bias
    # (0.5 deg/s here).  Measured against the median only, the rests
    # between the negatives read as turning and were never quiet.
    fs = 100.0
    t = np.arange(int(40 * fs)) / fs
    rolling = ((t > 4) & (t < 18)) | ((t > 22) & (t < 36))
    bias = np.deg2rad([0.5, -0.3, 0.2])
    rate = np.where(rolling, np.deg2rad(4.0), 0.0)
    angle = np.cumsum(rate) / fs
    acc = Rotation.from_rotvec(np.column_stack([angle, 0 * t, 0 * t])).inv().apply([0.0, 0.0, G])
    rng = np.random.default_rng(2)
    acc += rng.normal(0, 0.02, acc.shape)
    gyr = np.column_stack([rate, 0 * t, 0 * t]) + bias + rng.normal(0, 0.002, (t.size, 3))
    detector = QuietDetector().detect(acc, gyr, fs)
    for lo, hi in ((0.5, 3.5), (18.5, 21.5), (36.5, 39.5)):
        assert detector.quiet_[(t > lo) & (t < hi)].all()


def test_sphere_fit_recovers_bias_from_rests_in_many_orientations():
    bias = np.array([0.3, -0.2, 0.25])
    rng = np.random.default_rng(2)
    pieces = []
    for rotation in Rotation.random(12, random_state=3):  # per rest pose
        pieces.append(np.tile(rotation.apply([0, 0, G]) + bias, (100, 1)) + rng.normal(0, 0.01, (100, 3)))
    acc = np.vstack(pieces)
    calibration = fit_accelerometer_calibration(acc, np.ones(len(acc), dtype=bool), 100.0, regularization=1e-3)
    assert calibration.bias_mps2 == pytest.approx(bias, abs=0.02)
    assert calibration.gravity_reading_mps2 == pytest.approx(G, abs=0.02)


def test_sleeve_spin_in_a_quiet_stretch_does_not_pull_the_sphere_fit():
    # Without a gyroscope a sleeve spin is quiet: the reading's length hardly
    # changes.  Its 1 s pieces average gravity over a turn, so their means
    # are far shorter than 1 g; in the sphere fit they dragged the bias to
    # 4 m/s^2 and the reading of 1 g to 6 m/s^2.
    fs = 100.0
    bias = np.array([0.15, -0.1, 0.05])
    rng = np.random.default_rng(11)
    parts = [np.tile(Rotation.from_rotvec([np.deg2rad(roll), 0, 0]).inv().apply([0, 0, G]), (300, 1))
             for roll in (-40, -20, 0, 20, 40, 0)]  # rests as the bar rolls
    turn = np.arange(int(2.5 * fs)) / fs * 2 * np.pi  # one turn a second about the bar
    parts.append(Rotation.from_rotvec(np.column_stack([turn, 0 * turn, 0 * turn])).inv().apply([0, 0, G]))
    acc = np.vstack(parts) + bias + rng.normal(0, 0.02, (sum(len(p) for p in parts), 3))
    quiet = np.ones(len(acc), dtype=bool)
    steadiness = quiet_piece_steadiness(acc, quiet, fs)
    assert steadiness.size == quiet_piece_means(acc, quiet, fs)[0].shape[0]
    assert (steadiness[:18] > 0.999).all() and (steadiness[18:] < 0.7).all()  # a turn, a turn, half a turn
    calibration = fit_accelerometer_calibration(acc, quiet, fs)
    # Every rest pose, and the spin itself, reads 1 g once corrected.
    corrected = np.linalg.norm(acc - calibration.bias_mps2, axis=1) - calibration.gravity_reading_mps2
    half_second_means = corrected.reshape(-1, 50).mean(axis=1)
    rests = 6 * 300 // 50
    assert np.abs(half_second_means[:rests]).max() < 0.03
    # The spin turns the bias through every direction across the bar: what
    # rests within 40 degrees of roll could not pin down of it stays.
    assert np.abs(half_second_means[rests:]).max() < 0.1


def test_single_orientation_keeps_bias_zero_and_reads_gravity():
    acc = np.tile([0.1, 0.0, 9.9], (500, 1))
    calibration = fit_accelerometer_calibration(acc, np.ones(500, dtype=bool), 100.0)
    assert np.allclose(calibration.bias_mps2, 0.0)
    assert calibration.gravity_reading_mps2 == pytest.approx(np.hypot(0.1, 9.9))
    assert calibration.scale == 1.0


def _sensitivity_error(specific_force: np.ndarray) -> np.ndarray:
    """An accelerometer whose axes read 2 % high, 1 % low and 1.5 % low, with offsets."""
    return specific_force * np.array([1.02, 0.99, 0.985]) + np.array([0.2, -0.3, 0.1])


def test_ellipsoid_fit_recovers_unequal_axis_sensitivities():
    rng = np.random.default_rng(5)
    poses = Rotation.random(16, random_state=6)
    acc = np.vstack([_sensitivity_error(np.tile(pose.apply([0, 0, G]), (100, 1))) for pose in poses])
    acc += rng.normal(0, 0.01, acc.shape)
    bias, gains = fit_axis_sensitivity(acc, np.ones(len(acc), dtype=bool), 100.0)
    expected = 1.0 / np.array([1.02, 0.99, 0.985])
    assert gains == pytest.approx(expected / expected.mean(), abs=0.002)
    assert bias == pytest.approx([0.2, -0.3, 0.1], abs=0.03)
    # The corrected readings of every pose have one length, whatever the orientation.
    pose_means = (acc - bias).reshape(16, 100, 3).mean(axis=1)
    assert np.ptp(np.linalg.norm(pose_means * gains, axis=1)) < 0.1 * np.ptp(np.linalg.norm(pose_means, axis=1))


def test_piece_means_of_corrected_readings_are_the_corrected_piece_means():
    # The analysis sums the quiet pieces once and corrects their means with
    # the axis gains instead of summing the corrected recording again.
    rng = np.random.default_rng(8)
    poses = Rotation.random(12, random_state=9)
    acc = np.vstack([_sensitivity_error(np.tile(pose.apply([0, 0, G]), (150, 1))) for pose in poses])
    acc += rng.normal(0, 0.01, acc.shape)
    quiet = np.ones(len(acc), dtype=bool)
    quiet[::97] = False  # runs of uneven length
    means, lengths = quiet_piece_means(acc, quiet, 100.0)
    bias, gains = fit_axis_sensitivity(acc, quiet, 100.0, piece_means=(means, lengths))
    assert np.array_equal(gains, fit_axis_sensitivity(acc, quiet, 100.0)[1])
    corrected = bias + (acc - bias) * gains
    again, again_lengths = quiet_piece_means(corrected, quiet, 100.0)
    np.testing.assert_array_equal(again_lengths, lengths)
    np.testing.assert_allclose(bias + (means - bias) * gains, again, atol=1e-9)
    shared = fit_accelerometer_calibration(corrected, quiet, 100.0, piece_means=(bias + (means - bias) * gains, lengths))
    fresh = fit_accelerometer_calibration(corrected, quiet, 100.0)
    assert shared.bias_mps2 == pytest.approx(fresh.bias_mps2, abs=1e-9)
    assert shared.gravity_reading_mps2 == pytest.approx(fresh.gravity_reading_mps2, abs=1e-9)


def test_sensitivity_fit_is_not_pulled_by_a_long_rest_or_by_slow_motion():
    """Ten minutes of rest in one pose (a long break between sets) and
    thirty quiet pieces that still hold an acceleration (the slow start of a
    descent, a hand settling), each in its own orientation, must not pass
    for sensitivities."""
    rng = np.random.default_rng(7)
    blocks = []
    for k, pose in enumerate(Rotation.random(16, random_state=9)):
        seconds = 600 if k == 0 else 2
        reading = np.tile(_sensitivity_error(pose.apply([0, 0, G])), (seconds * 100, 1))
        blocks.append(reading + rng.normal(0, 0.01, reading.shape))
    for pose in Rotation.random(30, random_state=11):
        moving = _sensitivity_error(pose.apply([0, 0, G]) * (1.0 + rng.uniform(0.02, 0.08)))
        blocks.append(np.tile(moving, (100, 1)) + rng.normal(0, 0.01, (100, 3)))
    acc = np.vstack(blocks)
    _, gains = fit_axis_sensitivity(acc, np.ones(len(acc), dtype=bool), 100.0)
    expected = 1.0 / np.array([1.02, 0.99, 0.985])
    assert gains == pytest.approx(expected / expected.mean(), abs=0.005)


def test_implausible_sensitivities_are_not_applied():
    """Readings that only an axis 20 % off could explain are not a sensor's
    calibration error (a wrong quiet detection, a mislabelled unit)."""
    poses = Rotation.random(16, random_state=10)
    acc = np.vstack([np.tile(pose.apply([0, 0, G]) * [1.2, 1.0, 1.0], (100, 1)) for pose in poses])
    _, gains = fit_axis_sensitivity(acc, np.ones(len(acc), dtype=bool), 100.0)
    assert np.array_equal(gains, np.ones(3))


def test_one_orientation_fits_no_sensitivities():
    acc = np.tile(_sensitivity_error(np.array([0.0, 0.0, G])), (800, 1))
    bias, gains = fit_axis_sensitivity(acc, np.ones(800, dtype=bool), 100.0)
    assert np.array_equal(gains, np.ones(3)) and np.array_equal(bias, np.zeros(3))


def test_a_bar_rolled_slowly_in_place_does_not_seem_to_move():
    """Rests in eight orientations, then 12 s of a slow 60 degree roll without
    any translation.  With unequal axis sensitivities, the reading of gravity
    changes along the roll non-linearly, and a pipeline that models it as an
    offset reads a velocity of several cm/s: a phase that never happened."""
    fs = 100.0
    keys = Rotation.random(8, random_state=8)
    roll = Rotation.from_rotvec(np.deg2rad(60.0) * np.array([1.0, 0.0, 0.0]))
    keys = Rotation.concatenate([keys, keys[-1:] * roll, keys[:1]])
    # 3 s rests joined by 1 s turns; the turn from key 8 to key 9 (the roll) takes 12 s.
    segments, still_s = [], 3.0
    for k in range(len(keys) - 1):
        turn_s = 12.0 if k == 7 else 1.0
        steps = np.linspace(0.0, 1.0, int(turn_s * fs), endpoint=False)
        pair = Rotation.concatenate([keys[k], keys[k + 1]])
        segments.append(Rotation.concatenate([keys[k]] * int(still_s * fs)))
        segments.append(Slerp([0.0, 1.0], pair)(steps))
    segments.append(Rotation.concatenate([keys[-1]] * int(still_s * fs)))
    orientation = Rotation.concatenate(segments)
    t = np.arange(len(orientation)) / fs
    specific_force = orientation.inv().apply([0.0, 0.0, G])  # sensor frame, at rest
    rates = (orientation[:-1].inv() * orientation[1:]).as_rotvec() * fs
    gyr = np.vstack([rates, rates[-1:]])
    recording = Recording(time_s=t, acc_mps2=_sensitivity_error(specific_force), gyr_rads=gyr)
    kinematics, _ = compute_kinematics(recording)
    roll_start = 8 * still_s + 7 * 1.0
    rolling = (t > roll_start) & (t < roll_start + 12.0)
    assert np.nanmax(np.abs(kinematics.velocity_m_s[rolling])) < 0.01


@pytest.mark.parametrize("half_angle_deg, scale_known", [(20.0, False), (60.0, False), (150.0, True)])
def test_sensitivity_is_known_only_from_rests_over_a_wide_angle(half_angle_deg, scale_known):
    # A true reading of exactly 1 g with a 40 mg offset along the mean pose.
    # Rests within 20 degrees of their mean pose cannot tell that offset from
    # a 4 % sensitivity error, and within 60 degrees the fit still takes 2 %
    # of it for one: the scale stays 1 (before, it read 1.04 and 1.02, and
    # every acceleration came out that much too small).  Rests up to 150
    # degrees apart can, and their scale is the true one.
    bias = np.array([0.0, 0.0, 0.04 * G])
    rng = np.random.default_rng(7)
    tilts = np.deg2rad(np.linspace(-half_angle_deg, half_angle_deg, 9))
    pieces = [np.tile(Rotation.from_rotvec([tilt, 0.3 * tilt, 0.0]).apply([0, 0, G]) + bias, (100, 1))
              + rng.normal(0, 0.01, (100, 3)) for tilt in tilts]  # per rest pose
    acc = np.vstack(pieces)
    calibration = fit_accelerometer_calibration(acc, np.ones(len(acc), dtype=bool), 100.0)
    if scale_known:
        assert calibration.scale == pytest.approx(1.0, abs=0.005)
    else:
        assert calibration.scale == 1.0


def test_rests_stay_quiet_when_brief_lulls_of_a_roll_look_like_gravity_holding_still():
    # Negatives that turn the bar about an axis 5 degrees off vertical, at
    # 12 deg/s give or take 30 %: gravity's direction in the sensor turns at
    # 0.7-1.3 deg/s, under the 1 deg/s of "holding still" for 0.6 s at a
    # time, while the gyroscope reads 8-12 deg/s there.  Those lulls
    # outnumber the rests, so as a reference for the gyroscope's bias they
    # made the rests (at the bias) read as turning.  A rest holds still for
    # a second at least.
    fs = 100.0
    t = np.arange(int(40 * fs)) / fs
    rolling = ((t > 2) & (t < 19)) | ((t > 21) & (t < 38))
    axis = np.array([0.0, np.sin(np.deg2rad(4.8)), np.cos(np.deg2rad(4.8))])
    rate = np.where(rolling, np.deg2rad(12.0) * (1 + 0.3 * np.sin(2 * np.pi * 0.8 * t)), 0.0)
    angle = np.cumsum(rate) / fs
    mounting = Rotation.from_euler("xyz", [70, 0, 0], degrees=True)  # gravity off the turn axis in the sensor
    pose = Rotation.from_rotvec(angle[:, None] * axis) * mounting
    acc = pose.inv().apply([0.0, 0.0, G])
    rng = np.random.default_rng(3)
    acc += rng.normal(0, 0.02, acc.shape)
    bias = np.deg2rad([0.5, -0.3, 0.2])
    gyr = mounting.inv().apply(rate[:, None] * axis) + bias + rng.normal(0, 0.002, (t.size, 3))
    detector = QuietDetector().detect(acc, gyr, fs)
    for lo, hi in ((0.3, 1.7), (19.3, 20.7), (38.3, 39.7)):
        assert detector.quiet_[(t > lo) & (t < hi)].all()
