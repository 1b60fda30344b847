"""Quiet detection and accelerometer calibration on synthetic signals."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from eccentric_sense.pipeline.calibration import QuietDetector, fit_accelerometer_calibration

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


def test_single_orientation_keeps_bias_zero_and_reads_gravity():
    acc = np.tile([0.1, 0.0, 9.9], (500, 1))
    calibration = fit_accelerometer_calibration(acc, np.ones(500, dtype=bool), 100.0)
    assert np.allclose(calibration.bias_mps2, 0.0)
    assert calibration.gravity_reading_mps2 == pytest.approx(np.hypot(0.1, 9.9))
    assert calibration.scale == 1.0
