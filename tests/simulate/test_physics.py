"""Physical consistency of the simulator: kinematics, orientation, sensor readings."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid
from scipy.spatial.transform import Rotation

from eccentric_sense.constants import STANDARD_GRAVITY
from eccentric_sense.simulate import IDEAL, SetSpec, simulate_session
from eccentric_sense.simulate._knots import KnotTrack


@pytest.fixture(scope="module")
def bench_pair():
    """One tempo bench session with spins and a sleeve lever arm, ideal and BMI270 sensors."""
    sets = [SetSpec("bench", "tempo", n_reps=3, roll_deg=50.0, spins=1)]
    ideal = simulate_session(sets, sensor=IDEAL, sample_rate_hz=200, seed=3, lead_in_s=4.0)
    real = simulate_session(sets, sensor="bmi270", sample_rate_hz=200, seed=3, lead_in_s=4.0)
    return ideal, real


def test_knot_track_integrates_exactly():
    track = KnotTrack(np.array([0.0, 0.3, 0.5, 1.2, 2.0]), np.array([0.0, -2.0, -2.0, 3.0, 0.0]), x0=0.1, v0=0.2)
    t = np.linspace(-0.5, 2.5, 30001)
    x, v, a = track.evaluate(t)
    np.testing.assert_allclose(cumulative_trapezoid(a, t, initial=0) + v[0], v, atol=1e-7)
    np.testing.assert_allclose(cumulative_trapezoid(v, t, initial=0) + x[0], x, atol=1e-7)
    # Acceleration is continuous at the knots (no steps).
    assert np.max(np.abs(np.diff(a))) < 0.01  # largest jerk 13.4 m/s^3 times dt = 0.0013


def test_true_acceleration_integrates_to_true_velocity_and_position(bench_pair):
    truth = bench_pair[0].truth
    t = truth.true_time_s
    v_int = truth.v_m_s[0] + cumulative_trapezoid(truth.a_m_s2, t, initial=0)
    z_int = truth.z_m[0] + cumulative_trapezoid(truth.v_m_s, t, initial=0)
    assert np.max(np.abs(v_int - truth.v_m_s)) < 1e-3
    assert np.max(np.abs(z_int - truth.z_m)) < 1e-3
    # And the session really moves: reps of tens of centimetres at tens of cm/s.
    assert np.ptp(truth.z_m) > 0.25
    assert np.max(np.abs(truth.v_m_s)) > 0.3


def test_ideal_specific_force_is_rotated_acceleration_plus_gravity(bench_pair):
    truth = bench_pair[0].truth
    rotation = Rotation.from_quat(truth.rotation_quat)
    world = rotation.apply(truth.specific_force_mps2)
    # No lever arm in this session: the sensor point is the bar axis.
    np.testing.assert_allclose(world[:, 2] - STANDARD_GRAVITY, truth.a_m_s2, atol=1e-9)
    np.testing.assert_allclose(np.hypot(world[:, 0], world[:, 1]), truth.horizontal_m_s2, atol=1e-9)


def test_gyro_integrates_to_the_orientation(bench_pair):
    truth = bench_pair[0].truth
    dt = 1.0 / truth.rate_hz
    # Integrate the body rate over a stretch that contains the sleeve spin and reps.
    events = [e for e in bench_pair[0].spec["realised"]["events"] if e["kind"] == "sleeve_spin"]
    assert events, "the session should contain a sleeve spin"
    start = int(np.searchsorted(truth.true_time_s, events[0]["t"] - 0.5))
    stop = min(start + 15000, truth.true_time_s.size - 1)
    q = Rotation.from_quat(truth.rotation_quat[start])
    for k in range(start, stop):  # sequential by nature (a product of rotations)
        mid_rate = 0.5 * (truth.gyro_rads[k] + truth.gyro_rads[k + 1])
        q = q * Rotation.from_rotvec(mid_rate * dt)
    error = q.inv() * Rotation.from_quat(truth.rotation_quat[stop])
    assert np.rad2deg(error.magnitude()) < 0.2
    # It did rotate fast in that stretch (a sleeve spin).
    assert np.max(np.abs(truth.gyro_rads[start:stop])) > np.pi


def test_still_sensor_reads_gravity_times_its_scale(bench_pair):
    real = bench_pair[1]
    rec = real.recording
    still = rec.time_s < 3.0  # the lead-in: the bar rests in the rack
    acc_g = rec.acc_g[still]
    errors = real.spec["realised"]["sensor_errors"]["acc"]
    matrix = (np.eye(3) + np.array(errors["cross_axis"])) @ np.diag(1 + np.array(errors["scale"]))
    true_g = real.truth.specific_force_mps2[0] / STANDARD_GRAVITY
    expected = matrix @ true_g + np.array(errors["bias"])
    mean = acc_g.mean(axis=0)
    # White noise ~1.3 mg per sample at 200 Hz (160 ug/rtHz), ~0.5 mg drift, 0.5 mg LSB.
    np.testing.assert_allclose(mean, expected, atol=2.5e-3)
    norm = np.linalg.norm(mean)
    assert abs(norm - np.linalg.norm(expected)) < 2.5e-3
    # Not the ideal 1 g: the model has per-axis scale and bias errors.
    assert abs(norm - 1.0) > 1e-4
    noise = acc_g - mean
    assert 0.5e-3 < noise.std() < 3e-3


# MPU-6050: sensitivity +-3 % and offsets of tens of mg; ICM-42688: a better part.
@pytest.mark.parametrize("sensor, low, high", [("mpu6050", 0.92, 1.09), ("icm42688", 0.95, 1.05)])
def test_still_norm_spread_matches_datasheet_tolerances(sensor, low, high):
    norms = []
    for seed in range(6):
        sim = simulate_session(
            [SetSpec("bench", "normal", n_reps=1, setup=False)], sensor=sensor, sample_rate_hz=50, seed=seed, lead_in_s=2.0
        )
        norms.append(np.linalg.norm(sim.recording.acc_g[sim.recording.time_s < 1.5].mean(axis=0)))
    norms = np.array(norms)
    assert np.all((norms > low) & (norms < high))
    assert np.ptp(norms) > 1e-3  # every recording draws its own errors


def test_quantisation_and_clipping():
    sim = simulate_session(
        [SetSpec("deadlift", "normal", n_reps=2, spins=1)],
        sensor=IDEAL.__class__(**{**IDEAL.to_dict(), "name": "tiny", "bits": 16, "acc_range_g": 2.0, "gyr_range_dps": 250.0}),
        sample_rate_hz=200,
        lever_arm_m=0.05,
        seed=5,
    )
    acc = sim.recording.acc_g
    lsb = 4.0 / 2**16
    np.testing.assert_allclose(acc / lsb, np.round(acc / lsb), atol=1e-6)
    assert acc.max() <= 2.0 - lsb + 1e-12 and acc.min() >= -2.0
    gyr = sim.recording.gyr_dps
    assert np.isclose(np.abs(gyr).max(), 250.0, atol=250.0 / 2**15 * 1.01)  # the spin saturates the gyro


def test_lever_arm_adds_centripetal_acceleration_during_spins():
    spec = [SetSpec("bench", "normal", n_reps=1, spins=2)]
    plain = simulate_session(spec, sensor=IDEAL, sample_rate_hz=100, seed=8)
    lever = simulate_session(spec, sensor=IDEAL, sample_rate_hz=100, seed=8, lever_arm_m=0.04)
    # The bar's own motion (the truth) is the same; the sensor's reading is not.
    np.testing.assert_allclose(plain.truth.z_m, lever.truth.z_m)
    omega = np.linalg.norm(plain.truth.gyro_rads, axis=1)
    spinning = omega > 5.0
    assert spinning.any()
    diff = np.linalg.norm(lever.truth.specific_force_mps2 - plain.truth.specific_force_mps2, axis=1)
    # At least the centripetal part omega^2 r.
    assert np.all(diff[spinning] >= 0.9 * omega[spinning] ** 2 * 0.04)
