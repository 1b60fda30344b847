"""Rep rules on hand-built arrays: both sides of every threshold."""

from __future__ import annotations

import numpy as np
import pytest

from eccentric_sense.constants import STANDARD_GRAVITY
from eccentric_sense.scoring import rep_rules as R

G = STANDARD_GRAVITY
RATE = 100.0


def test_ecc_too_fast_absolute_target():
    check = R.check_ecc_too_fast(
        np.array([2.9, 3.0, 3.1, np.nan]), np.ones(4), np.ones(4), min_s=3.0
    )
    assert check.broken.tolist() == [True, False, False, False]
    assert check.checked.tolist() == [True, True, True, False]
    assert check.excess[0] == pytest.approx(0.1 / 3.0)


def test_ecc_too_fast_ratio_uses_own_concentric_or_set_median():
    ecc = np.array([3.9, 4.1, 3.0, 3.0])
    con = np.array([2.0, 2.0, np.nan, np.nan])
    sets = np.array([1, 1, 1, 2])
    check = R.check_ecc_too_fast(ecc, con, sets, min_ratio=2.0)
    # rep 3 has no lift: set 1's median lift (2.0 s) gives a 4.0 s target;
    # set 2 has no lift at all: not checkable.
    assert check.broken.tolist() == [True, False, True, False]
    assert check.threshold[:3].tolist() == [4.0, 4.0, 4.0]
    assert not check.checked[3]


def test_ecc_too_fast_judged_mask_limits_the_rule():
    check = R.check_ecc_too_fast(
        np.array([1.0, 5.0]), np.ones(2), np.ones(2), min_s=6.0, judged=np.array([False, True])
    )
    assert check.broken.tolist() == [False, True]


def test_ecc_too_fast_needs_exactly_one_target():
    with pytest.raises(ValueError):
        R.check_ecc_too_fast(np.ones(1), np.ones(1), np.ones(1), min_s=3.0, min_ratio=2.0)


def _drop(n_samples: int, level_g: float, *, at: int = 150, size: int = 400) -> np.ndarray:
    acc = np.zeros(size)
    acc[at:at + n_samples] = -level_g * G
    return acc


# Durations are measured between threshold crossings interpolated linearly
# between samples: k samples exactly at the threshold span (k - 1) intervals.
@pytest.mark.parametrize(
    ("n_samples", "level_g", "expected"),
    [
        (11, 0.5, True),    # exactly 0.5 g for exactly 100 ms (10 intervals)
        (25, 0.8, True),
        (10, 0.5, False),   # 90 ms
        (11, 0.49, False),  # not quite 0.5 g
    ],
)
def test_uncontrolled_descent_threshold(n_samples, level_g, expected):
    check = R.check_uncontrolled_descent(
        _drop(n_samples, level_g), RATE, np.array([100]), np.array([300]),
        acc_g=0.5, min_duration_s=0.1,
    )
    assert check.broken.tolist() == [expected]


def test_uncontrolled_descent_only_counts_samples_inside_the_phase():
    acc = _drop(20, 1.0, at=290)  # samples 290..309 at 1 g; the phase is [100, 295)
    check = R.check_uncontrolled_descent(acc, RATE, np.array([100]), np.array([295]), acc_g=0.5, min_duration_s=0.1)
    # The 0.5 g crossing lies half-way between samples 289 (0 g) and 290 (1 g);
    # the phase's last sample is 294: 4.5 intervals inside the phase.
    assert check.value[0] == pytest.approx(4.5 / RATE)
    assert not check.broken[0]


def test_uncontrolled_descent_upward_acceleration_is_not_a_drop():
    acc = -_drop(30, 1.0)
    check = R.check_uncontrolled_descent(acc, RATE, np.array([100]), np.array([300]), acc_g=0.5, min_duration_s=0.1)
    assert not check.broken[0]


def test_hard_bottom_threshold():
    check = R.check_hard_bottom(np.array([2.9, 3.0, 3.1, np.nan]), max_decel_m_s2=3.0)
    assert check.broken.tolist() == [False, False, True, False]
    assert check.checked.tolist() == [True, True, True, False]


def _phase_velocity(first_half_speed: float, end_speed: float, *, peak_at: float = 1.0, n: int = 200) -> np.ndarray:
    """Downward speed: constant in the first half, then a linear ramp to ``end_speed``
    reached at ``peak_at`` (fraction of the phase) and held flat-falling after it."""
    speed = np.full(n, first_half_speed)
    half = n // 2
    peak = int(round(peak_at * n)) - 1
    speed[half:peak + 1] = np.linspace(first_half_speed, end_speed, peak + 1 - half)
    speed[peak + 1:] = np.linspace(end_speed * 0.9, first_half_speed, n - peak - 1) if peak + 1 < n else []
    return -speed


@pytest.mark.parametrize(
    ("end_speed", "peak_at", "expected"),
    [
        (0.48, 1.0, True),    # peak in the last sample, 1.6x the first half
        (0.42, 1.0, False),   # peak late but only 1.4x
        (0.60, 0.70, False),  # 2x but the peak is at 70 % of the phase
        (0.60, 0.80, True),   # 2x, peak at 80 %
    ],
)
def test_late_braking_threshold(end_speed, peak_at, expected):
    velocity = np.concatenate([np.zeros(50), _phase_velocity(0.3, end_speed, peak_at=peak_at), np.zeros(50)])
    check = R.check_late_braking(velocity, np.array([50]), np.array([250]), last_fraction=0.25, speed_ratio=1.5)
    assert check.value[0] == pytest.approx(end_speed / 0.3, rel=1e-6)
    assert check.broken.tolist() == [expected]


def test_late_braking_needs_a_moving_first_half():
    velocity = np.concatenate([np.zeros(50), -np.r_[np.full(100, 0.01), np.linspace(0.01, 0.3, 100)], np.zeros(50)])
    check = R.check_late_braking(velocity, np.array([50]), np.array([250]), last_fraction=0.25, speed_ratio=1.5)
    assert not check.checked[0] and not check.broken[0]


def test_late_braking_is_not_checked_on_empty_phases():
    check = R.check_late_braking(np.zeros(100), np.array([10]), np.array([10]), last_fraction=0.25, speed_ratio=1.5)
    assert not check.checked[0] and not check.broken[0]


def _handoff_signals(hold_s: float, wobble_m_s2: float, seed: int = 0):
    """Rest (still), a lift (the hand-off), a hold of ``hold_s``, then a descent."""
    rng = np.random.default_rng(seed)
    rest, lift, descent = 300, 100, 300
    hold = int(round(hold_s * RATE))
    n = rest + lift + hold + descent
    velocity = np.zeros(n)
    velocity[rest:rest + lift] = 0.3
    velocity[rest + lift + hold:] = -0.05
    noise = rng.normal(0.0, 0.005, n)
    acc = noise.copy()
    acc[rest:rest + 30] += 1.0  # the hand-off lift speeds up ...
    acc[rest + lift - 30:rest + lift] -= 1.0  # ... and stops: the hold starts here
    hold_slice = slice(rest + lift, rest + lift + hold)
    t = np.arange(hold) / RATE
    acc[hold_slice] += wobble_m_s2 * np.sin(2 * np.pi * 3.0 * t)
    still = np.zeros(n, bool)
    still[:rest] = True
    start = rest + lift + hold
    return velocity, acc, still, start


@pytest.mark.parametrize(
    ("hold_s", "wobble", "expected"),
    [
        (1.0, 0.0, False),   # steady 1 s hold
        (1.0, 0.3, True),    # visible wobble during the hold
        (1.0, 0.8, True),    # wobble so strong that the hold never starts
        (1.0, 0.1, False),   # wobble (spread 0.07) under the 0.12 m/s^2 floor
        (0.3, 0.0, True),    # hold too short
        (0.6, 0.0, False),   # just long enough
    ],
)
def test_unsteady_handoff(hold_s, wobble, expected):
    velocity, acc, still, start = _handoff_signals(hold_s, wobble)
    time_s = np.arange(velocity.size) / RATE
    check = R.check_unsteady_handoff(
        time_s, acc, np.full(velocity.size, np.nan), still, np.array([start]),
        min_hold_s=0.5, noise_multiple=4.0, min_motion_m_s2=0.12, onset_guard_s=0.1, movement_m_s2=0.5,
    )
    assert check.checked[0]
    assert check.broken.tolist() == [expected]


def test_unsteady_handoff_threshold_follows_the_sensor_noise():
    velocity, acc, still, start = _handoff_signals(1.0, 0.0)
    noisy = acc * 14.0  # noise spread 0.07 -> limit 4 x 0.07 = 0.28 m/s^2
    t = np.arange(velocity.size) / RATE
    hold = slice(start - 100, start)
    wobble = 0.25 * np.sin(2 * np.pi * 3.0 * np.arange(100) / RATE)  # spread 0.18
    args = dict(min_hold_s=0.5, noise_multiple=4.0, min_motion_m_s2=0.12, onset_guard_s=0.1, movement_m_s2=0.5)
    nan = np.full(velocity.size, np.nan)
    wobbly = noisy.copy()
    wobbly[hold] += wobble
    quiet = R.check_unsteady_handoff(t, wobbly, nan, still, np.array([start]), **args)
    assert quiet.threshold[0] == pytest.approx(0.28, rel=0.15)
    assert not quiet.broken[0]
    # The same wobble on a quiet sensor is flagged (limit = the 0.12 floor).
    calm = acc.copy()
    calm[hold] += wobble
    assert R.check_unsteady_handoff(t, calm, nan, still, np.array([start]), **args).broken[0]


def test_short_rom_against_set_median():
    rom = np.array([0.50, 0.50, 0.50, 0.42, 0.43, 0.20, 0.21, 0.21])
    sets = np.array([1, 1, 1, 1, 1, 2, 2, 2])
    check = R.check_short_rom(rom, sets, min_fraction_of_median=0.85)
    # set 1: median 0.50 -> limit 0.425; set 2: median 0.21 -> limit 0.1785
    assert check.broken.tolist() == [False, False, False, True, False, False, False, False]
    assert check.threshold[0] == pytest.approx(0.425)


def test_short_rom_uses_magnitude():
    check = R.check_short_rom(np.array([-0.5, -0.5, -0.3]), np.ones(3), min_fraction_of_median=0.85)
    assert check.broken.tolist() == [False, False, True]


def test_slow_concentric_threshold():
    check = R.check_slow_concentric(np.array([2.9, 3.0, 3.1, np.nan]), max_s=3.0)
    assert check.broken.tolist() == [False, False, True, False]


@pytest.mark.parametrize(("amplitude", "expected"), [(0.5, True), (0.4, False)])
def test_swinging_threshold(amplitude, expected):
    n = 600
    t = np.arange(n) / RATE
    # |a_h| of a sinusoidal swing: RMS = amplitude / sqrt(2) (0.354 vs 0.283 m/s^2).
    horizontal = np.abs(amplitude * np.sin(2 * np.pi * 0.5 * t))
    check = R.check_swinging(horizontal, RATE, np.array([100]), np.array([500]), max_rms_m_s2=0.3, hold_s=0.5)
    assert check.value[0] == pytest.approx(amplitude / np.sqrt(2), rel=0.02)
    assert check.broken.tolist() == [expected]


def test_phase_indices_match_phase_convention():
    time_s = np.arange(1000) / RATE
    start, end = R.phase_indices(time_s, np.array([1.0, np.nan]), np.array([2.5, 3.0]))
    assert start.tolist() == [100, 0]
    assert end.tolist() == [250, 0]


def test_longest_run_over_several_phases():
    mask = np.zeros(100, bool)
    mask[10:20] = True
    mask[50:53] = True
    out = R.longest_run_s(mask, 10.0, np.array([0, 15, 40, 60]), np.array([100, 60, 100, 100]))
    assert out.tolist() == [1.0, 0.5, 0.3, 0.0]


def test_phase_velocity_recovers_speed_despite_bias_and_drift():
    n = 400
    t = np.arange(n) / RATE
    # true descent inside [100, 300): -0.02 m/s at both ends, a bump to -0.3 m/s between
    true = np.full(n, -0.02)  # creeping at the boundary speed outside, so the profile is smooth
    u = np.linspace(0.0, 1.0, 201)
    true[100:301] = -0.02 - 0.28 * np.sin(np.pi * u) ** 2
    acc = np.gradient(true, t) + 0.08  # accelerometer bias: the whole-recording velocity would drift
    v = R.phase_velocity(acc, RATE, np.array([100]), np.array([300]))
    assert np.isnan(v[:100]).all() and np.isnan(v[300:]).all()
    assert np.max(np.abs(v[100:300] - true[100:300])) < 0.005


@pytest.mark.parametrize(
    ("cruise", "end_speed", "expected"),
    [
        (0.03, 0.055, False),  # 1.8x a slow negative's speed but only 2.5 cm/s faster: measurement noise
        (0.03, 0.065, True),   # 3.5 cm/s faster: a real late speed-up
        (0.30, 0.48, True),    # a brisk descent: the ratio decides, the floor is far below
    ],
)
def test_late_braking_gain_floor(cruise, end_speed, expected):
    velocity = np.concatenate([np.zeros(50), _phase_velocity(cruise, end_speed, peak_at=1.0), np.zeros(50)])
    check = R.check_late_braking(
        velocity, np.array([50]), np.array([250]), last_fraction=0.25, speed_ratio=1.5, min_gain_m_s=0.03
    )
    assert check.value[0] > 1.5  # the ratio alone would flag all three
    assert check.broken.tolist() == [expected]
