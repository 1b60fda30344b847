"""The trace: the analysed signal sample by sample, labelled with its set, rep and phase."""

from __future__ import annotations

import numpy as np
import pytest

from eccentric_sense import columns as C
from eccentric_sense.analysis import analyze
from eccentric_sense.recording import Recording

from .conftest import simulated


@pytest.fixture(scope="module")
def bench():
    sim = simulated("bench_tempo")
    return sim, analyze(sim.recording, exercise="bench")


def test_the_trace_is_the_analysed_motion_on_the_recording_clock(bench):
    sim, result = bench
    trace = result.trace()
    assert tuple(trace.columns) == C.TRACE_COLUMNS
    assert len(trace) == result.kinematics.time_s.size
    true_velocity = np.interp(trace[C.TRACE_TIME_S], sim.truth.time_s, sim.truth.v_m_s)
    # About 1 mm/s; a trace one sample (10 ms at the 100 Hz the 200 Hz data
    # is analysed at) out of step with its clock reads 2.6 mm/s.
    assert np.abs(trace[C.TRACE_VELOCITY] - true_velocity).mean() < 0.002
    assert not trace[C.TRACE_GAP].any()


@pytest.mark.parametrize("kind, start, end", [
    ("eccentric", C.ECC_START_S, C.ECC_END_S),
    ("concentric", C.CON_START_S, C.CON_END_S),
    (C.TRACE_PAUSE, C.ECC_END_S, C.CON_START_S),  # the bottom pause of a set that starts at the top
])
def test_the_trace_labels_each_true_phase_with_its_set_and_rep(bench, kind, start, end):
    sim, result = bench
    trace = result.trace()
    t = trace[C.TRACE_TIME_S].to_numpy()
    truth = sim.truth_reps
    assert len(truth) == 10 and len(result.reps) == 10
    for _, rep in truth.iterrows():
        inner = (t > rep[start] + 0.1) & (t < rep[end] - 0.1)  # away from the boundaries the analysis may move
        assert inner.sum() >= 0.1 * 200, (kind, rep[C.SET], rep[C.REP])
        labelled = trace[inner]
        assert (labelled[C.TRACE_PHASE] == kind).mean() > 0.98
        assert (labelled[C.SET] == rep[C.SET]).all() and (labelled[C.REP] == rep[C.REP]).all()
    outside = (trace[C.REP] == 0).to_numpy()
    assert (trace.loc[outside, C.TRACE_PHASE] == "").all() and (trace.loc[outside, C.SET] == 0).all()
    between_sets = (t > truth[C.CON_END_S].iloc[4] + 1.0) & (t < truth[C.ECC_START_S].iloc[5] - 1.0)
    assert outside[between_sets].all()


def test_the_phases_of_the_trace_are_those_of_the_rep_table(bench):
    _, result = bench
    trace = result.trace()
    fs = result.kinematics.sample_rate_hz
    for _, rep in result.reps.iterrows():
        mine = trace[(trace[C.SET] == rep[C.SET]) & (trace[C.REP] == rep[C.REP])]
        for kind, duration in (("eccentric", C.ECC_DURATION_S), ("concentric", C.CON_DURATION_S)):
            assert (mine[C.TRACE_PHASE] == kind).sum() / fs == pytest.approx(rep[duration], abs=1.5 / fs)
        down = mine[mine[C.TRACE_PHASE] == "eccentric"]
        assert down[C.TRACE_DISPLACEMENT].iloc[0] - down[C.TRACE_DISPLACEMENT].iloc[-1] == pytest.approx(rep[C.ROM], abs=0.02)


def test_nothing_is_measured_in_a_data_gap():
    sim = simulated("deadlift_normal")
    rec = sim.recording
    half = rec.time_s[rec.n_samples // 2]
    jumped = Recording(time_s=np.where(rec.time_s > half, rec.time_s + 30.0, rec.time_s), acc_mps2=rec.acc_mps2,
                       gyr_rads=rec.gyr_rads, metadata=dict(rec.metadata))
    trace = analyze(jumped, exercise="deadlift").trace()
    t = trace[C.TRACE_TIME_S].to_numpy()
    in_gap = (t > half + 1.0) & (t < half + 29.0)
    assert in_gap.sum() > 0 and trace.loc[in_gap, C.TRACE_GAP].all()
    for column in (C.TRACE_VERTICAL_ACC, C.TRACE_VELOCITY, C.TRACE_DISPLACEMENT):
        assert trace.loc[in_gap, column].isna().all()
        assert trace.loc[~trace[C.TRACE_GAP], column].notna().all()
    assert not trace.loc[in_gap, C.TRACE_AT_REST].any()
    assert (trace.loc[in_gap, C.REP] == 0).all()
