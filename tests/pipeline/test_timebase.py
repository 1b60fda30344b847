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


def test_a_dropout_in_a_burst_splits_the_blocks_and_one_in_calm_data_is_bridged():
    # 0.5 s dropouts, within the 1 s the analysis bridges.  One swallows the
    # braking of a lift (the reading is 0.3 g off gravity just before it):
    # interpolated, the lift's speed would survive into the hold after it.
    rate = 50.0
    t, acc = _still(1500, rate)
    lift = (t > 9.0) & (t < 10.0)
    acc[lift, 2] += 3.0 * np.sin(2 * np.pi * (t[lift] - 9.0))  # speeds up, then brakes
    keep = ~((t >= 9.5) & (t < 10.0)) & ~((t >= 20.0) & (t < 20.5))
    uniform = regularize_timebase(t[keep], acc[keep], max_interp_gap_s=1.0)
    assert uniform.gap[(uniform.time_s > 9.55) & (uniform.time_s < 9.95)].all()
    assert not uniform.gap[(uniform.time_s > 19.0) & (uniform.time_s < 21.5)].any()
    assert np.unique(uniform.block[uniform.block >= 0]).size == 2


@pytest.mark.parametrize(
    "input_rate, analysis_rate",
    [(1000.0, 100.0), (400.0, 100.0), (250.0, 125.0), (200.0, 100.0), (199.7, 99.85), (150.0, 150.0), (100.0, 100.0), (60.0, 60.0)],
)
def test_fast_data_is_decimated_to_at_least_100_hz(input_rate, analysis_rate):
    # The largest whole factor that keeps the analysis at 100 Hz or more
    # (a clock a little slow, 199.7 Hz, still counts as 200 Hz).
    t, acc = _still(int(10 * input_rate), input_rate)
    uniform = regularize_timebase(t, acc)
    assert uniform.sample_rate_hz == pytest.approx(analysis_rate)
    assert uniform.input_rate_hz == pytest.approx(input_rate)
    assert uniform.time_s.size == pytest.approx(10 * analysis_rate, abs=2)
    assert np.allclose(uniform.acc_mps2.mean(axis=0), [0, 0, 9.80665], atol=0.01)


def test_the_analysis_rate_can_be_set():
    t, acc = _still(10000, 1000.0)
    uniform = regularize_timebase(t, acc, min_analysis_rate_hz=250.0)
    assert uniform.sample_rate_hz == pytest.approx(250.0)


def _assert_cut_between(uniform, start_s: float, end_s: float, cut: bool) -> None:
    """The event from ``start_s`` to ``end_s`` is (or is not) a gap, and nothing 0.5 s or more away is.

    By time, not by sample: the analysis grid may be coarser than the input.
    """
    event = (uniform.time_s >= start_s) & (uniform.time_s < end_s)
    far = (uniform.time_s < start_s - 0.5) | (uniform.time_s >= end_s + 1.5)
    assert event.any() and far.any()
    assert uniform.gap[event].any() == cut
    assert not uniform.gap[far].any()


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
    _assert_cut_between(uniform, 400 / rate, (400 + n) / rate, cut)


@pytest.mark.parametrize("peak_g, cut", [(3.8, False), (7.0, True)])
def test_an_impact_is_cut_out_but_an_explosive_lift_is_not(peak_g, cut):
    # An explosive row or pull reaches 3-4 g of specific force for a tenth of
    # a second (the simulator's fast lifts peak at 3.7 g); the bar hitting
    # the rack or the floor reads more.  Only the impact is a disturbance:
    # cutting the lift out would lose the rep's concentric and its travel.
    rate = 200.0
    t, acc = _still(1000, rate)
    n = int(0.1 * rate)
    acc[400 : 400 + n, 2] += (peak_g - 1.0) * 9.80665 * np.sin(np.pi * (np.arange(n) + 0.5) / n)
    uniform = regularize_timebase(t, acc)
    _assert_cut_between(uniform, 400 / rate, (400 + n) / rate, cut)


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


def _batched(device_time_s: np.ndarray, event_s: float, handling_s: float) -> np.ndarray:
    """Host stamps: each sample waits for the next connection event; the host
    stamps the samples of one event ``handling_s`` apart as it works through them."""
    event = np.ceil(device_time_s / event_s - 1e-9) * event_s
    handled = handling_s * np.arange(event.size)
    return handled + np.maximum.accumulate(event - handled)  # s_k = max(event_k, s_(k-1) + handling_s)


def test_samples_a_tenth_of_a_millisecond_apart_in_each_event_are_read_at_the_device_rate():
    # A 400 Hz sensor whose host stamps the six samples of each 15 ms event
    # 0.1 ms apart: the median interval (0.1 ms) is not the sample period.
    # Read as 10 kHz, the anti-alias filter before decimation cut at a few
    # hertz of the real signal and a 5 Hz movement lost most of its size.
    # What lies above BATCHED_CUTOFF_HZ goes: the rebuilt sample times are
    # good to a few milliseconds only.
    rate = 400.0
    t = np.arange(8000) / rate
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 9.80665 + 3.0 * np.sin(2 * np.pi * 5.0 * t) + 1.0 * np.sin(2 * np.pi * 60.0 * t)
    stamps = _batched(t, 0.015, 1e-4)
    uniform = regularize_timebase(stamps, acc)
    assert uniform.input_rate_hz == pytest.approx(rate, rel=0.03)
    assert uniform.sample_rate_hz == pytest.approx(rate / 4, rel=0.03)  # analysed at 100 Hz
    assert not uniform.gap.any()
    wave = uniform.acc_mps2[200:-200, 2] - 9.80665
    grid = uniform.time_s[200:-200]
    size_5hz = 2 * np.abs(np.mean(wave * np.exp(-2j * np.pi * 5.0 * grid)))
    size_60hz = 2 * np.abs(np.mean(wave * np.exp(-2j * np.pi * 60.0 * grid)))
    assert size_5hz == pytest.approx(3.0, rel=0.05)
    assert size_60hz < 0.05


def test_a_lost_packet_does_not_shift_the_samples_after_it():
    # The sample times are the device's clock under the host's stamps, so
    # the samples after a lost packet keep the times they have without it.
    # Two samples (10 ms) lost inside a 15 ms event leave no visible gap; a
    # straight line through all the stamps shifted every later sample by
    # part of the lost time.
    rate = 200.0
    t = np.arange(6000) / rate
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 9.80665 + np.sin(2 * np.pi * 2.0 * t)
    intact = regularize_timebase(_batched(t, 0.015, 0.0), acc)
    keep = np.ones(t.size, dtype=bool)
    keep[1001:1003] = False
    lossy = regularize_timebase(_batched(t[keep], 0.015, 0.0), acc[keep])
    when = np.linspace(t[1100], t[-200], 2000)
    difference = np.interp(when, lossy.time_s, lossy.acc_mps2[:, 2]) - np.interp(when, intact.time_s, intact.acc_mps2[:, 2])
    assert np.abs(difference).max() < 0.01  # m/s^2, of a 1 m/s^2 wave at 2 Hz: under 1 ms of shift


@pytest.mark.parametrize("rate", [25.0, 50.0, 100.0])
def test_the_sensor_rate_of_host_stamps_comes_from_their_line_fit(rate):
    # Each sample waits for the next 15 ms connection event, then a few ms of
    # host jitter: a 25 Hz sensor's stamps are 30 or 45 ms apart, so their
    # median interval says 22-23 Hz and a 100 Hz sensor's 78-86 Hz.
    t = np.arange(int(60 * rate)) / rate
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 9.80665 + np.sin(2 * np.pi * 1.0 * t)
    stamps = np.sort(_batched(t, 0.015, 0.0005) + np.random.default_rng(3).exponential(0.003, t.size))
    uniform = regularize_timebase(stamps, acc)
    assert uniform.sensor_rate_hz == pytest.approx(rate, rel=0.005)
    # The grid is another matter (see regularize_timebase): its times are the
    # fitted ones, so a 1 Hz wave keeps its phase whatever the grid's rate.
    wave = np.interp(t[100:-100] + 0.02, uniform.time_s, uniform.acc_mps2[:, 2]) - 9.80665
    assert np.abs(wave - np.sin(2 * np.pi * 1.0 * t[100:-100])).max() < 0.15


def test_a_25_hz_sensor_behind_a_host_clock_is_not_reported_below_25_hz():
    from eccentric_sense.analysis import analyze
    from eccentric_sense.recording import Recording

    rate = 25.0
    t = np.arange(int(90 * rate)) / rate
    acc = np.tile([0.0, 0.0, 9.80665], (t.size, 1)) + np.random.default_rng(4).normal(0, 0.02, (t.size, 3))
    stamps = np.sort(_batched(t, 0.015, 0.0005) + np.random.default_rng(5).exponential(0.003, t.size))
    result = analyze(Recording(time_s=stamps, acc_mps2=acc))
    assert not any("below the 25 Hz" in note for note in result.diagnostics["notes"])
    assert result.diagnostics["sensor_rate_hz"] == pytest.approx(rate, rel=0.005)
    slow = analyze(Recording(time_s=stamps * 25.0 / 20.0, acc_mps2=acc))  # a 20 Hz sensor is
    assert any("below the 25 Hz" in note for note in slow.diagnostics["notes"])
