"""A descent's range of motion is also measured through the rep's own lift, which integrates far less time."""

from dataclasses import replace

import numpy as np
import pytest

from eccentric_sense import columns as C
from eccentric_sense.analysis import AnalysisSettings, analyze, rep_table
from eccentric_sense.pipeline.segmentation import CONCENTRIC, ECCENTRIC
from eccentric_sense.pipeline.types import Kinematics, Phase, RepSegment, SetSegment
from eccentric_sense.simulate import heldout_suite

FS = 100.0
TRAVEL_M = 0.55


def _smooth_move(travel_m: float, seconds: float) -> np.ndarray:
    """Velocity of a move covering ``travel_m`` in ``seconds`` (a raised-cosine profile)."""
    n = int(round(seconds * FS))
    shape = 1.0 - np.cos(2 * np.pi * (np.arange(n) + 0.5) / n)
    return travel_m * shape / (shape.sum() / FS)


def _kinematics(velocity: np.ndarray) -> Kinematics:
    time = np.arange(velocity.size) / FS
    acc = np.gradient(velocity, 1 / FS)
    return Kinematics(
        time_s=time, sample_rate_hz=FS, vertical_acc_mps2=acc, vertical_acc_lp_mps2=acc,
        velocity_m_s=velocity, displacement_m=np.cumsum(velocity) / FS,
        horizontal_acc_mps2=np.full(velocity.size, np.nan), still=velocity == 0, gap=np.zeros(velocity.size, bool),
    )


def _phase(kind: str, start: int, end: int) -> Phase:
    return Phase(kind, start, end, start / FS, end / FS)


def _rep(*, offset_m_s: float, lift_m: float = TRAVEL_M, pause_s: float = 1.0, pause_m_s: float = 0.0,
         lift_first: bool = False):
    """Rest, a 10 s negative of ``TRAVEL_M`` read ``offset_m_s`` too slow, a pause, a 1.2 s lift of ``lift_m``, rest.

    With ``lift_first`` the lift comes first and the pause is at the top
    (deadlift order).  The offset stands for an accelerometer bias that
    wandered during the cruise: the measured descent covers less (or, with
    a negative offset, more) than the bar did.  ``pause_m_s`` is the
    velocity read during the pause.
    """
    rest = np.zeros(int(2 * FS))
    parts = {ECCENTRIC: -_smooth_move(TRAVEL_M, 10.0) + offset_m_s, CONCENTRIC: _smooth_move(lift_m, 1.2)}
    order = (CONCENTRIC, ECCENTRIC) if lift_first else (ECCENTRIC, CONCENTRIC)
    first, pause, second = parts[order[0]], np.full(int(pause_s * FS), pause_m_s), parts[order[1]]
    velocity = np.concatenate([rest, first, pause, second, rest])
    start_second = rest.size + first.size + pause.size
    phases = {order[0]: _phase(order[0], rest.size, rest.size + first.size),
              order[1]: _phase(order[1], start_second, start_second + second.size)}
    segment = SetSegment(reps=(RepSegment(phases[ECCENTRIC], phases[CONCENTRIC], order[0]),),
                         start_s=rest.size / FS, end_s=(start_second + second.size) / FS, first=order[0])
    return _kinematics(velocity), [segment]


def test_a_negative_read_short_by_a_wandering_offset_is_measured_through_its_lift():
    kin, segments = _rep(offset_m_s=0.006)
    row = rep_table(kin, segments, AnalysisSettings()).iloc[0]
    integrated = TRAVEL_M - 0.006 * 10.0  # what the descent alone reads: 6 cm short
    assert abs(integrated - TRAVEL_M) > 0.05
    # The 2.2 s way round weighs (10 / 2.2)^2 = 21 times the 10 s descent.
    assert row[C.ROM] == pytest.approx(TRAVEL_M, abs=0.004)
    # The mean descent speed is that travel over the descent's duration.
    assert row[C.ECC_MEAN_VELOCITY] == pytest.approx(row[C.ROM] / row[C.ECC_DURATION_S], rel=1e-9)
    # The peak speed takes the same correction: the missed travel spread
    # evenly over the descent (here exactly the offset that caused it).
    true_peak = float(_smooth_move(TRAVEL_M, 10.0).max())
    assert abs((true_peak - 0.006) - true_peak) > 0.005
    assert row[C.ECC_PEAK_VELOCITY] == pytest.approx(true_peak, abs=0.001)


def test_a_lift_first_rep_is_closed_through_the_lift_before_its_descent():
    # Deadlift order: the lift, a pause at the top, then the negative, read 6 cm long this time.
    kin, segments = _rep(offset_m_s=-0.006, lift_first=True)
    row = rep_table(kin, segments, AnalysisSettings()).iloc[0]
    assert row[C.ROM] == pytest.approx(TRAVEL_M, abs=0.004)


def test_a_data_gap_on_the_way_round_leaves_the_descent_its_own_travel():
    # Nothing was measured in the gap: the way round would be a guess there.
    kin, segments = _rep(offset_m_s=0.006)
    gap = kin.gap.copy()
    pause_start = segments[0].reps[0].eccentric.end_index
    gap[pause_start + 20 : pause_start + 60] = True
    kin = replace(kin, gap=gap)
    row = rep_table(kin, segments, AnalysisSettings()).iloc[0]
    assert row[C.ROM] == pytest.approx(TRAVEL_M - 0.06, abs=1e-3)


def test_a_way_round_that_does_not_go_up_leaves_the_descent_its_own_travel():
    # A 2 cm "lift" after a pause read drifting down at 0.08 m/s: the way
    # round comes out 6 cm downwards, which is no measure of a height.
    kin, segments = _rep(offset_m_s=0.006, lift_m=0.02, pause_m_s=-0.08)
    row = rep_table(kin, segments, AnalysisSettings()).iloc[0]
    assert row[C.ROM] == pytest.approx(TRAVEL_M - 0.06, abs=1e-3)


def test_a_rest_at_the_bottom_leaves_the_descent_its_own_travel():
    # 7 s at the bottom: a rest, over which the way round would integrate
    # longer than the descent itself is worth.
    kin, segments = _rep(offset_m_s=0.006, pause_s=7.0)
    row = rep_table(kin, segments, AnalysisSettings()).iloc[0]
    assert row[C.ROM] == pytest.approx(TRAVEL_M - 0.06, abs=1e-3)


def test_negatives_of_a_simulated_squat_set_get_their_range_of_motion():
    # A development draw (never a held-out seed): 10-12 s squat negatives
    # on an MPU-6050; a wandering accelerometer offset put the descents'
    # own travel 7.8 cm off on average (up to 23 cm).
    case = heldout_suite(17, 7)[6]
    sim = case.simulate()
    result = analyze(sim.recording, exercise="squat", settings=AnalysisSettings(first_phase="eccentric"))
    truth, reps = sim.truth_reps, result.reps
    assert len(reps) == len(truth)
    error = np.abs(reps[C.ROM].to_numpy() - truth[C.ROM].to_numpy())
    assert error.mean() < 0.025
