"""The same motion seen differently must give the same reps.

Resampling, turning the sensor on the bar and shifting the clock change
the numbers the analysis sees but not the lift.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from eccentric_sense import columns as C
from eccentric_sense.analysis import analyze
from eccentric_sense.recording import Recording
from eccentric_sense.simulate import SetSpec, simulate_session

from .conftest import simulated

TIMES = [C.ECC_START_S, C.ECC_END_S, C.CON_START_S, C.CON_END_S]


def _reference():
    sim = simulated("bench_tempo")
    return sim.recording, analyze(sim.recording, exercise="bench").reps


def _same_reps(a, b, time_tolerance_s: float, shift_s: float = 0.0):
    assert len(a) == len(b)
    for column in TIMES:
        assert np.nanmax(np.abs(b[column].to_numpy() - shift_s - a[column].to_numpy())) <= time_tolerance_s, column
    assert np.nanmax(np.abs(b[C.ROM].to_numpy() - a[C.ROM].to_numpy())) <= 0.02


def _with(recording: Recording, **changes) -> Recording:
    fields = dict(time_s=recording.time_s, acc_mps2=recording.acc_mps2, gyr_rads=recording.gyr_rads,
                  metadata=dict(recording.metadata), source=recording.source)
    fields.update(changes)
    return Recording(**fields)


def test_time_offset_shifts_every_rep_by_the_offset():
    recording, reps = _reference()
    shifted = analyze(_with(recording, time_s=recording.time_s + 12345.678), exercise="bench").reps
    _same_reps(reps, shifted, 1e-3, shift_s=12345.678)


def test_half_the_sample_rate_gives_the_same_reps():
    recording, reps = _reference()
    half = analyze(
        _with(recording, time_s=recording.time_s[::2], acc_mps2=recording.acc_mps2[::2], gyr_rads=recording.gyr_rads[::2]),
        exercise="bench",
    ).reps
    _same_reps(reps, half, 0.05)


@pytest.mark.parametrize("seed", [1, 2])
def test_turning_the_sensor_on_the_bar_gives_the_same_reps(seed):
    recording, reps = _reference()
    turn = Rotation.random(random_state=seed)
    turned = _with(recording, acc_mps2=turn.apply(recording.acc_mps2), gyr_rads=turn.apply(recording.gyr_rads))
    _same_reps(reps, analyze(turned, exercise="bench").reps, 0.05)


def test_blank_packets_do_not_change_the_reps():
    # A lost BLE payload arrives as a row of zeros: one in the middle of each
    # descent (at 50 Hz each would read as free fall, a 0.2 m/s step) and one
    # at the top of a lift give the same reps as the intact recording.
    recording, _ = _reference()
    every = slice(None, None, 4)
    intact = _with(recording, time_s=recording.time_s[every], acc_mps2=recording.acc_mps2[every],
                   gyr_rads=recording.gyr_rads[every])
    reps = analyze(intact, exercise="bench").reps
    acc, gyr = intact.acc_mps2.copy(), intact.gyr_rads.copy()
    middles = 0.5 * (reps[C.ECC_START_S] + reps[C.ECC_END_S]).to_numpy()
    blank = np.searchsorted(intact.time_s, middles)
    top = np.searchsorted(intact.time_s, reps[C.CON_END_S].iloc[2])
    rows = np.append(blank, top)
    acc[rows] = 0.0
    gyr[rows] = 0.0
    damaged = analyze(_with(intact, acc_mps2=acc, gyr_rads=gyr), exercise="bench").reps
    _same_reps(reps, damaged, 0.05)


@pytest.mark.parametrize("gyroscope", [True, False])
def test_a_long_dropout_leaves_the_reps_on_either_side_alone(gyroscope):
    # The connection drops for half a minute in the middle of a descent (the
    # recorder reconnects): the clock jumps.  The filler of the gap has no
    # noise and, with the gyroscope's rate at the edges, no real rotation:
    # the quiet detector's levels must not be taken from it.  Nor is the
    # quiet cruise of the descent the data resume in a rest for being at the
    # edge of the data: the bar was moving.  The rep the gap cuts is lost;
    # the others stay as they were.  (Without a gyroscope the rep before the
    # gap is still lost: in a block that short the first integration cannot
    # tell its slow descent from a hold.)
    sim = simulate_session([SetSpec("bench", "tempo", n_reps=5)], sensor="bmi270", sample_rate_hz=50.0, seed=3,
                           gyroscope=gyroscope)
    recording = sim.recording
    reps = analyze(recording, exercise="bench").reps
    jump_at = 0.5 * (reps[C.ECC_START_S].iloc[1] + reps[C.ECC_END_S].iloc[1])
    time_s = np.where(recording.time_s > jump_at, recording.time_s + 30.0, recording.time_s)
    after = analyze(_with(recording, time_s=time_s), exercise="bench").reps
    later = (after[C.ECC_START_S] > jump_at).to_numpy()
    for column in TIMES:
        after.loc[later, column] -= 30.0
    whole = [0, 2, 3, 4] if gyroscope else [2, 3, 4]  # the reps the gap does not cut
    found = [int(np.nanargmin(np.abs(after[C.ECC_START_S].to_numpy() - reps[C.ECC_START_S].iloc[i]))) for i in whole]
    _same_reps(reps.iloc[whole], after.iloc[found], 0.05)


def test_host_stamps_shared_by_the_packets_of_a_connection_event_give_the_same_reps():
    # A phone stamps each BLE notification when it handles it; the packets
    # of one 30 ms connection event get one stamp.  The device still
    # sampled at its own rate: the reps are those of the device's clock.
    recording, reps = _reference()
    every = slice(None, None, 2)  # 100 Hz
    device = _with(recording, time_s=recording.time_s[every], acc_mps2=recording.acc_mps2[every],
                   gyr_rads=recording.gyr_rads[every])
    reference = analyze(device, exercise="bench")
    event_s = 0.030
    host = np.ceil(device.time_s / event_s - 1e-9) * event_s + 0.012
    bunched = analyze(_with(device, time_s=host), exercise="bench")
    assert bunched.kinematics.sample_rate_hz == pytest.approx(100.0, rel=0.02)
    _same_reps(reference.reps, bunched.reps, 0.05, shift_s=0.012)
