"""Uniform grid: glitches, host-clock jitter, gaps, decimation."""

import numpy as np
import pytest

from eccentric_sense.pipeline.timebase import regularize_timebase, remove_glitches, repair_blank_rows


def _still(n: int, rate: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    acc = np.tile([0.0, 0.0, 9.80665], (n, 1)) + rng.normal(0, 0.01, (n, 3))
    return t, acc


def test_isolated_spike_is_replaced_but_an_impact_is_kept():
    _, acc = _still(200, 100.0)
    spiky = acc.copy()
    spiky[50, 2] += 40.0
    cleaned, glitch = remove_glitches(spiky, min_jump=15.0)
    assert np.flatnonzero(glitch).tolist() == [50]
    assert cleaned[50, 2] == pytest.approx(9.80665, abs=0.05)
    ringing = acc.copy()
    ringing[100:106, 2] += 40.0 * np.array([0.5, 0.9, 1.0, 0.7, 0.4, 0.2])  # an impact lasts several samples
    assert not remove_glitches(ringing, min_jump=15.0)[1][100:106].any()


def test_jittered_host_stamps_are_straightened_to_the_device_rate():
    rate = 50.0
    t, acc = _still(2000, rate)
    rng = np.random.default_rng(1)
    stamps = np.sort(t + 0.02 + rng.uniform(0, 0.012, t.size))  # latency + jitter
    uniform = regularize_timebase(stamps, acc)
    assert uniform.sample_rate_hz == pytest.approx(rate, rel=0.02)
    assert np.allclose(np.diff(uniform.time_s), 1 / uniform.sample_rate_hz)
    assert not uniform.gap.any()


def test_samples_on_the_grid_are_kept_and_samples_between_it_are_interpolated():
    rate = 100.0
    t, acc = _still(3000, rate)
    rounded = np.round(t + 12.345, 6)  # device stamps as a CSV writes them
    kept = regularize_timebase(rounded, acc)
    np.testing.assert_array_equal(kept.acc_mps2, acc)
    # Half a sample off the grid halfway through: the second half is interpolated, not shifted.
    shifted = rounded.copy()
    shifted[1500:] += 0.5 / rate
    moved = regularize_timebase(shifted, acc)
    after = np.arange(1501, 3000)  # grid points halfway between two shifted samples
    assert moved.acc_mps2[after, 2] == pytest.approx(0.5 * (acc[after - 1, 2] + acc[after, 2]), abs=1e-9)
    assert moved.acc_mps2[:1500] == pytest.approx(acc[:1500], abs=1e-9)


def test_long_gap_is_marked_and_splits_blocks_short_gap_is_bridged():
    rate = 100.0
    t, acc = _still(3000, rate)
    keep = np.ones(t.size, dtype=bool)
    keep[500:510] = False  # 0.1 s: interpolated
    keep[1500:1700] = False  # 2 s: a gap
    uniform = regularize_timebase(t[keep], acc[keep])
    gap_time = uniform.time_s[uniform.gap]
    assert gap_time.min() > 14.9 and gap_time.max() < 17.1
    assert not uniform.gap[(uniform.time_s > 4.9) & (uniform.time_s < 5.2)].any()
    assert set(np.unique(uniform.block).tolist()) == {-1, 0, 1}


def test_fast_data_is_decimated():
    t, acc = _still(10000, 1000.0)
    uniform = regularize_timebase(t, acc, max_rate_hz=250.0)
    assert uniform.sample_rate_hz == pytest.approx(250.0)
    assert uniform.input_rate_hz == pytest.approx(1000.0)
    assert np.allclose(uniform.acc_mps2.mean(axis=0), [0, 0, 9.80665], atol=0.01)


@pytest.mark.parametrize("turn_rad, cut", [(np.deg2rad(60.0), False), (2 * np.pi, True)])
def test_a_sleeve_spin_is_cut_out_but_a_fast_bar_roll_in_a_lift_is_not(turn_rad, cut):
    # Both turn the bar about its axis faster than 5 rad/s at their peak: a
    # 60 degree roll in a 0.25 s pull (the bar rolls in the hands), and a
    # full sleeve spin over 0.9 s.  Only the spin is a disturbance; the
    # lift must stay in the data.
    rate = 200.0
    t, acc = _still(1000, rate)
    duration = 0.25 if not cut else 0.9
    n = int(duration * rate)
    profile = np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2  # integrates to n / 2 samples
    gyr = np.zeros_like(acc)
    gyr[400 : 400 + n, 0] = turn_rad * profile / (0.5 * duration)
    assert gyr[:, 0].max() > 5.0
    uniform = regularize_timebase(t, acc, gyr)
    assert uniform.gap[400 : 400 + n].any() == cut
    assert not uniform.gap[:300].any() and not uniform.gap[700:].any()


def test_blank_packets_are_filled_in_and_a_long_blank_stretch_becomes_a_gap():
    rate = 100.0
    t, acc = _still(3000, rate)
    gyr = np.full((t.size, 3), 0.01)
    acc[[700, 1200, 1201]] = 0.0  # lost payloads, read as zeros
    gyr[[700, 1200, 1201]] = 0.0
    acc[2000:2100] = 0.0  # a second of blanks: no data, not a second of free fall
    uniform = regularize_timebase(t, acc, gyr)
    assert uniform.n_glitches == 103
    assert np.linalg.norm(uniform.acc_mps2[~uniform.gap], axis=1).min() > 9.7
    assert not uniform.gap[:1990].any() and uniform.gap[2000:2100].all()
    assert uniform.gyr_rads[[700, 1200, 1201]] == pytest.approx(0.01)
    # A recording that is blank throughout is left alone (the analysis reports it).
    zeros = np.zeros((10, 3))
    assert repair_blank_rows(t[:10], zeros)[3] == 10
    np.testing.assert_array_equal(repair_blank_rows(t[:10], zeros)[1], zeros)
